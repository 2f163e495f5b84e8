package localruntime

import (
	"bytes"
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
	if _, err := os.Stat(pidPath); err == nil {
		killLeftover(pidPath)
	} else {
		killByEnvironment(ti.ID)
	}
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
		if data, err := readMaskedTail(logPath, MaxStoredLog, secretValues(w.dep)); err == nil {
			if err := w.backend.PutTaskLog(ctx, w.id, ti.ID, data); err == nil {
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
// hitting processes that reused the numbers. It is written to a temporary
// file, synced and renamed, so a crash never leaves half a pid file.
func writePidFile(path string, pid int) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	start, _ := processStart(pid)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	_, err = fmt.Fprintf(f, "%d %s\n", pid, start)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
}

func removePidFile(path string) { _ = os.Remove(path) }

// killLeftover kills what is left of the process group recorded in a pid
// file, and removes the file. The leader may be gone while its children
// still run (a `cmd &` in the task, or a shell killed by SIGPIPE when the
// runtime that read its output died), so the group is killed whenever a
// process of it started no earlier than the leader — unless a process
// with the leader's pid and another start time exists: the number was
// reused and the group is not the try's.
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
	start, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return
	}
	if leaderStart, ok := processStart(pid); ok {
		if leaderStart == fields[1] {
			signalGroup(pid, sigKill)
		}
		return
	}
	if groupLeft(pid, start) {
		signalGroup(pid, sigKill)
	}
}

// groupLeft reports whether a process of group pgid that started at or
// after start (clock ticks since boot) still exists, from /proc.
func groupLeft(pgid int, start uint64) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fields, ok := procStat(pid)
		if !ok || fields[0] == "Z" {
			continue
		}
		// fields[0] is the state (3rd field), [2] the pgrp, [19] starttime.
		pgrp, err1 := strconv.Atoi(fields[2])
		st, err2 := strconv.ParseUint(fields[19], 10, 64)
		if err1 == nil && err2 == nil && pgrp == pgid && st >= start {
			return true
		}
	}
	return false
}

// processStart returns a process's start time (in clock ticks since boot,
// from /proc); false where /proc is not available.
func processStart(pid int) (string, bool) {
	fields, ok := procStat(pid)
	if !ok {
		return "", false
	}
	return fields[19], true
}

// procStat returns the fields of /proc/<pid>/stat from the 3rd (state) on;
// false if the process does not exist or /proc is not available.
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return nil, false
	}
	return fields, true
}

// killByEnvironment kills the process groups of the processes whose
// environment names the try (taskInstanceVar): the fallback when a crash
// came between starting the try and writing its pid file. Without /proc
// it does nothing.
func killByEnvironment(taskInstanceID string) {
	marker := []byte(taskInstanceVar + "=" + taskInstanceID + "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 1 || pid == os.Getpid() {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(environ, marker) {
			continue
		}
		if pgid, err := processGroup(pid); err == nil && pgid > 1 {
			signalGroup(pgid, sigKill)
		}
	}
}
