package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/bundle"
	"github.com/dagdeck/dagdeck/client"
	"github.com/dagdeck/dagdeck/credentials"
	"github.com/dagdeck/dagdeck/registry"
)

// DefaultServer is the server URL used when none is configured.
const DefaultServer = "http://127.0.0.1:8080"

// factory holds what commands share: IO streams, the environment, the
// global flags and a lazily built API client. Tests replace its fields.
type factory struct {
	version string      // the version, for the User-Agent header
	build   versionInfo // version, commit and Go version, for `dagdeck version`

	in     io.Reader
	out    io.Writer
	errOut io.Writer
	// stdinTTY, stdoutTTY and stderrTTY report whether those streams are
	// terminals: prompts need the first, colours the second (see colors),
	// progress bars the third.
	stdinTTY     func() bool
	stdoutTTY    func() bool
	stderrTTY    func() bool
	readPassword func() (string, error)

	getenv        func(string) string
	defaultServer func() string
	loadToken     func(server string) (string, error)
	// loadDeployment and saveDeployment read and write a server's default
	// Deployment (credentials.ErrNotFound if none).
	loadDeployment func(server string) (string, error)
	saveDeployment func(server, name string) error
	now            func() time.Time
	pack           func(ctx context.Context, dir string) (project, error)
	readGit        func(ctx context.Context, dir string) (*bundle.GitState, error)
	// resolveImage asks an image reference's registry for its digest.
	resolveImage func(ctx context.Context, ref string) (*registry.Image, error)
	// pollInterval paces deploy --wait.
	pollInterval time.Duration
	// completionTimeout bounds the API calls of shell completion.
	completionTimeout time.Duration
	// leaseRenewal is how often a deploy renews its upload lease.
	leaseRenewal time.Duration

	// Global flags.
	serverFlag string
	tokenFlag  string
	output     outputFormat

	api   *client.Client
	stdin *bufio.Reader
}

// newSystemFactory returns a factory wired to the process: os streams, the
// environment, the credentials file and the real project packer.
func newSystemFactory(version string) *factory {
	build := buildVersion(version)
	return &factory{
		version:           build.Version,
		build:             build,
		in:                os.Stdin,
		out:               os.Stdout,
		errOut:            os.Stderr,
		stdinTTY:          isTerminal(os.Stdin),
		stdoutTTY:         isTerminal(os.Stdout),
		stderrTTY:         isTerminal(os.Stderr),
		readPassword:      readTerminalPassword,
		getenv:            os.Getenv,
		defaultServer:     credentials.Default,
		loadToken:         credentials.Load,
		loadDeployment:    credentials.LoadDeployment,
		saveDeployment:    credentials.SaveDeployment,
		now:               time.Now,
		pack:              packProject,
		readGit:           bundle.ReadGit,
		resolveImage:      new(registry.Resolver).Resolve,
		pollInterval:      time.Second,
		completionTimeout: defaultCompletionTimeout,
		leaseRenewal:      15 * time.Second,
	}
}

// server returns the server URL: --server, $DAGDECK_SERVER, the stored
// default, or DefaultServer.
func (f *factory) server() string {
	for _, s := range []string{f.serverFlag, f.getenv("DAGDECK_SERVER"), f.defaultServer()} {
		if s != "" {
			return credentials.Normalize(s)
		}
	}
	return DefaultServer
}

// token returns the API token: --token, $DAGDECK_TOKEN, or the one stored
// for the server ("" if none; the server then answers EUNAUTHORIZED).
func (f *factory) token(server string) string {
	if f.tokenFlag != "" {
		return f.tokenFlag
	}
	if t := f.getenv("DAGDECK_TOKEN"); t != "" {
		return t
	}
	t, _ := f.loadToken(server)
	return t
}

// client returns the API client, building it on first use.
func (f *factory) client() *client.Client {
	if f.api == nil {
		s := f.server()
		f.api = client.New(s, f.token(s), client.WithVersion(f.version), client.WithRetry(outageRetry, f.noteRetry))
	}
	return f.api
}

// outageRetry is how long the CLI retries idempotent steps (reads,
// uploads, finalizing) while the server or its stores are unreachable, so
// a database restart under a deploy does not fail it.
const outageRetry = 30 * time.Second

// noteRetry tells the user that a step is retried after an outage.
func (f *factory) noteRetry(err error, wait time.Duration) {
	fmt.Fprintf(f.errOut, "%s; retrying in %s…\n", retryReason(err), wait.Round(10*time.Millisecond))
}

// retryReason says briefly why a request failed: the server's message, or
// that the server could not be reached.
func retryReason(err error) string {
	var e *dagdeck.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "cannot reach the server (" + err.Error() + ")"
}

// json reports whether -o json was given.
func (f *factory) json() bool { return f.output == outputJSON }

// printJSON writes v to stdout as indented JSON.
func (f *factory) printJSON(v any) error {
	enc := json.NewEncoder(f.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// deletedJSON is the -o json answer of a delete command.
type deletedJSON struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// reportDeleted says that the thing of that kind and id was deleted: on
// stderr, or as deletedJSON on stdout with -o json.
func (f *factory) reportDeleted(kind, id string) error {
	if f.json() {
		return f.printJSON(deletedJSON{ID: id, Deleted: true})
	}
	fmt.Fprintf(f.errOut, "Deleted %s %s.\n", kind, id)
	return nil
}

// readLine reads one line of stdin without its line ending.
func (f *factory) readLine() (string, error) {
	if f.stdin == nil {
		f.stdin = bufio.NewReader(f.in)
	}
	line, err := f.stdin.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	return trimNewline(line), err
}

// confirm asks a yes/no question on stderr; only "y" or "yes" is yes.
func (f *factory) confirm(question string) (bool, error) {
	fmt.Fprintf(f.errOut, "%s [y/N] ", question)
	answer, err := f.readLine()
	if err == io.EOF {
		fmt.Fprintln(f.errOut) // end the prompt's line
	} else if err != nil {
		return false, err
	}
	switch answer {
	case "y", "Y", "yes", "Yes", "YES":
		return true, nil
	}
	return false, nil
}

func readTerminalPassword() (string, error) {
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	return string(b), err
}

// isTerminal returns a func that reports whether the file is a terminal.
func isTerminal(f *os.File) func() bool {
	return func() bool { return term.IsTerminal(int(f.Fd())) }
}

// outputFormat is the value of -o/--output.
type outputFormat string

const (
	outputTable outputFormat = "table"
	outputJSON  outputFormat = "json"
)

func (o *outputFormat) String() string {
	if *o == "" {
		return string(outputTable)
	}
	return string(*o)
}

// Set validates and sets the format.
func (o *outputFormat) Set(s string) error {
	switch outputFormat(s) {
	case outputTable, outputJSON:
		*o = outputFormat(s)
		return nil
	}
	return fmt.Errorf("unknown output format %q: use table or json", s)
}

// Type names the flag's value in help.
func (o *outputFormat) Type() string { return "format" }
