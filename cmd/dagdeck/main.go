// Command dagdeck is the whole of dagdeck in one binary: the server
// (`dagdeck server`), the runtime and the CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := cli.NewRootCommand(version)
	for _, cmd := range []*cobra.Command{newServerCmd(), newMigrateCmd(), newExportCmd(), newImportCmd()} {
		hideClientFlags(cmd)
		root.AddCommand(cmd)
	}
	root.AddCommand(newAdminCmd()) // works on the stores, but honours -o json
	root.AddCommand(newRuntimeCmd())
	code := cli.Execute(ctx, root)
	stop()
	os.Exit(code)
}

// hideClientFlags keeps the CLI's global flags (--server, --token, -o) out of
// the help of commands that work on the stores directly and ignore them.
func hideClientFlags(cmd *cobra.Command) {
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		for _, name := range []string{"server", "token", "output"} {
			if f := c.InheritedFlags().Lookup(name); f != nil {
				f.Hidden = true
			}
		}
		c.Root().HelpFunc()(c, args)
	})
}
