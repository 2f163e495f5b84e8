// Package registry resolves container image references in their OCI
// registries (the distribution API) with go-containerregistry, so that a
// deploy of an external image records the digest its reference pointed to
// at deploy time. Credentials come from the user's Docker config
// (authn.DefaultKeychain: ~/.docker/config.json, $DOCKER_CONFIG and
// credential helpers), like other registry tools.
package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// DefaultTimeout bounds one resolution.
const DefaultTimeout = 30 * time.Second

// Kinds of resolution failure; test them with errors.Is.
var (
	// ErrNotFound means the registry answered that the reference does not exist.
	ErrNotFound = errors.New("image not found")
	// ErrUnauthorized means the registry refused the credentials (401 or 403).
	ErrUnauthorized = errors.New("registry refused access")
	// ErrUnreachable means no answer came from the registry.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrInvalidReference means the reference is not repository:tag or repository@digest.
	ErrInvalidReference = errors.New("invalid image reference")
)

// Image is an image reference resolved in its registry.
type Image struct {
	// Repository is the reference's repository as written, e.g.
	// registry.example.com/team/etl.
	Repository string
	// Tag is the reference's tag; "" when it was given by digest.
	Tag string
	// Digest is the digest of the manifest (or index) the reference names:
	// sha256:<hex>.
	Digest string
}

// Pinned returns repository@digest, the reference that always names this image.
func (i *Image) Pinned() string { return i.Repository + "@" + i.Digest }

// Resolver resolves references. The zero value uses authn.DefaultKeychain
// and DefaultTimeout.
type Resolver struct {
	// Keychain supplies credentials; nil means authn.DefaultKeychain.
	Keychain authn.Keychain
	// Timeout bounds one resolution; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Resolve asks ref's registry which digest ref names now. A reference by
// digest (repository@sha256:…) is checked to exist. The errors wrap
// ErrInvalidReference, ErrNotFound (with the registry's answer),
// ErrUnauthorized or ErrUnreachable.
func (r *Resolver) Resolve(ctx context.Context, ref string) (*Image, error) {
	parsed, err := parseReference(ref)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(r.Timeout, DefaultTimeout))
	defer cancel()
	desc, err := r.describe(ctx, parsed)
	if err != nil {
		return nil, explain(parsed, err)
	}
	img := &Image{Repository: repositoryAsWritten(ref), Digest: desc.Digest.String()}
	switch p := parsed.(type) {
	case name.Tag:
		img.Tag = p.TagStr()
	case name.Digest:
		if p.DigestStr() != img.Digest {
			return nil, fmt.Errorf("resolve %s: the registry answered with digest %s", ref, img.Digest)
		}
	}
	return img, nil
}

// parseReference parses repository:tag or repository@sha256:…; a missing
// tag is an error rather than "latest", which would pin whatever is latest.
func parseReference(ref string) (name.Reference, error) {
	parsed, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v; want repository:tag or repository@sha256:…", ErrInvalidReference, ref, err)
	}
	return parsed, nil
}

// describe HEADs the manifest, and GETs it when HEAD fails with an HTTP
// answer: a HEAD answer has no body, and the GET's body carries the
// registry's explanation (MANIFEST_UNKNOWN, …). Some registries also
// answer HEAD wrongly.
func (r *Resolver) describe(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(r.keychain())}
	desc, err := remote.Head(ref, opts...)
	var terr *transport.Error
	if err == nil || !errors.As(err, &terr) {
		return desc, err
	}
	got, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, err
	}
	return &got.Descriptor, nil
}

func (r *Resolver) keychain() authn.Keychain {
	if r.Keychain != nil {
		return r.Keychain
	}
	return authn.DefaultKeychain
}

// explain wraps err with the kind of failure and what to do about it.
func explain(ref name.Reference, err error) error {
	host := ref.Context().RegistryStr()
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return &resolveError{ErrUnreachable, fmt.Sprintf("cannot reach the registry %s to resolve %s", host, ref), err}
	}
	switch terr.StatusCode {
	case http.StatusNotFound:
		return &resolveError{ErrNotFound, fmt.Sprintf("%s does not exist; the registry answered", ref), err}
	case http.StatusUnauthorized, http.StatusForbidden:
		return &resolveError{ErrUnauthorized, fmt.Sprintf("the registry %s refused access to %s (log in with `docker login %s`; credentials come from your Docker config)", host, ref, host), err}
	}
	return fmt.Errorf("resolve %s: %w", ref, err)
}

// resolveError is a failed resolution: a message for people, the kind for
// errors.Is, and the registry client's error.
type resolveError struct {
	kind error
	msg  string
	err  error
}

func (e *resolveError) Error() string        { return e.msg + ": " + e.err.Error() }
func (e *resolveError) Unwrap() error        { return e.err }
func (e *resolveError) Is(target error) bool { return target == e.kind }

// repositoryAsWritten keeps the user's spelling of the repository
// (etl, not index.docker.io/library/etl): ref without its tag or digest.
func repositoryAsWritten(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}
