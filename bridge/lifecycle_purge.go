package bridge

import (
	"context"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/s3data"
)

// S3DataPurger purges buckets through the S3 data API with package s3data.
type S3DataPurger struct {
	// Config holds the endpoint and transport settings. Its key pair is replaced by the owner's
	// on every call.
	Config s3data.Config
}

// Purge deletes the objects and then the buckets, signed with the owner's key pair.
func (s S3DataPurger) Purge(ctx context.Context, owner ostor.KeyPair, buckets []string) (PurgeReport, error) {
	cfg := s.Config
	cfg.AccessKeyID = owner.AccessKeyID
	cfg.SecretAccessKey = owner.SecretAccessKey.Reveal()

	report, err := s3data.Purge(ctx, cfg, buckets)
	var out PurgeReport
	for _, b := range report.Buckets {
		if b.Deleted {
			out.Buckets++
		}
		out.Objects += b.ObjectsDeleted
	}
	return out, err
}
