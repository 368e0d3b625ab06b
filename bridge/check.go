package bridge

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// probeEmail is looked up to test the gateway: a reply of found or not found proves that the
// gateway is reachable and accepts the daemon's signature.
const probeEmail = "connection-check@ostor-bridge.invalid"

// DependencyChecker checks the WHMCS database and the S3 gateway.
type DependencyChecker struct {
	Log     *zap.Logger // failed checks are logged here when set
	Store   *whmcs.Store
	Gateway Gateway
	Timeout time.Duration // per dependency; default 10s
}

// Check runs both checks concurrently and reports each.
func (c *DependencyChecker) Check(ctx context.Context) CheckReply {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	dbDone := make(chan CheckResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		dbDone <- c.checkDatabase(ctx)
	}()
	gwCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	gw := c.checkGateway(gwCtx)
	db := <-dbDone

	if c.Log != nil {
		for name, r := range map[string]CheckResult{"database": db, "gateway": gw} {
			if !r.OK {
				c.Log.Warn("dependency check failed", zap.String("dependency", name), zap.String("error", r.Message))
			}
		}
	}
	return CheckReply{
		OK:       db.OK && gw.OK,
		Version:  Version,
		Database: db,
		Gateway:  gw,
		Time:     time.Now().UTC(),
	}
}

// CheckGateway runs the gateway check alone, for a caller that could not open the database.
func (c *DependencyChecker) CheckGateway(ctx context.Context) CheckResult {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.checkGateway(ctx)
}

func (c *DependencyChecker) checkDatabase(ctx context.Context) CheckResult {
	if err := c.Store.CheckSchema(ctx); err != nil {
		return CheckResult{Message: "WHMCS database: " + err.Error()}
	}
	return CheckResult{OK: true, Message: "WHMCS database reachable and its tables present"}
}

func (c *DependencyChecker) checkGateway(ctx context.Context) CheckResult {
	_, err := c.Gateway.GetUser(ctx, ostor.ByEmail(probeEmail))
	if err == nil || errors.Is(err, ostor.ErrUserNotFound) {
		return CheckResult{OK: true, Message: "S3 gateway reachable and accepts the daemon's credentials"}
	}
	return CheckResult{Message: "S3 gateway: " + gatewayMessage(err)}
}
