package dagdeck

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the API: the HTTP server maps each to a status
// and returns it in the JSON error body, and the client maps it back.
const (
	ECONFLICT       = "ECONFLICT"       // the request conflicts with the current state (e.g. a deploy in progress)
	EINTERNAL       = "EINTERNAL"       // a bug; details are logged, not shown
	EINVALID        = "EINVALID"        // the request is malformed or breaks a rule
	ENOTFOUND       = "ENOTFOUND"       // the named thing does not exist
	EUNAUTHORIZED   = "EUNAUTHORIZED"   // no or a bad credential
	EFORBIDDEN      = "EFORBIDDEN"      // the credential's role may not do this
	ETOOLARGE       = "ETOOLARGE"       // a body or field exceeds a limit
	EUNPROCESSABLE  = "EUNPROCESSABLE"  // well-formed but refused by a rule (e.g. a downgrade not confirmed)
	ENOTIMPLEMENTED = "ENOTIMPLEMENTED" // the feature is not available (e.g. on this runtime version)
	EUNAVAILABLE    = "EUNAVAILABLE"    // a dependency (metadata store, artifact store) cannot be reached now; try again
)

// Error is dagdeck's error type: a machine-readable code and a message safe to
// show to the user.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("dagdeck error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for any other non-nil error so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// MissingBlobsError is returned when a deploy cannot be finalized because
// some of its files were never uploaded (or were removed since). Its code is
// EINVALID; Digests lists what to upload before finalizing again.
type MissingBlobsError struct {
	Digests []string
}

// Error implements the error interface.
func (e *MissingBlobsError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the equivalent *Error, so ErrorCode and ErrorMessage work.
func (e *MissingBlobsError) Unwrap() error {
	return Errorf(EINVALID, "%d file(s) of this deploy have not been uploaded; upload them and finalize again", len(e.Digests))
}

// Unavailable returns an EUNAVAILABLE error naming the dependency that
// could not be reached (such as "metadata store"), wrapping cause so that
// logs keep the details while the user sees only the message.
func Unavailable(dependency string, cause error) error {
	return &unavailableError{err: Errorf(EUNAVAILABLE, "%s unreachable; try again shortly", dependency), cause: cause}
}

// unavailableError is an EUNAVAILABLE *Error with the error that caused it.
type unavailableError struct {
	err   *Error
	cause error
}

// Error implements the error interface, with the cause for logs.
func (e *unavailableError) Error() string { return e.err.Error() + ": " + e.cause.Error() }

// Unwrap returns the *Error (for ErrorCode) and the cause.
func (e *unavailableError) Unwrap() []error { return []error{e.err, e.cause} }
