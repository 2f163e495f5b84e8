package dagfile

import (
	"slices"
	"strings"
)

// sortTasks orders tasks so each comes after the tasks it needs, keeping
// file order among independent tasks, or reports a dependency cycle.
func (p *docParser) sortTasks(tasks []*Task) ([]*Task, *docError) {
	done := map[string]bool{}
	sorted := make([]*Task, 0, len(tasks))
	for len(sorted) < len(tasks) {
		progress := false
		for _, t := range tasks {
			if done[t.ID] || !allDone(t.Needs, done) {
				continue
			}
			done[t.ID] = true
			sorted = append(sorted, t)
			progress = true
			break // restart so the earliest ready task in file order comes next
		}
		if !progress {
			return nil, p.cycleError(tasks, done)
		}
	}
	return sorted, nil
}

func allDone(ids []string, done map[string]bool) bool {
	for _, id := range ids {
		if !done[id] {
			return false
		}
	}
	return true
}

// cycleError finds a cycle among the tasks not done and names it, starting
// from its task that comes first in the file.
func (p *docParser) cycleError(tasks []*Task, done map[string]bool) *docError {
	byID := map[string]*Task{}
	for _, t := range tasks {
		byID[t.ID] = t
	}
	// Every remaining task needs a remaining task: walk until a task repeats.
	var path []string
	cur := firstPending(tasks, done)
	for !slices.Contains(path, cur.ID) {
		path = append(path, cur.ID)
		for _, id := range cur.Needs {
			if !done[id] {
				cur = byID[id]
				break
			}
		}
	}
	cycle := path[slices.Index(path, cur.ID):]
	first := 0
	for i, id := range cycle {
		if p.lines[id] < p.lines[cycle[first]] {
			first = i
		}
	}
	// Rotate so the cycle starts at its first task, and write it as a -> b -> a
	// where a needs b.
	cycle = append(cycle[first:], cycle[:first]...)
	names := append(slices.Clone(cycle), cycle[0])
	return &docError{Task: cycle[0], Line: p.lines[cycle[0]],
		Msg: "dependency cycle: " + strings.Join(names, " needs ")}
}

func firstPending(tasks []*Task, done map[string]bool) *Task {
	for _, t := range tasks {
		if !done[t.ID] {
			return t
		}
	}
	return nil
}
