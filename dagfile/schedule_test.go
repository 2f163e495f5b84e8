package dagfile

import (
	"reflect"
	"testing"
	"time"
)

func ptr(t time.Time) *time.Time { return &t }

func TestDag_NextRun(t *testing.T) {
	t.Parallel()
	jan1 := date(2026, 1, 1, 0, 0)
	tests := []struct {
		name  string
		dag   Dag
		after time.Time
		want  time.Time // zero: none
	}{
		{"Manual", Dag{}, jan1, time.Time{}},
		{"BeforeStartDate", Dag{Schedule: "30 2 * * *", StartDate: &jan1}, date(2025, 6, 1, 0, 0), date(2026, 1, 1, 2, 30)},
		{"StrictlyAfter", Dag{Schedule: "30 2 * * *", StartDate: &jan1}, date(2026, 1, 5, 2, 30), date(2026, 1, 6, 2, 30)},
		{"SubSecond", Dag{Schedule: "30 2 * * *"}, date(2026, 1, 5, 2, 30).Add(-time.Millisecond), date(2026, 1, 5, 2, 30)},
		{"StartDateFires", Dag{Schedule: "@daily", StartDate: &jan1}, date(2025, 12, 31, 12, 0), jan1},
		{"StartDateBetweenFires", Dag{Schedule: "@daily", StartDate: ptr(date(2026, 1, 1, 0, 1))}, date(2025, 12, 1, 0, 0), date(2026, 1, 2, 0, 0)},
		{"EndDateInclusive", Dag{Schedule: "@daily", EndDate: ptr(date(2026, 1, 3, 0, 0))}, date(2026, 1, 2, 0, 0), date(2026, 1, 3, 0, 0)},
		{"PastEndDate", Dag{Schedule: "@daily", EndDate: ptr(date(2026, 1, 3, 0, 0))}, date(2026, 1, 3, 0, 0), time.Time{}},
		{"Hourly", Dag{Schedule: "@hourly"}, date(2026, 1, 5, 10, 15), date(2026, 1, 5, 11, 0)},
		{"Weekly", Dag{Schedule: "@weekly"}, date(2026, 1, 5, 0, 0), date(2026, 1, 11, 0, 0)},
		{"Monthly", Dag{Schedule: "@monthly"}, date(2026, 1, 15, 0, 0), date(2026, 2, 1, 0, 0)},
		{"Yearly", Dag{Schedule: "@yearly"}, date(2026, 1, 15, 0, 0), date(2027, 1, 1, 0, 0)},
		{"WeekdaysByName", Dag{Schedule: "0 3 * * MON-FRI"}, date(2026, 1, 9, 3, 0), date(2026, 1, 12, 3, 0)},
		{"AfterInOtherZone", Dag{Schedule: "30 2 * * *"}, time.Date(2026, 1, 5, 3, 0, 0, 0, time.FixedZone("CEST", 2*3600)), date(2026, 1, 5, 2, 30)},
		{"OnceBeforeStart", Dag{Schedule: "@once", StartDate: ptr(date(2026, 3, 1, 10, 0))}, jan1, date(2026, 3, 1, 10, 0)},
		{"OnceAtStart", Dag{Schedule: "@once", StartDate: ptr(date(2026, 3, 1, 10, 0))}, date(2026, 3, 1, 10, 0), time.Time{}},
		{"OnceWithoutStart", Dag{Schedule: "@once"}, jan1, time.Time{}},
		{"InvalidSchedule", Dag{Schedule: "@sometimes"}, jan1, time.Time{}},
	}
	for _, tt := range tests {
		got, ok := tt.dag.NextRun(tt.after)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("%s: NextRun(%v) = %v, %v; want %v", tt.name, tt.after, got, ok, tt.want)
		}
	}
}

