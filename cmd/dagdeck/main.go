// Command dagdeck is the whole of dagdeck in one binary: the server
// (`dagdeck server`), the runtime and the CLI.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/dagdeck/dagdeck/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := cli.NewRootCommand(version)
	root.AddCommand(newServerCmd(), newMigrateCmd(), newExportCmd(), newImportCmd())
	root.AddCommand(newRuntimeCmd())
	code := cli.Execute(ctx, root)
	stop()
	os.Exit(code)
}
