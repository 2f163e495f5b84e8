package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dagdeck/dagdeck"
)

// BenchmarkStorage deploys a project many times at 1 % churn and reports
// what the artifact store holds against the unique content it was given
// (stored/unique): the target is ≤ 1.5 × a restic repository, and restic
// stores about the unique content for incompressible data like this. The
// project is the reference scaled down ten times in files and in deploys
// (200 files, 216 deploys); manifests and churn scale alike, so the ratio
// is that of 2,000 files and 2,160 deploys.
func BenchmarkStorage(b *testing.B) {
	const files, deploys, size = 200, 216, 50 << 10
	for b.Loop() {
		s := newBenchServer(b)
		ctx := adminCtx(s)
		on := true
		if _, err := s.svc.CreateDeployment(ctx, serviceDeployment("bench", &on)); err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		content := make([][]byte, files)
		for i := range content {
			content[i] = randomBytes(rng, size)
		}
		unique := int64(files * size)
		for d := 0; d < deploys; d++ {
			if d > 0 {
				for k := 0; k < files/100; k++ {
					content[rng.IntN(files)] = randomBytes(rng, size)
					unique += size
				}
			}
			storeDeploy(b, s, ctx, content)
		}
		var stored int64
		if err := s.artifacts.Walk(context.Background(), func(bi dagdeck.BlobInfo) error { stored += bi.Size; return nil }); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(stored)/float64(unique), "stored/unique")
		b.ReportMetric(float64(stored)/deploys/1024, "KiB/deploy")
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return p
}

// storeDeploy deploys the files (every 20th is a DAG file) through the service.
func storeDeploy(b *testing.B, s *benchServer, ctx context.Context, content [][]byte) {
	b.Helper()
	dockerfile := []byte("FROM quay.io/dagdeck/runtime:2.0.0\n")
	img := &dagdeck.Manifest{Kind: dagdeck.ManifestImage, Files: []dagdeck.ManifestFile{{Path: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), Digest: dagdeck.DigestOf(dockerfile)}}}
	dags := &dagdeck.Manifest{Kind: dagdeck.ManifestDAGs}
	byDigest := map[string][]byte{img.Files[0].Digest: dockerfile}
	for i, c := range content {
		f := dagdeck.ManifestFile{Path: fileName(i), Mode: 0o644, Size: int64(len(c)), Digest: dagdeck.DigestOf(c)}
		byDigest[f.Digest] = c
		if i%20 == 0 {
			dags.Files = append(dags.Files, f)
		} else {
			img.Files = append(img.Files, f)
		}
	}
	created, err := s.svc.CreateDeploy(ctx, "bench", dagdeck.DeployCreate{Type: dagdeck.DeployImageAndDAG, RuntimeVersion: "2.0.0", ImageManifest: img, DagManifest: dags})
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range created.Missing {
		if err := s.svc.PutBlob(ctx, d, bytes.NewReader(byDigest[d]), int64(len(byDigest[d]))); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.svc.FinalizeDeploy(ctx, "bench", created.Deploy.ID); err != nil {
		b.Fatal(fmt.Errorf("finalize: %w", err))
	}
}
