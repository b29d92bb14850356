// Command rumor is Rumor v0.3.6 built as a dependency: this module only requires
// github.com/protolambda/rumor and wires its six run modes into one cobra root command,
// as Rumor's own main package does. scripts/install-rumor builds it.
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
