package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dagdeck/dagdeck"
)

// maxFollowInterval caps the backoff of tasks logs --follow.
const maxFollowInterval = 5 * time.Second

// taskLogJSON is the -o json form of a task log (one object per new chunk
// with --follow).
type taskLogJSON struct {
	TaskInstanceID string `json:"taskInstanceId"`
	State          string `json:"state"`
	Log            string `json:"log"`
}

func newTasksLogsCmd(f *factory) *cobra.Command {
	var deployment string
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs TASK_INSTANCE_ID --deployment ID_OR_NAME [--follow]",
		Short: "Print the log of one task try, or follow it while it runs",
		Long: `Print the log of one task try (one task instance).

With --follow, keep printing what the try writes until it ends (its state
is no longer scheduled or running); Ctrl-C stops following. The server is
polled, less often while nothing new arrives.

With -o json, print {"taskInstanceId", "state", "log"}; with --follow, one
such object per line for each new piece of the log.`,
		Example: `  dagdeck tasks logs 01hx3k… --deployment etl-prod
  dagdeck tasks logs 01hx3k… -d etl-prod --follow
  dagdeck tasks logs 01hx3k… -d etl-prod -o json | jq -r .log`,
		Args:              exactArgs(1, "one task instance id"),
		ValidArgsFunction: f.completeTaskArg(&deployment),
		RunE: func(cmd *cobra.Command, args []string) error {
			if follow {
				return f.followTaskLog(cmd.Context(), deployment, args[0])
			}
			return f.printTaskLog(cmd.Context(), deployment, args[0])
		},
	}
	f.deploymentFlag(cmd, &deployment)
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing the log until the try ends")
	return cmd
}

// printTaskLog prints a try's log once.
func (f *factory) printTaskLog(ctx context.Context, deployment, id string) error {
	if !f.json() {
		log, err := f.client().TaskLog(ctx, deployment, id)
		if err != nil {
			return err
		}
		_, err = f.out.Write(log)
		return err
	}
	ti, err := f.client().GetTaskInstance(ctx, deployment, id)
	if err != nil {
		return err
	}
	log, err := f.client().TaskLog(ctx, deployment, id)
	if err != nil {
		return err
	}
	return f.printJSON(taskLogJSON{TaskInstanceID: ti.ID, State: ti.State, Log: string(log)})
}

// followTaskLog prints a try's log as it grows until the try ends or ctx
// is cancelled (Ctrl-C), which is not an error.
func (f *factory) followTaskLog(ctx context.Context, deployment, id string) error {
	var seen []byte
	interval := f.pollInterval
	for {
		ended, chunk, err := f.pollTaskLog(ctx, deployment, id, &seen)
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil
		} else if err != nil {
			return err
		}
		if ended {
			return nil
		}
		interval = nextInterval(interval, f.pollInterval, chunk)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// nextInterval backs off while the log does not grow: double the wait up
// to maxFollowInterval, back to base when something new arrived.
func nextInterval(cur, base time.Duration, grew bool) time.Duration {
	if grew {
		return base
	}
	return min(2*cur, max(base, maxFollowInterval))
}

// pollTaskLog reads the try's state, then its log (a runtime stores the
// final log before it ends a try), and prints what *seen lacks. It reports
// whether the try has ended and whether anything new was printed.
func (f *factory) pollTaskLog(ctx context.Context, deployment, id string, seen *[]byte) (ended, grew bool, err error) {
	ti, err := f.client().GetTaskInstance(ctx, deployment, id)
	if err != nil {
		return false, false, err
	}
	log, err := f.client().TaskLog(ctx, deployment, id)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		log, err = nil, nil // it has not started yet
	}
	if err != nil {
		return false, false, err
	}
	chunk, restarted := newLogBytes(*seen, log)
	*seen = log
	if restarted {
		fmt.Fprintln(f.errOut, "(the stored log was rewritten; printing it again from its start)")
	}
	if len(chunk) > 0 {
		if err := f.writeLogChunk(ti, chunk); err != nil {
			return false, false, err
		}
	}
	return dagdeck.TryEnded(ti.State), len(chunk) > 0, nil
}

// writeLogChunk prints new log bytes, or with -o json a taskLogJSON line.
func (f *factory) writeLogChunk(ti *dagdeck.TaskInstance, chunk []byte) error {
	if !f.json() {
		_, err := f.out.Write(chunk)
		return err
	}
	b, err := json.Marshal(taskLogJSON{TaskInstanceID: ti.ID, State: ti.State, Log: string(chunk)})
	if err != nil {
		return fmt.Errorf("encode log: %w", err)
	}
	_, err = f.out.Write(append(b, '\n'))
	return err
}

// newLogBytes returns what cur adds to the log already printed, prev. The
// server stores only a try's last bytes, so the start of cur may have moved
// past the start of prev: then the new bytes follow the longest end of
// prev that starts cur. If cur does not continue prev at all, all of cur
// is new and restarted is true.
func newLogBytes(prev, cur []byte) (chunk []byte, restarted bool) {
	if bytes.HasPrefix(cur, prev) {
		return cur[len(prev):], false
	}
	if n := overlap(prev, cur); n > 0 {
		return cur[n:], false
	}
	return cur, len(prev) > 0
}

// overlap returns the length of the longest end of prev that is also a
// start of cur, in linear time (Knuth–Morris–Pratt with cur as pattern).
func overlap(prev, cur []byte) int {
	p := cur[:min(len(cur), len(prev))]
	if len(p) == 0 {
		return 0
	}
	fail := make([]int, len(p))
	for i, k := 1, 0; i < len(p); i++ {
		for k > 0 && p[i] != p[k] {
			k = fail[k-1]
		}
		if p[i] == p[k] {
			k++
		}
		fail[i] = k
	}
	j := 0
	for _, b := range prev {
		for j > 0 && (j == len(p) || b != p[j]) {
			j = fail[j-1]
		}
		if b == p[j] {
			j++
		}
	}
	return j
}
