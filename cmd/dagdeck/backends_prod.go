package main

import (
	"context"
	"fmt"

	"github.com/dagdeck/dagdeck"
)

// openPostgres is wired once the postgres package lands.
func openPostgres(ctx context.Context, rawURL string) (dagdeck.Store, error) {
	return nil, fmt.Errorf("PostgreSQL is not available in this build")
}

// openS3 is wired once the s3 package lands.
func openS3(ctx context.Context, rawURL string) (dagdeck.ArtifactStore, error) {
	return nil, fmt.Errorf("S3 is not available in this build")
}
