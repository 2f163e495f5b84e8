package dagdeck

import "net/http"

// httpStatuses is the one table of error codes and HTTP statuses: the
// server answers a code with its status, and the client reads a status
// without a JSON body (a proxy's error page) back as its code.
var httpStatuses = []struct {
	code   string
	status int
}{
	{EINVALID, http.StatusBadRequest},
	{EUNAUTHORIZED, http.StatusUnauthorized},
	{EFORBIDDEN, http.StatusForbidden},
	{ENOTFOUND, http.StatusNotFound},
	{ECONFLICT, http.StatusConflict},
	{ETOOLARGE, http.StatusRequestEntityTooLarge},
	{EUNPROCESSABLE, http.StatusUnprocessableEntity},
	{EINTERNAL, http.StatusInternalServerError},
	{ENOTIMPLEMENTED, http.StatusNotImplemented},
	{EUNAVAILABLE, http.StatusServiceUnavailable},
}

// HTTPStatus returns the HTTP status of an error code; 500 for an unknown code.
func HTTPStatus(code string) int {
	for _, e := range httpStatuses {
		if e.code == code {
			return e.status
		}
	}
	return http.StatusInternalServerError
}

// CodeOfHTTPStatus returns the error code of an HTTP status, the reverse of
// HTTPStatus; EINTERNAL for a status no code has.
func CodeOfHTTPStatus(status int) string {
	for _, e := range httpStatuses {
		if e.status == status {
			return e.code
		}
	}
	return EINTERNAL
}
