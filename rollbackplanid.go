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

// The parts of a RollbackPlan that its PlanID covers.
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

// planParts are the parts in the order a PlanID covers them, each with
// what a plan says in it. Deploys count by id; running tasks only when the
// rollback stops them (a downgrade).
var planParts = []struct {
	part  PlanPart
	value func(p *RollbackPlan) any
}{
	{PlanCurrentDeploy, func(p *RollbackPlan) any { return []string{p.DeploymentID, deployID(p.CurrentDeploy)} }},
	{PlanTargetDeploy, func(p *RollbackPlan) any { return deployID(p.TargetDeploy) }},
	{PlanImage, func(p *RollbackPlan) any { return []any{p.Image, p.PinnedImage, p.ImageFiles} }},
	{PlanDagBundle, func(p *RollbackPlan) any { return p.DagBundle }},
	{PlanRuntime, func(p *RollbackPlan) any { return []any{p.Runtime, p.RequiresConfirmation} }},
	{PlanDagDeploy, func(p *RollbackPlan) any { return p.DagDeploy }},
	{PlanNotRolledBack, func(p *RollbackPlan) any { return p.NotRolledBack }},
	{PlanRunningTasks, func(p *RollbackPlan) any {
		if p.Runtime.Change != RuntimeDowngrade {
			// They finish on their code, whichever they are: a task that
			// starts or ends meanwhile changes nothing the user confirmed.
			return "running tasks finish on their code"
		}
		return p.RunningTasks
	}},
	{PlanErased, func(p *RollbackPlan) any { return p.Erased }},
}

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
	for i, pp := range planParts {
		at := i * planPartDigestSize
		if !bytes.Equal(seen[at:at+planPartDigestSize], now[at:at+planPartDigestSize]) {
			changed = append(changed, pp.part)
		}
	}
	return changed, nil
}

// partDigests returns the leading bytes of each part's digest, in order.
func (p *RollbackPlan) partDigests() []byte {
	out := make([]byte, 0, len(planParts)*planPartDigestSize)
	for _, pp := range planParts {
		// Strings, numbers, booleans and slices and maps of them: encoding
		// cannot fail, and sorts map keys.
		b, _ := json.Marshal(pp.value(p))
		sum := sha256.Sum256(b)
		out = append(out, sum[:planPartDigestSize]...)
	}
	return out
}

func deployID(d *Deploy) string {
	if d == nil {
		return ""
	}
	return d.ID
}
