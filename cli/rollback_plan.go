package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dagdeck/dagdeck"
)

// maxPlanFiles is how many file names of each kind a plan lists.
const maxPlanFiles = 20

// printPlan writes a rollback plan: what changes, what does not, what
// happens to running tasks and, for a downgrade, what is erased.
func printPlan(out io.Writer, p *dagdeck.RollbackPlan) {
	fmt.Fprintf(out, "Rollback plan for %s: %s → %s\n", p.DeploymentName, deployLabel(p.CurrentDeploy, "current"), deployLabel(p.TargetDeploy, "target"))
	printPlanChanges(out, p)
	printPlanKept(out, p.NotRolledBack, p.TargetDeploy)
	printPlanTasks(out, p.RunningTasks)
	printPlanErased(out, p)
}

// deployLabel renders "deploy #3 (2026-11-20 10:00, "desc")".
func deployLabel(d *dagdeck.Deploy, fallback string) string {
	if d == nil {
		return fallback
	}
	label := fmt.Sprintf("deploy #%d (%s", d.Sequence, d.CreatedAt.Local().Format("2006-01-02 15:04"))
	if d.Description != "" {
		label += fmt.Sprintf(", %q", truncate(d.Description, 40))
	}
	return label + ")"
}

func printPlanChanges(out io.Writer, p *dagdeck.RollbackPlan) {
	fmt.Fprintln(out, "\nWill be rolled back:")
	w := newTable(out)
	field(w, "  Image", fromTo(p.Image.From, p.Image.To, p.Image.Changed))
	if pin := p.PinnedImage; pin.From != "" || pin.To != "" {
		field(w, "  Image pinned", fromTo(pin.From, pin.To, pin.Changed))
	}
	field(w, "  Runtime", runtimeChange(p.Runtime))
	field(w, "  DAG deploys", fromTo(enabled(p.DagDeploy.From), enabled(p.DagDeploy.To), p.DagDeploy.Changed))
	b := p.DagBundle
	field(w, "  DAG bundle", fromTo(b.From, b.To, b.From != b.To))
	field(w, "  DAG files", countFiles(b))
	w.Flush()
	listDelta(out, b)
	w = newTable(out)
	field(w, "  Image files", countFiles(p.ImageFiles))
	w.Flush()
	listDelta(out, p.ImageFiles)
}

func countFiles(d dagdeck.BundleDelta) string {
	return fmt.Sprintf("%d added, %d removed, %d changed", len(d.Added), len(d.Removed), len(d.Changed))
}

func listDelta(out io.Writer, d dagdeck.BundleDelta) {
	listFiles(out, "+", d.Added)
	listFiles(out, "-", d.Removed)
	listFiles(out, "~", d.Changed)
}

// runtimeChange renders "2.0.0 → 1.0.0 (downgrade)" or "1.1.0 (same)".
func runtimeChange(r dagdeck.RuntimeDelta) string {
	if r.Change == dagdeck.RuntimeSame {
		return fmt.Sprintf("%s (same)", orDash(r.To))
	}
	return fmt.Sprintf("%s → %s (%s)", orDash(r.From), orDash(r.To), r.Change)
}

// fromTo renders "a → b", or "a (unchanged)".
func fromTo(from, to string, changed bool) string {
	if !changed {
		return orDash(to) + " (unchanged)"
	}
	return orDash(from) + " → " + orDash(to)
}

func enabled(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

// listFiles lists up to maxPlanFiles paths with a marker.
func listFiles(out io.Writer, mark string, paths []string) {
	for i, p := range paths {
		if i == maxPlanFiles {
			fmt.Fprintf(out, "      %s … and %d more\n", mark, len(paths)-maxPlanFiles)
			return
		}
		fmt.Fprintf(out, "      %s %s\n", mark, cell(p))
	}
}

func printPlanKept(out io.Writer, n dagdeck.NotRolledBack, target *dagdeck.Deploy) {
	fmt.Fprintln(out, "\nWill not be rolled back (kept as they are now):")
	since := "the target deploy"
	if target != nil {
		since = fmt.Sprintf("deploy #%d", target.Sequence)
	}
	if len(n.EnvKeysChanged) == 0 {
		fmt.Fprintf(out, "  Environment variables: none changed since %s\n", since)
	} else {
		fmt.Fprintf(out, "  Environment variables changed since %s keep their current values: %s\n", since, strings.Join(n.EnvKeysChanged, ", "))
	}
	keys := make([]string, 0, len(n.Settings))
	for k := range n.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var settings []string
	for _, k := range keys {
		settings = append(settings, k+"="+cell(n.Settings[k]))
	}
	if len(settings) > 0 {
		fmt.Fprintf(out, "  Settings: %s\n", strings.Join(settings, ", "))
	}
}

func printPlanTasks(out io.Writer, tasks []dagdeck.PlannedTask) {
	if len(tasks) == 0 {
		fmt.Fprintln(out, "\nRunning tasks: none")
		return
	}
	fmt.Fprintf(out, "\nRunning tasks (%d):\n", len(tasks))
	w := newTable(out)
	row(w, "  DAG", "RUN", "TASK", "TRY", "DEPLOY", "WHAT HAPPENS")
	for _, t := range tasks {
		row(w, "  "+t.DagID, t.RunID, t.TaskID, fmt.Sprint(t.TryNumber), t.DeployID, t.Outcome)
	}
	w.Flush()
}

func printPlanErased(out io.Writer, p *dagdeck.RollbackPlan) {
	if p.Runtime.Change != dagdeck.RuntimeDowngrade && !p.RequiresConfirmation {
		return
	}
	fmt.Fprintf(out, "\nRuntime downgrade %s → %s: running tasks fail now; those with retries left retry on the rolled-back code.\n", p.Runtime.From, p.Runtime.To)
	if len(p.Erased) == 0 {
		fmt.Fprintln(out, "No feature metadata is erased.")
	} else {
		fmt.Fprintln(out, "Erased irreversibly:")
		for _, e := range p.Erased {
			fmt.Fprintf(out, "  %s (%s, since runtime %s): %d rows\n", e.Feature.Metadata, e.Feature.Description, e.Feature.Since, e.Rows)
		}
	}
	fmt.Fprintln(out, "This rollback needs --confirm-downgrade.")
}
