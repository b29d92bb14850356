module pyrum/rumor-build

go 1.14

require (
	github.com/protolambda/rumor v0.3.2
	github.com/spf13/cobra v1.0.0
)
