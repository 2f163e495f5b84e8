package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// wantEqual fails t with every differing field unless got equals want,
// where times are equal if they are within a microsecond of each other
// (stores keep at least microseconds) and got's are in UTC, nil and empty
// slices are equal, and nil and non-nil pointers are not.
func wantEqual(t *testing.T, want, got any) {
	t.Helper()
	var diffs []string
	diff("", reflect.ValueOf(want), reflect.ValueOf(got), &diffs)
	if len(diffs) > 0 {
		t.Fatalf("mismatch (-want +got):\n%s", strings.Join(diffs, "\n"))
	}
}

func diff(path string, want, got reflect.Value, out *[]string) {
	report := func(w, g any) { *out = append(*out, fmt.Sprintf("  %s: want %v, got %v", orRoot(path), w, g)) }
	if !want.IsValid() || !got.IsValid() {
		if want.IsValid() != got.IsValid() {
			report(want, got)
		}
		return
	}
	if want.Type() != got.Type() {
		report(want.Type(), got.Type())
		return
	}
	switch {
	case want.Type() == timeType:
		w, g := want.Interface().(time.Time), got.Interface().(time.Time)
		if d := g.Sub(w); d >= time.Microsecond || d <= -time.Microsecond {
			report(w.Format(time.RFC3339Nano), g.Format(time.RFC3339Nano))
		} else if g.Location() != time.UTC {
			report("a time in UTC", g.Format(time.RFC3339Nano))
		}
	case want.Kind() == reflect.Pointer || want.Kind() == reflect.Interface:
		if want.IsNil() || got.IsNil() {
			if want.IsNil() != got.IsNil() {
				report(describe(want), describe(got))
			}
			return
		}
		diff(path, want.Elem(), got.Elem(), out)
	case want.Kind() == reflect.Struct:
		for i := range want.NumField() {
			diff(path+"."+want.Type().Field(i).Name, want.Field(i), got.Field(i), out)
		}
	case want.Kind() == reflect.Slice:
		if want.Len() != got.Len() {
			report(fmt.Sprintf("%d elements", want.Len()), fmt.Sprintf("%d elements", got.Len()))
			return
		}
		for i := range want.Len() {
			diff(fmt.Sprintf("%s[%d]", path, i), want.Index(i), got.Index(i), out)
		}
	default:
		if !reflect.DeepEqual(want.Interface(), got.Interface()) {
			report(fmt.Sprintf("%#v", want.Interface()), fmt.Sprintf("%#v", got.Interface()))
		}
	}
}

func describe(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return fmt.Sprintf("%+v", v.Elem().Interface())
}

func orRoot(path string) string {
	if path == "" {
		return "(value)"
	}
	return path
}
