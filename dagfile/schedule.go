package dagfile

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// presets maps the cron presets dagdeck runs to their cron strings. @once is
// handled apart: one run at start_date.
var presets = map[string]string{
	"@hourly":  "0 * * * *",
	"@daily":   "0 0 * * *",
	"@weekly":  "0 0 * * 0",
	"@monthly": "0 0 1 * *",
	"@yearly":  "0 0 1 1 *",
}

// Once is the preset of a Dag that runs once, at its start_date.
const Once = "@once"

// MaxDueRuns bounds what one DueRuns call returns when catching up.
const MaxDueRuns = 1000

// cronParser reads standard 5-field cron strings, without descriptors.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// parseSchedule parses a non-empty schedule; @once yields a nil Schedule.
func parseSchedule(s string) (cron.Schedule, error) {
	if s == Once {
		return nil, nil
	}
	if c, ok := presets[s]; ok {
		s = c
	} else if strings.HasPrefix(s, "@") {
		return nil, fmt.Errorf("preset not supported (dagdeck runs @hourly, @daily, @weekly, @monthly, @yearly, @once)")
	}
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return nil, fmt.Errorf("time zone prefixes are not supported; cron runs in UTC")
	}
	sched, err := cronParser.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid cron: %v", err)
	}
	if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("the cron never fires")
	}
	return sched, nil
}

// NextRun returns the first logical date strictly after `after` (in UTC),
// within [StartDate, EndDate]. Logical dates are the times the schedule
// fires, as with Airflow 3's cron trigger timetable. It returns false for
// manual Dags, invalid schedules, past EndDate, and for @once (whose only
// date is StartDate) once `after` has reached StartDate or when StartDate
// is unset.
func (d *Dag) NextRun(after time.Time) (time.Time, bool) {
	tl, ok := d.timeline()
	if !ok {
		return time.Time{}, false
	}
	return tl.next(after.UTC())
}

// timeline enumerates a scheduled Dag's logical dates.
type timeline struct {
	sched      cron.Schedule // nil for @once
	start, end *time.Time
}

// timeline returns d's timeline; false for manual Dags and invalid schedules.
func (d *Dag) timeline() (timeline, bool) {
	if d.Schedule == "" {
		return timeline{}, false
	}
	sched, err := parseSchedule(d.Schedule)
	return timeline{sched: sched, start: d.StartDate, end: d.EndDate}, err == nil
}

func (tl timeline) next(after time.Time) (time.Time, bool) {
	var t time.Time
	switch {
	case tl.sched == nil: // @once
		if tl.start == nil || !tl.start.After(after) {
			return time.Time{}, false
		}
		t = *tl.start
	case tl.start != nil && tl.start.After(after):
		t = tl.sched.Next(tl.start.Add(-time.Nanosecond)) // start_date itself may fire
	default:
		t = tl.sched.Next(after)
	}
	if t.IsZero() || (tl.end != nil && t.After(*tl.end)) {
		return time.Time{}, false
	}
	return t, true
}

// DueRuns returns the logical dates of the scheduled runs to create at now,
// oldest first, given the logical date of the last scheduled run (nil if
// none). With Catchup it returns every date after last (or from StartDate)
// up to now, at most MaxDueRuns of them (call again for the rest); without
// Catchup, or without StartDate and last, only the latest date up to now if
// it is after last. @once yields StartDate if no run exists yet.
func (d *Dag) DueRuns(last *time.Time, now time.Time) []time.Time {
	now = now.UTC()
	tl, ok := d.timeline()
	if !ok {
		return nil
	}
	if tl.sched == nil { // @once
		if t, ok := tl.next(time.Time{}); ok && last == nil && !t.After(now) {
			return []time.Time{t}
		}
		return nil
	}
	if d.Catchup && (last != nil || d.StartDate != nil) {
		after := time.Time{}
		if last != nil {
			after = *last
		}
		var due []time.Time
		for len(due) < MaxDueRuns {
			t, ok := tl.next(after)
			if !ok || t.After(now) {
				break
			}
			due = append(due, t)
			after = t
		}
		return due
	}
	t, ok := tl.latest(now)
	if !ok || (last != nil && !t.After(*last)) {
		return nil
	}
	return []time.Time{t}
}

// maxLookback bounds the search for the latest date (robfig/cron itself
// gives up after five years).
const maxLookback = 6 * 366 * 24 * time.Hour

// latest returns the latest logical date at or before upTo, searching
// back in doubling windows.
func (tl timeline) latest(upTo time.Time) (time.Time, bool) {
	if tl.end != nil && tl.end.Before(upTo) {
		upTo = *tl.end
	}
	for window := time.Minute; window <= 2*maxLookback; window *= 2 {
		from := upTo.Add(-window)
		floor := tl.start != nil && !from.After(*tl.start)
		if floor {
			from = tl.start.Add(-time.Nanosecond)
		}
		var latest time.Time
		for t, ok := tl.next(from); ok && !t.After(upTo); t, ok = tl.next(t) {
			latest = t
		}
		if !latest.IsZero() {
			return latest, true
		}
		if floor {
			break
		}
	}
	return time.Time{}, false
}
