package bridge

import (
	"net/http"
	"time"
)

// ServiceAPI is the RPC service "Service": the WHMCS provisioning functions of one service.
type ServiceAPI struct {
	p *Provisioner
}

// ServiceArgs names the WHMCS service an RPC acts on, and the admin who triggered it (0 for
// WHMCS automation).
type ServiceArgs struct {
	ServiceID int64 `json:"service_id"`
	AdminID   int64 `json:"admin_id"`
}

// Create is WHMCS CreateAccount: it provisions the service's S3 user, or confirms the existing one.
func (s *ServiceAPI) Create(r *http.Request, args *ServiceArgs, reply *CreateResult) error {
	res, err := s.p.Create(r.Context(), args.ServiceID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// SystemAPI is the RPC service "System": checks of the daemon itself.
type SystemAPI struct {
	checker Checker
}

// CheckArgs is empty; System.Check takes no parameters.
type CheckArgs struct{}

// CheckReply reports the state of each dependency. OK is true only when all of them work.
type CheckReply struct {
	OK       bool        `json:"ok"`
	Version  string      `json:"version"`
	Database CheckResult `json:"database"`
	Gateway  CheckResult `json:"gateway"`
	Time     time.Time   `json:"time"`
}

// CheckResult is the outcome of checking one dependency.
type CheckResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// Check is WHMCS TestConnection: a signed request that reached this method proves the address and
// the RPC secret; the reply adds the state of the database and the gateway.
func (s *SystemAPI) Check(r *http.Request, _ *CheckArgs, reply *CheckReply) error {
	if s.checker == nil {
		*reply = CheckReply{OK: true, Version: Version, Time: time.Now().UTC()}
		return nil
	}
	*reply = s.checker.Check(r.Context())
	return nil
}

// Version is the daemon's version, set at build time with -ldflags "-X".
var Version = "dev"
