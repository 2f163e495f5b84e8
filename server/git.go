package server

import (
	"net"
	"net/http"
	"strings"

	"github.com/dagdeck/dagdeck"
	"github.com/dagdeck/dagdeck/gitrepo"
)

// GitPrefix is where Deployments are served as git repositories:
// <GitPrefix><name>.git.
const GitPrefix = dagdeck.GitPrefix

// gitOps are the smart HTTP operations, as path suffixes.
var gitOps = []string{gitrepo.OpInfoRefs, gitrepo.OpUploadPack, gitrepo.OpReceivePack}

// handleGit serves /git/<deployment>.git/… (a Deployment's name or id;
// ".git" is optional). A dagdeck token is the Basic auth password (any
// user name); a caller without one gets a Basic challenge, so that git
// asks its credential helper. Unknown repositories are 404 without saying
// which names exist.
func (s *Server) handleGit(w http.ResponseWriter, r *http.Request) {
	name, op, ok := splitGitPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if dagdeck.ActorFromContext(r.Context()) == nil {
		challengeGit(w)
		return
	}
	repo, err := s.svc.Git.GitRepository(r.Context(), name)
	switch dagdeck.ErrorCode(err) {
	case "":
	case dagdeck.ENOTFOUND, dagdeck.EFORBIDDEN, dagdeck.EUNAUTHORIZED, dagdeck.EINVALID:
		http.Error(w, "repository not found", http.StatusNotFound)
		return
	default:
		s.logger.Error("git repository", "deployment", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	err = gitrepo.Serve(w, r, repo, op)
	switch {
	case err == nil:
	case r.Context().Err() != nil:
		s.logger.Info("git client went away", "deployment", name, "op", op, "err", err)
	default:
		s.logger.Error("git upload-pack", "deployment", name, "op", op, "err", err)
	}
}

// splitGitPath splits /git/<name>[.git]<op> into the name and the operation.
func splitGitPath(p string) (name, op string, ok bool) {
	rest, ok := strings.CutPrefix(p, GitPrefix)
	if !ok {
		return "", "", false
	}
	for _, o := range gitOps {
		if n, found := strings.CutSuffix(rest, o); found {
			n = strings.TrimSuffix(n, ".git")
			return n, o, n != "" && !strings.Contains(n, "/")
		}
	}
	return "", "", false
}

// authenticateGit puts the actor of a git request into its context, as
// authenticate does for the API, so that the limits on anonymous requests
// and slow bodies treat git clients like other authenticated callers. A
// bad token gets the Basic challenge, so git asks for another.
func (s *Server) authenticateGit(w http.ResponseWriter, r *http.Request, next http.Handler) {
	actor, err := s.gitActor(r)
	if err != nil {
		challengeGit(w)
		return
	}
	if actor != nil {
		r = r.WithContext(dagdeck.NewContextWithActor(r.Context(), actor))
		noteActor(r, actor)
	}
	next.ServeHTTP(w, r)
}

// challengeGit answers 401 with a Basic challenge.
func challengeGit(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="dagdeck"`)
	http.Error(w, "authentication required: use a dagdeck API token as the password", http.StatusUnauthorized)
}

// gitActor authenticates a git request: Basic auth with a token as the
// password, or a bearer token. nil, nil without credentials.
func (s *Server) gitActor(r *http.Request) (*dagdeck.Actor, error) {
	if _, password, ok := r.BasicAuth(); ok {
		return s.svc.Auth.AuthenticateToken(r.Context(), password)
	}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return s.svc.Auth.AuthenticateToken(r.Context(), strings.TrimSpace(token))
	}
	return nil, nil
}

// SetPublicURL sets the base URL that links handed out (a Deployment's
// gitUrl) start with, for a server behind a proxy. Without it, they are
// made from each request's Host.
func (s *Server) SetPublicURL(u string) { s.publicURL = strings.TrimSuffix(u, "/") }

// baseURL is the public URL of the server as the request reached it: over
// TLS, or through a trusted proxy that says it was (X-Forwarded-Proto).
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil || s.viaTrustedProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// viaTrustedProxy reports whether the request's peer is a trusted proxy.
func (s *Server) viaTrustedProxy(r *http.Request) bool {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	return err == nil && s.trusted(peer)
}

// withGitURL returns a copy of d with its gitUrl set.
func (s *Server) withGitURL(r *http.Request, d *dagdeck.Deployment) *dagdeck.Deployment {
	c := *d
	c.GitURL = dagdeck.GitURL(dagdeck.RequestFromContext(r.Context()).BaseURL, d.Name)
	return &c
}
