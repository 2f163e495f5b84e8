package cli

import (
	"errors"

	"github.com/dagdeck/dagdeck"
)

// Exit codes of the dagdeck command, documented in `dagdeck help` and the
// README so scripts can rely on them.
const (
	// ExitOK means the command did what was asked.
	ExitOK = 0
	// ExitFailure is any other failure: the server is unreachable, a
	// Deployment or deploy does not exist, the server failed, …
	ExitFailure = 1
	// ExitUsage means the command line was wrong, or the server found the
	// request invalid (EINVALID, ETOOLARGE).
	ExitUsage = 2
	// ExitRefused means a rule or the current state refused the request
	// (EUNPROCESSABLE, ECONFLICT): nothing changed.
	ExitRefused = 3
	// ExitAuth means no valid credential, or one whose role may not do this
	// (EUNAUTHORIZED, EFORBIDDEN).
	ExitAuth = 4
)

// exitCodesHelp is the exit-code table shown in `dagdeck help`.
const exitCodesHelp = `Exit codes:
  0  ok
  1  failure (server or its stores unreachable, not found, server error, …)
  2  usage error: bad flags or arguments, or a request the server finds invalid (EINVALID, ETOOLARGE)
  3  refused by a rule or the current state (EUNPROCESSABLE, ECONFLICT); nothing changed
  4  not authenticated or not allowed (EUNAUTHORIZED, EFORBIDDEN)`

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	if isUsageError(err) {
		return ExitUsage
	}
	var missing *dagdeck.MissingBlobsError
	if errors.As(err, &missing) {
		return ExitFailure // an upload went wrong, not the command line
	}
	var de *dagdeck.Error
	if !errors.As(err, &de) {
		return ExitFailure
	}
	switch de.Code {
	case dagdeck.EINVALID, dagdeck.ETOOLARGE:
		return ExitUsage
	case dagdeck.EUNPROCESSABLE, dagdeck.ECONFLICT:
		return ExitRefused
	case dagdeck.EUNAUTHORIZED, dagdeck.EFORBIDDEN:
		return ExitAuth
	}
	return ExitFailure
}
