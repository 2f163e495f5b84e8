package dagdeck

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestHTTPStatus_RoundTrip(t *testing.T) {
	seen := map[int]bool{}
	for _, code := range []string{ECONFLICT, EINTERNAL, EINVALID, ENOTFOUND, EUNAUTHORIZED, EFORBIDDEN, ETOOLARGE, EUNPROCESSABLE, ENOTIMPLEMENTED, EUNAVAILABLE} {
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

func TestUnavailable(t *testing.T) {
	cause := errors.New("dial tcp 127.0.0.1:5432: connection refused")
	err := fmt.Errorf("list deploys: %w", Unavailable("metadata store", cause))
	if ErrorCode(err) != EUNAVAILABLE || HTTPStatus(ErrorCode(err)) != 503 {
		t.Errorf("code %s, status %d: want EUNAVAILABLE, 503", ErrorCode(err), HTTPStatus(ErrorCode(err)))
	}
	if msg := ErrorMessage(err); msg != "metadata store unreachable; try again shortly" {
		t.Errorf("message %q", msg)
	}
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("%v: the cause is lost", err)
	}
}
