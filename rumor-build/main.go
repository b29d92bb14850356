// Command rumor is Rumor built as a dependency: the wrapper module of each version
// (rumor-build/<version>/go.mod) only requires github.com/protolambda/rumor, and this file wires
// its six run modes into one cobra root command, as Rumor's own main package does (the `sh`
// package exports the same six commands in every version built here). scripts/install-rumor
// builds it.
package main

import (
	"fmt"
	"os"

	"github.com/protolambda/rumor/sh"
	"github.com/spf13/cobra"
)

func main() {
	root := cobra.Command{Use: "rumor", Short: "Start Rumor"}
	root.AddCommand(sh.AttachCmd(), sh.BareCmd(), sh.FileCmd(), sh.ServeCmd(), sh.ShellCmd(), sh.ToolCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "failed to run Rumor: %v", err)
		os.Exit(1)
	}
}
