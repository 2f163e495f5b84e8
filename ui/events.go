package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/dagdeck/dagdeck"
)

// keepAliveInterval is how often an idle event stream sends a comment, so
// that proxies keep it open.
const keepAliveInterval = 25 * time.Second

// deployEvent tells open pages that a deploy became current.
type deployEvent struct {
	ID       string `json:"id"`
	Sequence int64  `json:"sequence"`
	Rollback bool   `json:"rollback"`
}

// broker fans the service's deploys out to the event streams of the
// Deployments they belong to.
type broker struct {
	mu     sync.Mutex
	subs   map[string]map[chan deployEvent]struct{}
	done   chan struct{}
	closed bool
}

func newBroker() *broker {
	return &broker{subs: make(map[string]map[chan deployEvent]struct{}), done: make(chan struct{})}
}

// publish is the service's OnDeployed hook. It never blocks: a stream that
// is behind misses the event, and the page refreshes on the next one anyway.
func (b *broker) publish(d *dagdeck.Deploy) {
	ev := deployEvent{ID: d.ID, Sequence: d.Sequence, Rollback: d.RollbackFromID != ""}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[d.DeploymentID] {
		select {
		case ch <- ev:
		default:
		}
	}
}

// subscribe returns a channel of the Deployment's events and a function
// that ends the subscription.
func (b *broker) subscribe(deploymentID string) (<-chan deployEvent, func()) {
	ch := make(chan deployEvent, 8)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[deploymentID] == nil {
		b.subs[deploymentID] = make(map[chan deployEvent]struct{})
	}
	b.subs[deploymentID][ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[deploymentID], ch)
		if len(b.subs[deploymentID]) == 0 {
			delete(b.subs, deploymentID)
		}
	}
}

// close ends every stream.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.done)
	}
}

// handleEvents streams a Deployment's new deploys as Server-Sent Events
// ("event: deploy"), until the client leaves, the session expires or the
// server stops.
func (u *UI) handleEvents(w http.ResponseWriter, r *http.Request, v *visit) {
	dep, err := u.svc.Deployments.FindDeployment(r.Context(), r.PathValue("name"))
	if err != nil {
		u.serviceError(w, r, v, err)
		return
	}
	events, unsubscribe := u.events.subscribe(dep.ID)
	defer unsubscribe()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n: connected\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	keepAlive := time.NewTicker(keepAliveInterval)
	defer keepAlive.Stop()
	expired := time.NewTimer(v.session.ExpiresAt.Sub(u.svc.Health.Now()))
	defer expired.Stop()
	for {
		var msg string
		select {
		case <-r.Context().Done():
			return
		case <-u.events.done:
			return
		case <-expired.C:
			return
		case <-keepAlive.C:
			msg = ": keep-alive\n\n"
		case ev := <-events:
			b, _ := json.Marshal(ev)
			msg = "event: deploy\ndata: " + string(b) + "\n\n"
		}
		if _, err := fmt.Fprint(w, msg); err != nil || rc.Flush() != nil {
			return
		}
	}
}
