package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3InstallCommand installs the S3 server the tests run against.
const s3InstallCommand = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// s3StartTimeout bounds how long versitygw may take to accept requests.
const s3StartTimeout = 30 * time.Second

// S3Server is a running S3-compatible server (versitygw on a temporary
// directory) that tests may use. It speaks plain HTTP.
type S3Server struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Region    string
}

var (
	s3Once     sync.Once
	s3Mu       sync.Mutex // guards s3Proc and s3BaseDir against StopS3
	s3Running  S3Server
	s3Proc     *s3Process
	s3BaseDir  string
	s3StartErr error
	s3Buckets  atomic.Int64
)

// errS3NotInstalled means the versitygw binary was not found.
var errS3NotInstalled = errors.New("versitygw not found in PATH or $(go env GOPATH)/bin; install it with: " + s3InstallCommand)

// S3 returns the test binary's S3 server, starting it on first use. If
// versitygw is not installed, S3 skips the test, or fails it when the
// environment variable CI is "true". Call StopS3 from TestMain to stop the
// server when the tests are done; it is killed with the test binary anyway
// on Linux.
func S3(t testing.TB) S3Server {
	t.Helper()
	s3Once.Do(func() { s3Running, s3StartErr = s3Start() })
	switch {
	case errors.Is(s3StartErr, errS3NotInstalled) && os.Getenv("CI") != "true":
		t.Skip(s3StartErr)
	case s3StartErr != nil:
		t.Fatalf("start S3 server: %v", s3StartErr)
	}
	return s3Running
}

// StopS3 stops the S3 server started by S3, if any, and removes its data.
// Call it from TestMain after m.Run; S3 must not be called afterwards.
func StopS3() {
	s3Mu.Lock()
	defer s3Mu.Unlock()
	if s3Proc != nil {
		s3Proc.stop()
		s3Proc = nil
	}
	if s3BaseDir != "" {
		os.RemoveAll(s3BaseDir)
		s3BaseDir = ""
	}
}

// NewBucket creates an empty bucket with a unique name and returns the name.
// The bucket and its objects are removed when t ends.
func (s S3Server) NewBucket(t testing.TB) string {
	t.Helper()
	client := s.Client(t)
	name := s3BucketName(t.Name(), s3Buckets.Add(1))
	if err := client.MakeBucket(t.Context(), name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := s3RemoveBucket(context.Background(), client, name); err != nil {
			t.Errorf("remove bucket %s: %v", name, err)
		}
	})
	return name
}

// Client returns a client of the server.
func (s S3Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	client, err := minio.New(s.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region: s.Region,
	})
	if err != nil {
		t.Fatalf("s3 client: %v", err)
	}
	return client
}

var s3BucketUnsafe = regexp.MustCompile(`[^a-z0-9]+`)

// s3BucketName turns a test name into a valid, unique bucket name.
func s3BucketName(testName string, n int64) string {
	name := fmt.Sprintf("t%d-%s", n, s3BucketUnsafe.ReplaceAllString(strings.ToLower(testName), "-"))
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.TrimRight(name, "-")
}

// s3RemoveBucket removes a bucket with all its objects and unfinished uploads.
func s3RemoveBucket(ctx context.Context, client *minio.Client, bucket string) error {
	for obj := range client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			return obj.Err
		}
		if err := client.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			return err
		}
	}
	for up := range client.ListIncompleteUploads(ctx, bucket, "", true) {
		if up.Err != nil {
			return up.Err
		}
		if err := client.RemoveIncompleteUpload(ctx, bucket, up.Key); err != nil {
			return err
		}
	}
	return client.RemoveBucket(ctx, bucket)
}

// s3Start starts versitygw on a free port and waits until it serves requests.
func s3Start() (S3Server, error) {
	bin, err := s3FindBinary()
	if err != nil {
		return S3Server{}, err
	}
	base, err := os.MkdirTemp("", "dagdeck-versitygw-")
	if err != nil {
		return S3Server{}, err
	}
	s3Mu.Lock()
	defer s3Mu.Unlock()
	s3BaseDir = base

	srv := S3Server{AccessKey: "dagdecktest", SecretKey: "dagdecktest-secret-key-0123456789", Region: "us-east-1"}
	// Another process may take the free port before versitygw binds it; retry then.
	for attempt := 1; ; attempt++ {
		srv.Endpoint, err = s3FreeAddr()
		if err != nil {
			return S3Server{}, err
		}
		s3Proc, err = s3Launch(bin, base, srv)
		if err == nil || attempt == 3 {
			return srv, err
		}
	}
}

// s3FindBinary looks for versitygw in PATH, then in $(go env GOPATH)/bin.
func s3FindBinary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", errS3NotInstalled
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
		p := filepath.Join(dir, "bin", "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errS3NotInstalled
}

// s3FreeAddr returns a loopback address with a port that was free just now.
func s3FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// s3Process is a running versitygw.
type s3Process struct{ *child }

// s3Launch starts versitygw serving srv from a new directory under base and
// waits until it answers HTTP requests.
func s3Launch(bin, base string, srv S3Server) (*s3Process, error) {
	root, err := os.MkdirTemp(base, "root-")
	if err != nil {
		return nil, err
	}
	return s3LaunchIn(bin, root, srv)
}

// s3LaunchIn starts versitygw serving srv from root and waits until it
// answers HTTP requests.
func s3LaunchIn(bin, root string, srv S3Server) (*s3Process, error) {
	logFile, err := os.OpenFile(root+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor

	cmd := exec.Command(bin, "--port", srv.Endpoint, "--region", srv.Region, "--quiet", "posix", root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+srv.AccessKey, "ROOT_SECRET_KEY="+srv.SecretKey)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = s3SysProcAttr()

	c, err := startChild(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &s3Process{c}
	if err := p.waitHTTP("http://"+srv.Endpoint+"/", s3StartTimeout); err != nil { // any answer, typically 403, means it is serving
		p.stop()
		log, _ := os.ReadFile(logFile.Name())
		return nil, fmt.Errorf("versitygw on %s: %w; its output:\n%s", srv.Endpoint, err, log)
	}
	return p, nil
}

// stop terminates the process, killing it if it does not exit promptly.
func (p *s3Process) stop() { p.child.stop(5 * time.Second) }
