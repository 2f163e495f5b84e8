package sqldb

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestRebindQueries(t *testing.T) {
	pg := RebindQueries(Statements, func(n int) string { return "$" + strconv.Itoa(n) })
	if got := pg.FindDeploy; !strings.HasSuffix(got, "WHERE id = $1") {
		t.Fatalf("FindDeploy = %q", got)
	}
	v, w := reflect.ValueOf(Statements), reflect.ValueOf(pg)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		q, r := v.Field(i).String(), w.Field(i).String()
		if q == "" {
			t.Errorf("%s has no statement", name)
		}
		if strings.Count(q, "?") != strings.Count(r, "$") || strings.Contains(r, "?") {
			t.Errorf("%s: %d placeholders became %q", name, strings.Count(q, "?"), r)
		}
	}
	if got := rebind(`SELECT '?' WHERE a = ? AND b = ?`, func(n int) string { return "$" + strconv.Itoa(n) }); got != `SELECT '?' WHERE a = $1 AND b = $2` {
		t.Fatalf("quoted ? rewritten: %q", got)
	}
}
