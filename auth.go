package dagdeck

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"
)

// Role is what a credential may do. Each role includes the ones before it.
type Role string

// Roles. Viewer, deployer and admin each include the ones before them.
// Runtime stands apart: it is for `dagdeck runtime` processes, which read
// what a viewer reads plus secret env values (tasks need them) and report
// runs, tries and logs; it may not deploy, and no other role may act as a
// runtime.
const (
	RoleViewer   Role = "viewer"   // read everything
	RoleDeployer Role = "deployer" // also deploy and roll back
	RoleAdmin    Role = "admin"    // also manage Deployments, tokens and users
	RoleRuntime  Role = "runtime"  // a runtime process: read, plus the runtime API
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleRuntime || r.rank() > 0 }

// Allows reports whether r includes the privileges of want.
func (r Role) Allows(want Role) bool {
	switch {
	case want == RoleRuntime:
		return r == RoleRuntime
	case r == RoleRuntime:
		return want == RoleViewer
	}
	return r.rank() >= want.rank() && want.rank() > 0
}

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleDeployer:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Actor kinds.
const (
	ActorToken = "token" // an API token
	ActorUser  = "user"  // a user logged in to the web UI
)

// Actor is who performed an action. A deploy's "created by" is the actor of
// the request that created it, taken from the credential, never from the body.
type Actor struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	Role Role   `json:"-"`
	// Deployments, when not empty, are the only Deployments (ids) the
	// actor's token reaches: runtime tokens are created for the
	// Deployments they run.
	Deployments []string `json:"-"`
}

// Reaches reports whether the actor's token may reach a Deployment (by
// id). A nil actor reaches nothing.
func (a *Actor) Reaches(deploymentID string) bool {
	if a == nil {
		return false
	}
	if len(a.Deployments) == 0 {
		return true
	}
	for _, id := range a.Deployments {
		if id == deploymentID {
			return true
		}
	}
	return false
}

// Token is an API token. Only a SHA-256 hash of its secret is stored.
type Token struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Deployments are the ids of the Deployments a runtime token is for;
	// empty for other roles (and for runtime tokens made before scopes).
	Deployments []string   `json:"deployments,omitempty"`
	Hash        string     `json:"-"`
	CreatedAt   time.Time  `json:"createdAt"`
	LastUsedAt  *time.Time `json:"lastUsedAt,omitempty"`
}

// User is a person who logs in to the web UI with a name and password.
type User struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"createdAt"`
}

// Session is a logged-in web UI session. Only a hash of its secret is stored.
type Session struct {
	Hash      string
	Actor     Actor
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

type actorKey struct{}

// NewContextWithActor returns a copy of ctx carrying a.
func NewContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor carried by ctx, or nil.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// Authorize returns EUNAUTHORIZED if ctx carries no actor and EFORBIDDEN if
// the actor's role does not include want.
func Authorize(ctx context.Context, want Role) (*Actor, error) {
	a := ActorFromContext(ctx)
	if a == nil {
		return nil, Errorf(EUNAUTHORIZED, "authentication required")
	}
	if !a.Role.Allows(want) {
		return nil, Errorf(EFORBIDDEN, "role %q may not do this; %q is needed", a.Role, want)
	}
	return a, nil
}

// NewSecret returns a random secret with the given prefix.
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}
