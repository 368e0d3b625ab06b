package bridge

import "net/http"

// RevokeKeyArgs names the access key to revoke.
type RevokeKeyArgs struct {
	ServiceID   int64  `json:"service_id"`
	AdminID     int64  `json:"admin_id"`
	AccessKeyID string `json:"access_key_id"`
}

// ReconcileArgs selects what Service.Reconcile checks: one service, the services of one client,
// or every service when both are 0.
type ReconcileArgs struct {
	ServiceID int64 `json:"service_id"`
	ClientID  int64 `json:"client_id"`
	Fix       bool  `json:"fix"`
	AdminID   int64 `json:"admin_id"`
}

// ReconcileReply is the report of Service.Reconcile with its text rendering.
type ReconcileReply struct {
	ReconcileReport
	Text string `json:"text"`
}

// GenerateKey adds an access key pair to the service's S3 user and records it in the note.
func (s *ServiceAPI) GenerateKey(r *http.Request, args *ServiceArgs, reply *KeyResult) error {
	res, err := s.p.GenerateKey(r.Context(), args.ServiceID, args.AdminID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// RevokeKey revokes the named access key of the service.
func (s *ServiceAPI) RevokeKey(r *http.Request, args *RevokeKeyArgs, reply *KeyResult) error {
	res, err := s.p.RevokeKey(r.Context(), args.ServiceID, args.AdminID, args.AccessKeyID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// Keys lists the service's recorded access keys, so an admin can choose one to revoke.
func (s *ServiceAPI) Keys(r *http.Request, args *ServiceArgs, reply *KeysResult) error {
	res, err := s.p.Keys(r.Context(), args.ServiceID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// Reconcile compares the selected services with the gateway and, with fix, repairs them.
func (s *ServiceAPI) Reconcile(r *http.Request, args *ReconcileArgs, reply *ReconcileReply) error {
	noteService(r.Context(), args.ServiceID)
	report, err := s.p.Reconcile(r.Context(), ReconcileRequest{
		ClientID: args.ClientID, ServiceID: args.ServiceID, Fix: args.Fix, AdminID: args.AdminID,
	})
	if err != nil {
		return err
	}
	*reply = ReconcileReply{ReconcileReport: report, Text: report.Text()}
	return nil
}
