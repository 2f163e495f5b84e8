package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/dagdeck/dagdeck"
)

// deployView is a deploy's page.
type deployView struct {
	Deployment *dagdeck.Deployment
	Deploy     *dagdeck.Deploy
	Current    bool
	Restored   *dagdeck.Deploy
	// Previous is the DEPLOYED deploy before this one, which the file lists
	// are compared with; nil for the first deploy.
	Previous     *dagdeck.Deploy
	PreviousNote string
	DAGs         *filesView
	Image        *filesView
	Retention    time.Duration
}

// filesView lists the files of a deploy's DAG bundle or image, marked
// against the previous deploy's.
type filesView struct {
	Title       string
	Note        string
	Unavailable string
	Files       []fileRow
	Removed     []string
	Added       int
	Changed     int
	Compared    bool
	DownloadURL string
}

// fileRow is a file and how it changed: "added", "changed" or "".
type fileRow struct {
	dagdeck.ManifestFile
	Change string
}

func (u *UI) handleDeploy(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	dep, err := u.svc.Deployments.FindDeployment(ctx, r.PathValue("name"))
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	d, err := u.svc.History.FindDeploy(ctx, dep.ID, r.PathValue("deployId"))
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	view := &deployView{Deployment: dep, Deploy: d, Current: d.ID == dep.CurrentDeployID, Restored: u.restoredOf(ctx, d), Retention: u.svc.Retention.Retention()}
	if view.Previous, err = u.previousDeployed(ctx, dep, d); err != nil {
		u.serviceError(w, r, v, err)
		return
	} else if view.Previous == nil && d.Sequence > 1 {
		view.PreviousNote = "No earlier DEPLOYED deploy was found to compare with."
	}
	view.DAGs = u.dagFilesView(ctx, dep, d, view.Previous)
	view.Image = u.imageFilesView(ctx, dep, d, view.Previous)
	u.render(w, r, http.StatusOK, "deploy", u.newPage(v, fmt.Sprintf("Deploy #%d · %s", d.Sequence, dep.Name), "deployments", view))
}

// previousDeployed returns the DEPLOYED deploy of dep right before d, or nil.
func (u *UI) previousDeployed(ctx context.Context, dep *dagdeck.Deployment, d *dagdeck.Deploy) (*dagdeck.Deploy, error) {
	prev, err := u.svc.History.PreviousDeployed(ctx, dep.ID, d.ID)
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return nil, nil
	}
	return prev, err
}

// dagFilesView lists the DAG files of d: its bundle, or the dags/ part of its
// image when DAG deploys were off.
func (u *UI) dagFilesView(ctx context.Context, dep *dagdeck.Deployment, d, prev *dagdeck.Deploy) *filesView {
	view := &filesView{Title: "DAG bundle"}
	if d.DagBundleDigest != "" {
		view.DownloadURL = archiveURL(dep, d, dagdeck.PartDAGs)
	} else if d.ImageDigest != "" {
		view.Note = "DAG deploys were off for this deploy: the DAGs ship inside the image."
	}
	return u.filesView(ctx, view, dep, d, prev, u.dagFiles)
}

// imageFilesView lists the files of d's image.
func (u *UI) imageFilesView(ctx context.Context, dep *dagdeck.Deployment, d, prev *dagdeck.Deploy) *filesView {
	view := &filesView{Title: "Image"}
	switch {
	case d.ImageDigest != "":
		view.DownloadURL = archiveURL(dep, d, dagdeck.PartImage)
	case d.ImageTag != "":
		view.Note = "An external image (" + d.ImageRepository + ":" + d.ImageTag + "): dagdeck stores no files for it."
	}
	return u.filesView(ctx, view, dep, d, prev, u.imageFiles)
}

type filesFunc func(ctx context.Context, dep *dagdeck.Deployment, d *dagdeck.Deploy) (*dagdeck.Manifest, error)

func (u *UI) filesView(ctx context.Context, view *filesView, dep *dagdeck.Deployment, d, prev *dagdeck.Deploy, files filesFunc) *filesView {
	m, err := files(ctx, dep, d)
	if err != nil {
		view.Unavailable, view.DownloadURL = unavailable(err), ""
		u.logUnexpected(err, "read deploy manifest", d)
		return view
	}
	var before *dagdeck.Manifest
	if prev != nil {
		if before, err = files(ctx, dep, prev); err != nil {
			u.logUnexpected(err, "read previous deploy manifest", prev)
			view.Note = strings.TrimSpace(view.Note + " The files of " + prev.String() + " are no longer stored, so changes are not marked.")
		}
	}
	added, removed, changed := dagdeck.DiffManifests(before, m)
	view.Compared = before != nil
	if !view.Compared {
		added = nil
	}
	marks := make(map[string]string, len(added)+len(changed))
	for _, p := range added {
		marks[p] = "added"
	}
	for _, p := range changed {
		marks[p] = "changed"
	}
	for _, f := range m.Files {
		view.Files = append(view.Files, fileRow{ManifestFile: f, Change: marks[f.Path]})
	}
	view.Added, view.Changed = len(added), len(changed)
	if view.Compared {
		view.Removed = removed
	}
	return view
}

func (u *UI) dagFiles(ctx context.Context, dep *dagdeck.Deployment, d *dagdeck.Deploy) (*dagdeck.Manifest, error) {
	return u.svc.Deploys.DAGFiles(ctx, d)
}

func (u *UI) imageFiles(ctx context.Context, dep *dagdeck.Deployment, d *dagdeck.Deploy) (*dagdeck.Manifest, error) {
	if d.ImageDigest == "" {
		return &dagdeck.Manifest{Kind: dagdeck.ManifestImage}, nil
	}
	_, m, err := u.svc.Deploys.DeployManifest(ctx, dep.ID, d.ID, dagdeck.PartImage)
	return m, err
}

func (u *UI) logUnexpected(err error, msg string, d *dagdeck.Deploy) {
	if dagdeck.ErrorCode(err) != dagdeck.ENOTFOUND {
		u.logger.Error(msg, "deploy", d.ID, "err", err)
	}
}

func unavailable(err error) string {
	if dagdeck.ErrorCode(err) == dagdeck.ENOTFOUND {
		return "The files are no longer stored (removed after the retention window)."
	}
	return "The file list could not be read."
}

// archiveURL is the REST API route that streams a deploy's part as tar.gz;
// the browser's session cookie authenticates it.
func archiveURL(dep *dagdeck.Deployment, d *dagdeck.Deploy, part string) string {
	return "/api/v1/deployments/" + dep.ID + "/deploys/" + d.ID + "/archive?part=" + part
}