func TestDag_DueRuns(t *testing.T) {
	t.Parallel()
	jan1 := date(2026, 1, 1, 0, 0)
	day := func(d int) time.Time { return date(2026, 1, d, 0, 0) }
	daily := func(catchup bool) Dag { return Dag{Schedule: "@daily", StartDate: &jan1, Catchup: catchup} }
	now := date(2026, 1, 4, 12, 0)
	tests := []struct {
		name string
		dag  Dag
		last *time.Time
		now  time.Time
		want []time.Time
	}{
		{"CatchupFromStart", daily(true), nil, now, []time.Time{day(1), day(2), day(3), day(4)}},
		{"CatchupFromLast", daily(true), ptr(day(2)), now, []time.Time{day(3), day(4)}},
		{"CatchupUpToDate", daily(true), ptr(day(4)), now, nil},
		{"CatchupNowOnFireTime", daily(true), ptr(day(3)), day(4), []time.Time{day(4)}},
		{"CatchupLastBeforeStart", daily(true), ptr(date(2025, 12, 1, 0, 0)), day(2), []time.Time{day(1), day(2)}},
		{"CatchupEndDate", Dag{Schedule: "@daily", StartDate: &jan1, EndDate: ptr(day(2)), Catchup: true}, nil, now, []time.Time{day(1), day(2)}},
		{"CatchupWithoutStartOrLast", Dag{Schedule: "@daily", Catchup: true}, nil, now, []time.Time{day(4)}},
		{"NoCatchupLatestOnly", daily(false), nil, now, []time.Time{day(4)}},
		{"NoCatchupSkipsMissed", daily(false), ptr(day(1)), now, []time.Time{day(4)}},
		{"NoCatchupUpToDate", daily(false), ptr(day(4)), now, nil},
		{"NoCatchupEndDatePassed", Dag{Schedule: "@daily", StartDate: &jan1, EndDate: ptr(day(2))}, nil, day(10), []time.Time{day(2)}},
		{"NoCatchupEndDateDone", Dag{Schedule: "@daily", StartDate: &jan1, EndDate: ptr(day(2))}, ptr(day(2)), day(10), nil},
		{"StartInFuture", Dag{Schedule: "@daily", StartDate: ptr(day(20))}, nil, now, nil},
		{"StartToday", Dag{Schedule: "30 2 * * *", StartDate: ptr(day(4))}, nil, now, []time.Time{date(2026, 1, 4, 2, 30)}},
		{"YearlyLongLookback", Dag{Schedule: "@yearly"}, nil, date(2026, 6, 1, 0, 0), []time.Time{jan1}},
		{"LeapDayLookback", Dag{Schedule: "0 0 29 2 *"}, nil, date(2027, 3, 1, 0, 0), []time.Time{date(2024, 2, 29, 0, 0)}},
		{"OnceDue", Dag{Schedule: "@once", StartDate: ptr(day(2))}, nil, now, []time.Time{day(2)}},
		{"OnceNotYet", Dag{Schedule: "@once", StartDate: ptr(day(10))}, nil, now, nil},
		{"OnceAlreadyRan", Dag{Schedule: "@once", StartDate: ptr(day(2))}, ptr(day(2)), now, nil},
		{"OnceWithoutStart", Dag{Schedule: "@once", Catchup: true}, nil, now, nil},
		{"Manual", Dag{StartDate: &jan1, Catchup: true}, nil, now, nil},
	}
	for _, tt := range tests {
		if got := tt.dag.DueRuns(tt.last, tt.now); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: DueRuns = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDag_DueRunsCatchupIsBounded(t *testing.T) {
	t.Parallel()
	start := date(2026, 1, 1, 0, 0)
	d := Dag{Schedule: "* * * * *", StartDate: &start, Catchup: true}
	got := d.DueRuns(nil, date(2026, 1, 10, 0, 0))
	if len(got) != MaxDueRuns || !got[0].Equal(start) || !got[MaxDueRuns-1].Equal(start.Add((MaxDueRuns-1)*time.Minute)) {
		t.Fatalf("got %d runs from %v to %v; want %d from %v", len(got), got[0], got[len(got)-1], MaxDueRuns, start)
	}
	next := d.DueRuns(&got[len(got)-1], date(2026, 1, 10, 0, 0))
	if len(next) == 0 {
		t.Fatal("the next call returns nothing")
	}
	if !next[0].Equal(start.Add(MaxDueRuns * time.Minute)) {
		t.Errorf("the next call continues at %v, want %v", next[0], start.Add(MaxDueRuns*time.Minute))
	}
}
