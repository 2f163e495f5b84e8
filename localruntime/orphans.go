package localruntime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// recoverOrphans ends the tries a runtime that died (a crash, kill -9) left
// "running": what is left of their processes is killed, and each is failed,
// or up for retry now when retries remain. It runs before a worker starts
// anything.
func (w *worker) recoverOrphans(ctx context.Context) error {
	tis, err := w.backend.ListTaskInstances(ctx, w.id, dagdeck.TaskFilter{State: dagdeck.TaskRunning})
	if err != nil {
		return err
	}
	for _, ti := range tis {
		if ti.RunnerID == w.rt.runnerID {
			continue
		}
		if err := w.recoverOrphan(ctx, ti); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) recoverOrphan(ctx context.Context, ti *dagdeck.TaskInstance) error {
	dir := w.rt.deploymentDir(w.id)
	pidPath := filepath.Join(dir, "pids", ti.ID)
	killLeftover(pidPath)
	now := w.now()
	ti.EndedAt = &now
	what := "failed, no retries left"
	if ti.TryNumber < ti.MaxTries {
		ti.State, ti.RetryAt, what = dagdeck.TaskUpForRetry, &now, "up for retry now"
	} else {
		ti.State = dagdeck.TaskFailed
	}
	w.log.Warn("runtime: a try was left running by a runtime that stopped", "taskInstance", ti.ID, "task", ti.TaskID, "runner", ti.RunnerID, "outcome", what)
	logPath := filepath.Join(dir, "logs", ti.ID+".log")
	if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0); err == nil {
		fmt.Fprintf(f, "dagdeck: the runtime running this try (runner %s) stopped before it ended; %s\n", ti.RunnerID, what)
		f.Close()
		if data, err := readTail(logPath, MaxStoredLog); err == nil {
			if err := w.backend.PutTaskLog(ctx, w.id, ti.ID, []byte(mask(string(data), secretValues(w.dep)))); err == nil {
				_ = os.Remove(logPath)
			}
		}
	}
	err := w.backend.UpdateTaskInstance(ctx, w.id, ti)
	if dagdeck.ErrorCode(err) == dagdeck.ECONFLICT {
		return nil
	}
	return err
}

// writePidFile records a try's process group and the start time of its
// leader, so a later runtime can kill what a crash left behind without
// hitting a process that reused the pid.
func writePidFile(path string, pid int) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	start, _ := processStart(pid)
	_ = os.WriteFile(path, []byte(fmt.Sprintf("%d %s\n", pid, start)), 0o600)
}

func removePidFile(path string) { _ = os.Remove(path) }

// killLeftover kills the process group recorded in a pid file if its
// leader is still the process that was started, and removes the file.
func killLeftover(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	defer removePidFile(path)
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		return
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 1 {
		return
	}
	if start, ok := processStart(pid); ok && start == fields[1] {
		signalGroup(pid, sigKill)
	}
}

// processStart returns a process's start time (in clock ticks since boot,
// from /proc); false where /proc is not available.
func processStart(pid int) (string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", false
	}
	// After "pid (comm)" come the fields from the 3rd on; starttime is the 22nd.
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return "", false
	}
	return fields[19], true
}
