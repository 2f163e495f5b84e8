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

// version may be set at build time with -ldflags "-X main.version=…";
// otherwise `dagdeck version` reads it from the build information.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := cli.NewRootCommand(version)
	server := newServerCmd()
	hideClientFlags(server, "server", "token", "output")
	root.AddCommand(server)
	for _, cmd := range []*cobra.Command{newMigrateCmd(), newExportCmd(), newImportCmd()} {
		hideClientFlags(cmd, "server", "token") // they honour -o json
		root.AddCommand(cmd)
	}
	root.AddCommand(newAdminCmd()) // works on the stores, but honours -o json
	root.AddCommand(newRuntimeCmd())
	code := cli.Execute(ctx, root)
	stop()
	os.Exit(code)
}

// hideClientFlags keeps the CLI's global flags that a command ignores (such
// as --server and --token for commands that work on the stores directly)
// out of its help.
func hideClientFlags(cmd *cobra.Command, names ...string) {
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		for _, name := range names {
			if f := c.InheritedFlags().Lookup(name); f != nil {
				f.Hidden = true
			}
		}
		c.Root().HelpFunc()(c, args)
	})
}
