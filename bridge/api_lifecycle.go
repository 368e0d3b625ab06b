package bridge

import "net/http"

// Suspend is WHMCS SuspendAccount: it disables the service's S3 user.
func (s *ServiceAPI) Suspend(r *http.Request, args *ServiceArgs, reply *StatusReply) error {
	if err := s.p.Suspend(r.Context(), args.ServiceID, args.AdminID); err != nil {
		return err
	}
	*reply = StatusReply{ServiceID: args.ServiceID, State: "disabled"}
	return nil
}

// Unsuspend is WHMCS UnsuspendAccount: it enables the service's S3 user.
func (s *ServiceAPI) Unsuspend(r *http.Request, args *ServiceArgs, reply *StatusReply) error {
	if err := s.p.Unsuspend(r.Context(), args.ServiceID, args.AdminID); err != nil {
		return err
	}
	*reply = StatusReply{ServiceID: args.ServiceID, State: "enabled"}
	return nil
}

// StatusReply is the result of Service.Suspend and Service.Unsuspend: the state the S3 user has
// now.
type StatusReply struct {
	ServiceID int64  `json:"service_id"`
	State     string `json:"state"`
}

// Terminate is WHMCS TerminateAccount: it deletes the service's S3 user, or disables it and
// reports the buckets it owns, as the product's setting selects.
func (s *ServiceAPI) Terminate(r *http.Request, args *ServiceArgs, reply *TerminateResult) error {
	res, err := s.p.Terminate(r.Context(), args.ServiceID, args.AdminID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// ChangePackage is WHMCS ChangePackage: it applies the limits and quota of the service's product.
func (s *ServiceAPI) ChangePackage(r *http.Request, args *ServiceArgs, reply *PlanResult) error {
	res, err := s.p.ChangePackage(r.Context(), args.ServiceID, args.AdminID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// ClientArea is WHMCS ClientArea: it returns the S3 endpoint and key pairs of the service.
func (s *ServiceAPI) ClientArea(r *http.Request, args *ServiceArgs, reply *ClientAreaResult) error {
	res, err := s.p.ClientArea(r.Context(), args.ServiceID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// DeletedArgs names a service whose WHMCS record was deleted.
type DeletedArgs struct {
	ServiceID int64 `json:"service_id"`
}

// Deleted is the WHMCS ServiceDelete hook: it disables the S3 user of a deleted service and keeps
// its data.
func (s *ServiceAPI) Deleted(r *http.Request, args *DeletedArgs, reply *ServiceDeletedResult) error {
	res, err := s.p.Deleted(r.Context(), args.ServiceID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// ClientAPI is the RPC service "Client": the WHMCS hooks about a client account.
type ClientAPI struct {
	p *Provisioner
}

// EmailChangedArgs is the email change that the ClientEdit hook reports.
type EmailChangedArgs struct {
	ClientID int64  `json:"client_id"`
	OldEmail string `json:"old_email"`
	NewEmail string `json:"new_email"`
}

// EmailChanged is the WHMCS ClientEdit hook for a changed email.
func (c *ClientAPI) EmailChanged(r *http.Request, args *EmailChangedArgs, reply *ClientServices) error {
	res, err := c.p.EmailChanged(r.Context(), args.ClientID, args.OldEmail, args.NewEmail)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}

// MergedArgs is the merge that the AfterClientMerge hook reports: from_client_id was merged into
// to_client_id.
type MergedArgs struct {
	FromClientID int64 `json:"from_client_id"`
	ToClientID   int64 `json:"to_client_id"`
}

// Merged is the WHMCS AfterClientMerge hook.
func (c *ClientAPI) Merged(r *http.Request, args *MergedArgs, reply *ClientServices) error {
	res, err := c.p.Merged(r.Context(), args.FromClientID, args.ToClientID)
	if err != nil {
		return err
	}
	*reply = res
	return nil
}
