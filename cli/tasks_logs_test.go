package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dagdeck/dagdeck"
)

// followAPI returns a fake whose task ti1 goes through steps, starting
// with logStep -1 so that the first read shows steps[0].
func followAPI(t *testing.T, steps ...logStep) *fakeAPI {
	api := newFakeAPI(t)
	api.logSteps, api.logStep = steps, -1
	return api
}

func TestTasksLogs_Follow(t *testing.T) {
	t.Parallel()
	api := followAPI(t,
		logStep{dagdeck.TaskScheduled, nil},
		logStep{dagdeck.TaskRunning, []byte("")},
		logStep{dagdeck.TaskRunning, []byte("one\n")},
		logStep{dagdeck.TaskRunning, []byte("one\n")},
		logStep{dagdeck.TaskRunning, []byte("one\ntwo\n")},
		// The server keeps only the last bytes: "one\n" fell off.
		logStep{dagdeck.TaskRunning, []byte("two\nthree\n")},
		logStep{dagdeck.TaskFailed, []byte("two\nthree\nexit code 1\n")},
		logStep{dagdeck.TaskFailed, []byte("never read\n")},
	)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("tasks", "logs", "ti1", "-d", "etl", "--follow"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if got := tio.out.String(); got != "one\ntwo\nthree\nexit code 1\n" {
		t.Fatalf("stdout %q", got)
	}
	if n := api.count("GET /api/v1/deployments/etl/tasks/ti1/log"); n != 7 {
		t.Fatalf("%d log reads, want 7 (it stops when the try has ended)", n)
	}
}

func TestTasksLogs_FollowJSON(t *testing.T) {
	t.Parallel()
	api := followAPI(t,
		logStep{dagdeck.TaskRunning, []byte("one\n")},
		logStep{dagdeck.TaskSuccess, []byte("one\ntwo\n")},
	)
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("tasks", "logs", "ti1", "-d", "etl", "-f", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	var got []taskLogJSON
	dec := json.NewDecoder(tio.out)
	for dec.More() {
		var l taskLogJSON
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	want := []taskLogJSON{{"ti1", dagdeck.TaskRunning, "one\n"}, {"ti1", dagdeck.TaskSuccess, "two\n"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("lines %+v, want %+v", got, want)
	}
}

func TestTasksLogs_JSON(t *testing.T) {
	t.Parallel()
	api := followAPI(t, logStep{dagdeck.TaskSuccess, []byte("hello\n")})
	tio := newTestFactory(t, api.start(), "")
	if code := tio.run("tasks", "logs", "ti1", "-d", "etl", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	var got taskLogJSON
	if err := json.Unmarshal(tio.out.Bytes(), &got); err != nil || got != (taskLogJSON{"ti1", dagdeck.TaskSuccess, "hello\n"}) {
		t.Fatalf("json %q: %+v, %v", tio.out, got, err)
	}
}

// TestTasksLogs_FollowInterrupted stops cleanly, exit 0, when the context
// is cancelled (Ctrl-C) while the try still runs.
func TestTasksLogs_FollowInterrupted(t *testing.T) {
	t.Parallel()
	api := followAPI(t, logStep{dagdeck.TaskRunning, []byte("one\n")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api.onPoll = func(step int) {
		if step >= 0 {
			cancel()
		}
	}
	tio := newTestFactory(t, api.start(), "")
	tio.f.pollInterval = time.Hour // only the cancellation can end the wait
	if code := tio.runContext(ctx, "tasks", "logs", "ti1", "-d", "etl", "--follow"); code != 0 {
		t.Fatalf("exit %d: %s", code, tio.errOut)
	}
	if tio.errOut.Len() != 0 {
		t.Fatalf("stderr %q", tio.errOut)
	}
}

func TestNextInterval(t *testing.T) {
	t.Parallel()
	base := time.Second
	var got []time.Duration
	d := base
	for _, grew := range []bool{false, false, false, false, true, false} {
		d = nextInterval(d, base, grew)
		got = append(got, d)
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second, time.Second, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("intervals %v, want %v", got, want)
		}
	}
}

func TestNewLogBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prev, cur, want string
		restarted       bool
	}{
		{"", "", "", false},
		{"", "abc", "abc", false},
		{"abc", "abc", "", false},
		{"abc", "abcdef", "def", false},
		{"abcdef", "cdefgh", "gh", false},
		{"aaaa", "aaaab", "b", false},
		{"abab", "ababab", "ab", false},
		{"abc", "xyz", "xyz", true},
	}
	for _, tt := range tests {
		got, restarted := newLogBytes([]byte(tt.prev), []byte(tt.cur))
		if string(got) != tt.want || restarted != tt.restarted {
			t.Errorf("newLogBytes(%q, %q) = %q, %v; want %q, %v", tt.prev, tt.cur, got, restarted, tt.want, tt.restarted)
		}
	}
}

// TestOverlap compares overlap with the obvious quadratic search on random
// logs of a small alphabet, where repeats are common.
func TestOverlap(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab\n"[r.IntN(3)]
		}
		return b
	}
	for range 2000 {
		prev, cur := word(r.IntN(20)), word(r.IntN(20))
		if r.IntN(2) == 0 && len(prev) > 0 { // a slid window
			cur = append(bytes.Clone(prev[r.IntN(len(prev)):]), cur...)
		}
		want := 0
		for k := min(len(prev), len(cur)); k > 0; k-- {
			if bytes.Equal(prev[len(prev)-k:], cur[:k]) {
				want = k
				break
			}
		}
		if got := overlap(prev, cur); got != want {
			t.Fatalf("overlap(%q, %q) = %d, want %d", prev, cur, got, want)
		}
	}
}
