package dagfile

import (
	"container/heap"
	"slices"
	"strings"
)

// sortTasks orders tasks so each comes after the tasks it needs, keeping
// file order among independent tasks, or reports a dependency cycle.
func (p *docParser) sortTasks(tasks []*Task) ([]*Task, *docError) {
	index := make(map[string]int, len(tasks))
	for i, t := range tasks {
		index[t.ID] = i
	}
	waiting := make([]int, len(tasks))      // needs not yet sorted, per task
	dependents := make([][]int, len(tasks)) // tasks that need it, per task
	for i, t := range tasks {
		for _, id := range t.Needs {
			waiting[i]++
			if j, ok := index[id]; ok {
				dependents[j] = append(dependents[j], i)
			} // an unknown need is never met: its task ends up in a cycle error
		}
	}
	var ready readyQueue
	for i := range tasks {
		if waiting[i] == 0 {
			heap.Push(&ready, i)
		}
	}
	sorted := make([]*Task, 0, len(tasks))
	done := make(map[string]bool, len(tasks))
	for ready.Len() > 0 {
		i := heap.Pop(&ready).(int) // the earliest ready task in file order comes next
		sorted = append(sorted, tasks[i])
		done[tasks[i].ID] = true
		for _, j := range dependents[i] {
			if waiting[j]--; waiting[j] == 0 {
				heap.Push(&ready, j)
			}
		}
	}
	if len(sorted) < len(tasks) {
		return nil, p.cycleError(tasks, done)
	}
	return sorted, nil
}

// readyQueue is a min-heap of task positions in the file.
type readyQueue []int

func (q readyQueue) Len() int           { return len(q) }
func (q readyQueue) Less(i, j int) bool { return q[i] < q[j] }
func (q readyQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *readyQueue) Push(x any)        { *q = append(*q, x.(int)) }
func (q *readyQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
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
