package ui

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/internal/humanize"
)

// funcs are the helpers templates use to format values.
var funcs = template.FuncMap{
	"when":        newWhen,
	"whenPtr":     newWhenPtr,
	"typeLabel":   typeLabel,
	"statusLabel": statusLabel,
	"stateClass":  stateClass,
	"reasonHelp":  reasonHelp,
	"short":       shortDigest,
	"shortCommit": func(sha string) string { return sha[:min(len(sha), 10)] },
	"bytes":       formatBytes,
	"plural":      plural,
	"onOff":       onOff,
	"join":        strings.Join,
	"lower":       strings.ToLower,
	"asset":       assetURL,
	"duration":    runDuration,
	"days":        func(d time.Duration) int { return int(d.Hours() / 24) },
	"deployRef":   newDeployRef,
	"filesOf":     newFilesSection,
	"wbr":         breakAtT,
	"commitURL":   commitURL,
	"hunkRows":    hunkRows,
	"fileStatus":  fileStatusLabel,
	"contentOf":   contentLabel,
	"fileAnchor":  fileAnchor,
}

// breakAtT lets a browser wrap an image tag or a bundle version after its
// date ("deploy-2026-11-26T" / "14-05-09"), and nowhere else.
func breakAtT(s string) template.HTML {
	date, clock, ok := strings.Cut(s, "T")
	if !ok {
		return template.HTML(template.HTMLEscapeString(s))
	}
	return template.HTML(`<span class="nw">` + template.HTMLEscapeString(date+"T") + `</span><wbr><span class="nw">` + template.HTMLEscapeString(clock) + `</span>`)
}

// deployRef links to a deploy by its sequence number, or shows its id when
// the deploy is unknown.
type deployRef struct {
	Deployment string
	Deploy     *dagdeck.Deploy
	ID         string
}

func newDeployRef(deployment string, d *dagdeck.Deploy, id string) deployRef {
	return deployRef{Deployment: deployment, Deploy: d, ID: id}
}

// filesSection is a file list on a deploy's page.
type filesSection struct {
	Files      *filesView
	ID         string
	Deployment string
	Previous   *dagdeck.Deploy
}

func newFilesSection(f *filesView, id, deployment string, prev *dagdeck.Deploy) filesSection {
	return filesSection{Files: f, ID: id, Deployment: deployment, Previous: prev}
}

// when is a moment shown as "3 hours ago" with the absolute UTC time beside
// it; the UI's JavaScript keeps the relative part current.
type when struct {
	Rel, Abs, ISO string
}

func newWhen(now, t time.Time) when {
	if t.IsZero() {
		return when{}
	}
	return when{Rel: relTime(now, t), Abs: t.UTC().Format("2006-01-02 15:04:05") + " UTC", ISO: t.UTC().Format(time.RFC3339)}
}

func newWhenPtr(now time.Time, t *time.Time) when {
	if t == nil {
		return when{}
	}
	return newWhen(now, *t)
}

// relTime says how long before now t was, coarsely, as people say it.
// app.js has the same rules.
func relTime(now, t time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		s = "1 min"
	case d < 45*time.Minute:
		s = fmt.Sprintf("%d min", int((d+30*time.Second)/time.Minute))
	case d < 90*time.Minute:
		s = "1 hour"
	case d < 22*time.Hour:
		s = fmt.Sprintf("%d hours", int((d+30*time.Minute)/time.Hour))
	case d < 36*time.Hour:
		s = "1 day"
	case d < 45*24*time.Hour:
		s = fmt.Sprintf("%d days", int((d+12*time.Hour)/(24*time.Hour)))
	case d < 365*24*time.Hour:
		s = plural(int(d/(30*24*time.Hour)), "month")
	default:
		s = plural(int(d/(365*24*time.Hour)), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func typeLabel(t dagdeck.DeployType) string {
	switch t {
	case dagdeck.DeployImageAndDAG:
		return "Image + DAGs"
	case dagdeck.DeployDAGOnly:
		return "DAGs only"
	case dagdeck.DeployImageOnly:
		return "Image only"
	}
	return string(t)
}

func statusLabel(s dagdeck.DeployStatus) string {
	switch s {
	case dagdeck.DeployDeployed:
		return "Deployed"
	case dagdeck.DeployFailed:
		return "Failed"
	case dagdeck.DeployInitialized:
		return "Uploading"
	}
	return string(s)
}

// stateClass maps a deploy status, run state or task state to the colour
// class of its badge.
func stateClass(state any) string {
	switch fmt.Sprint(state) {
	case string(dagdeck.DeployDeployed), dagdeck.TaskSuccess:
		return "ok"
	case string(dagdeck.DeployFailed), dagdeck.TaskFailed, dagdeck.TaskUpstreamFailed:
		return "bad"
	case string(dagdeck.DeployInitialized), dagdeck.TaskRunning, dagdeck.RunQueued, dagdeck.TaskScheduled:
		return "busy"
	case dagdeck.TaskUpForRetry:
		return "warn"
	}
	return "neutral"
}

// reasonHelp explains why a deploy cannot be rolled back to.
func reasonHelp(reason string, retention time.Duration) string {
	switch reason {
	case dagdeck.ReasonExpired:
		return fmt.Sprintf("Older than the %d-day retention window, and not the latest deploy: its artifacts may be gone.", int(retention.Hours()/24))
	case dagdeck.ReasonFailed:
		return "This deploy failed and never ran."
	case dagdeck.ReasonNotDeployed:
		return "This deploy is still uploading."
	case dagdeck.ReasonArtifactsMissing:
		return "Its image or DAG bundle is no longer stored."
	}
	return reason
}

// shortDigest shortens "sha256:<64 hex>" to its first 12 hex digits.
func shortDigest(d string) string {
	if h, ok := strings.CutPrefix(d, "sha256:"); ok && len(h) > 12 {
		return h[:12]
	}
	return d
}

// formatBytes renders a byte count with a binary unit: "512 B", "1.5 MiB".
func formatBytes(n int64) string { return humanize.Bytes(n) }

// plural returns "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// runDuration is how long something between start and end took, or has
// been running at now.
func runDuration(now time.Time, start, end *time.Time) string {
	if start == nil {
		return ""
	}
	stop := now
	if end != nil {
		stop = *end
	}
	return stop.Sub(*start).Round(time.Second).String()
}
