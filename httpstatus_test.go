package dagdeck

import "testing"

func TestHTTPStatus_RoundTrip(t *testing.T) {
	seen := map[int]bool{}
	for _, code := range []string{ECONFLICT, EINTERNAL, EINVALID, ENOTFOUND, EUNAUTHORIZED, EFORBIDDEN, ETOOLARGE, EUNPROCESSABLE, ENOTIMPLEMENTED} {
		status := HTTPStatus(code)
		if status < 400 || seen[status] {
			t.Errorf("%s → %d: want a distinct error status", code, status)
		}
		seen[status] = true
		if back := CodeOfHTTPStatus(status); back != code {
			t.Errorf("%s → %d → %s", code, status, back)
		}
	}
	if HTTPStatus("EMADEUP") != 500 || CodeOfHTTPStatus(418) != EINTERNAL {
		t.Error("unknown codes and statuses are not internal errors")
	}
}
