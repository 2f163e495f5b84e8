package sqldb

import (
	"testing"
	"time"
)

// TestParseStoredTime: the digit-by-digit parser agrees with time.Parse on
// every stored time and on every malformed one.
func TestParseStoredTime(t *testing.T) {
	for _, tt := range []string{
		"2026-11-30T13:05:09.123456Z", "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z",
		"2024-02-29T00:00:00.000000Z", "2023-02-29T00:00:00.000000Z", "2026-13-01T00:00:00.000000Z",
		"2026-11-31T00:00:00.000000Z", "2026-11-30T24:00:00.000000Z", "2026-11-30T13:60:00.000000Z",
		"2026-11-30 13:05:09.123456Z", "2026-11-30T13:05:09.12345xZ", "2026-11-30T13:05:09Z", "",
		"2026-11-30T13:05:09.123456+", "-026-11-30T13:05:09.123456Z",
	} {
		got, gotErr := parseStoredTime(tt)
		want, wantErr := time.Parse(TimeLayout, tt)
		if !got.Equal(want) || got.Location() != want.Location() || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%q: got %v, %v; time.Parse: %v, %v", tt, got, gotErr, want, wantErr)
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range 1000 {
		at := now.Add(-time.Duration(i) * 7919 * time.Minute)
		if got, err := parseStoredTime(at.Format(TimeLayout)); err != nil || !got.Equal(at) {
			t.Fatalf("%v: got %v, %v", at, got, err)
		}
	}
}
