package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// errorBody is the JSON body of an error response.
type errorBody struct {
	Code      string   `json:"code"`
	Message   string   `json:"message"`
	Missing   []string `json:"missing"`
	RequestID string   `json:"requestId"`
}

// decodeError turns a non-2xx response into *dagdeck.Error, or
// *dagdeck.MissingBlobsError when the body lists missing digests.
func decodeError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body errorBody
	if json.Unmarshal(raw, &body) != nil || body.Code == "" {
		return fallbackError(resp.StatusCode, raw)
	}
	if len(body.Missing) > 0 {
		return &dagdeck.MissingBlobsError{Digests: body.Missing}
	}
	if body.Code == dagdeck.EINTERNAL && body.RequestID != "" {
		// The server logged the details under this id; tell the user so.
		body.Message += " (request id " + body.RequestID + ")"
	}
	return &dagdeck.Error{Code: body.Code, Message: body.Message}
}

// fallbackError builds an error from a status and a non-JSON body.
func fallbackError(status int, raw []byte) *dagdeck.Error {
	code := dagdeck.CodeOfHTTPStatus(status)
	msg := fmt.Sprintf("server answered %d %s", status, http.StatusText(status))
	if text := strings.TrimSpace(string(raw)); text != "" && len(text) <= 200 && !strings.Contains(text, "<") {
		msg += ": " + text
	}
	return &dagdeck.Error{Code: code, Message: msg}
}
