package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/pflag"
)

// Log formats of --log-format.
const (
	logText = "text" // key=value lines, for people
	logJSON = "json" // one JSON object per line, for log collectors
)

// logFlags are the logging flags of the server and runtime commands.
type logFlags struct {
	format string
	debug  bool
}

func (l *logFlags) register(f *pflag.FlagSet) {
	f.StringVar(&l.format, "log-format", logText, "log format: text or json")
	f.BoolVar(&l.debug, "debug", false, "log at debug level")
}

// logger returns a logger writing to w in the chosen format.
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if l.debug {
		opts.Level = slog.LevelDebug
	}
	switch l.format {
	case logText, "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case logJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want %s or %s", l.format, logText, logJSON)
}
