package gitrepo

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

// Hash is a git object id (SHA-1).
type Hash [20]byte

// ZeroHash is the all-zero object id.
var ZeroHash Hash

// String returns the 40 lowercase hex digits of h.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero id.
func (h Hash) IsZero() bool { return h == ZeroHash }

// ParseHash parses 40 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 40 {
		return h, fmt.Errorf("object id %q: want 40 hex digits", s)
	}
	if _, err := hex.Decode(h[:], []byte(strings.ToLower(s))); err != nil {
		return h, fmt.Errorf("object id %q: want 40 hex digits", s)
	}
	return h, nil
}

// ObjectType is a git object type, numbered as in a pack.
type ObjectType int

// Object types.
const (
	TypeCommit ObjectType = 1
	TypeTree   ObjectType = 2
	TypeBlob   ObjectType = 3
)

// String returns the type's name as git writes it in object headers.
func (t ObjectType) String() string {
	switch t {
	case TypeCommit:
		return "commit"
	case TypeTree:
		return "tree"
	case TypeBlob:
		return "blob"
	}
	return "unknown"
}

// ObjectHeader returns the header that git hashes before an object's
// content: "<type> <size>\x00".
func ObjectHeader(t ObjectType, size int64) []byte {
	return []byte(t.String() + " " + strconv.FormatInt(size, 10) + "\x00")
}

// NewObjectHash returns a hash that, once fed the size bytes of an
// object's content, sums to the object's id: for content that streams.
func NewObjectHash(t ObjectType, size int64) hash.Hash {
	h := sha1.New()
	h.Write(ObjectHeader(t, size))
	return h
}

// HashObject returns the id of an object with that type and content.
func HashObject(t ObjectType, content []byte) Hash {
	h := NewObjectHash(t, int64(len(content)))
	h.Write(content)
	var id Hash
	h.Sum(id[:0])
	return id
}

// Object is an encoded tree or commit (small, so kept in memory).
type Object struct {
	ID   Hash
	Type ObjectType
	Data []byte
}

// Signature is a commit's author or committer.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

// encode returns "Name <email> <unix seconds> +0000" with the characters
// git refuses in identities removed.
func (s Signature) encode() string {
	clean := func(v string) string {
		v = strings.Map(func(r rune) rune {
			if r == '<' || r == '>' || r == '\n' || r == '\r' || r == 0 {
				return -1
			}
			return r
		}, v)
		return strings.TrimSpace(v)
	}
	return fmt.Sprintf("%s <%s> %d +0000", clean(s.Name), clean(s.Email), s.When.Unix())
}

// Commit is a commit's content. Parent is zero for a root commit.
type Commit struct {
	Tree    Hash
	Parent  Hash
	Author  Signature
	Message string
}

// Encode returns the commit object as git stores it. The committer is the
// author.
func (c *Commit) Encode() *Object {
	var b strings.Builder
	b.WriteString("tree " + c.Tree.String() + "\n")
	if !c.Parent.IsZero() {
		b.WriteString("parent " + c.Parent.String() + "\n")
	}
	sig := c.Author.encode()
	b.WriteString("author " + sig + "\n")
	b.WriteString("committer " + sig + "\n\n")
	b.WriteString(c.Message)
	data := []byte(b.String())
	return &Object{ID: HashObject(TypeCommit, data), Type: TypeCommit, Data: data}
}

// ParseCommitTree returns the tree id named by an encoded commit.
func ParseCommitTree(data []byte) (Hash, error) {
	line, _, _ := strings.Cut(string(data), "\n")
	tree, ok := strings.CutPrefix(line, "tree ")
	if !ok {
		return ZeroHash, fmt.Errorf("commit does not start with a tree line")
	}
	return ParseHash(tree)
}
