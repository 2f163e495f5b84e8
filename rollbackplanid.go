package dagdeck

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// PlanPart names a part of what a RollbackPlan says; its PlanID covers
// each part separately, so a changed plan can say which parts changed.
type PlanPart string

// The parts of a RollbackPlan, in the order its PlanID covers them.
const (
	PlanCurrentDeploy PlanPart = "current deploy"
	PlanTargetDeploy  PlanPart = "target deploy"
	PlanImage         PlanPart = "image"
	PlanDagBundle     PlanPart = "DAG bundle"
	PlanRuntime       PlanPart = "runtime"
	PlanDagDeploy     PlanPart = "DAG-deploy setting"
	PlanNotRolledBack PlanPart = "what is not rolled back"
	PlanRunningTasks  PlanPart = "running tasks"
	PlanErased        PlanPart = "erased metadata"
)

var planParts = []PlanPart{PlanCurrentDeploy, PlanTargetDeploy, PlanImage, PlanDagBundle, PlanRuntime, PlanDagDeploy, PlanNotRolledBack, PlanRunningTasks, PlanErased}

// planIDPrefix starts every plan id; it names the format (version 1).
const planIDPrefix = "rp1-"

// planPartDigestSize is how many bytes of each part's SHA-256 a plan id
// keeps: a changed part goes unnoticed with a chance of 1 in 2^32.
const planPartDigestSize = 4

// Digest returns the plan id of p: a digest of each part of what p says
// (PlanPart). Deploys count by id, so editing a deploy's description or
// marks does not change a plan; which deploy is current or targeted does.
func (p *RollbackPlan) Digest() string {
	return planIDPrefix + base64.RawURLEncoding.EncodeToString(p.partDigests())
}

// ChangedSince returns the parts in which p differs from the plan whose id
// is planID, in PlanPart order; none if p says the same. EINVALID if
// planID is not a plan id.
func (p *RollbackPlan) ChangedSince(planID string) ([]PlanPart, error) {
	seen, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(planID, planIDPrefix))
	if err != nil || !strings.HasPrefix(planID, planIDPrefix) || len(seen) != len(planParts)*planPartDigestSize {
		return nil, Errorf(EINVALID, "planId %q is not the planId of a rollback plan (a dry run answers with one)", planID)
	}
	now := p.partDigests()
	var changed []PlanPart
	for i, part := range planParts {
		at := i * planPartDigestSize
		if !bytes.Equal(seen[at:at+planPartDigestSize], now[at:at+planPartDigestSize]) {
			changed = append(changed, part)
		}
	}
	return changed, nil
}

// partDigests returns the leading bytes of each part's digest, in order.
func (p *RollbackPlan) partDigests() []byte {
	out := make([]byte, 0, len(planParts)*planPartDigestSize)
	for _, part := range planParts {
		// Strings, numbers, booleans and slices and maps of them: encoding
		// cannot fail, and sorts map keys.
		b, _ := json.Marshal(p.partValue(part))
		sum := sha256.Sum256(b)
		out = append(out, sum[:planPartDigestSize]...)
	}
	return out
}

// partValue returns what p says in one part.
func (p *RollbackPlan) partValue(part PlanPart) any {
	switch part {
	case PlanCurrentDeploy:
		return []string{p.DeploymentID, deployID(p.CurrentDeploy)}
	case PlanTargetDeploy:
		return deployID(p.TargetDeploy)
	case PlanImage:
		return []any{p.Image, p.PinnedImage, p.ImageFiles}
	case PlanDagBundle:
		return p.DagBundle
	case PlanRuntime:
		return []any{p.Runtime, p.RequiresConfirmation}
	case PlanDagDeploy:
		return p.DagDeploy
	case PlanNotRolledBack:
		return p.NotRolledBack
	case PlanRunningTasks:
		return p.RunningTasks
	case PlanErased:
		return p.Erased
	}
	return nil
}

func deployID(d *Deploy) string {
	if d == nil {
		return ""
	}
	return d.ID
}
