package s3data

import "time"

// Default values of Config fields.
const (
	DefaultRegion  = "us-east-1"
	DefaultTimeout = 30 * time.Second
)
