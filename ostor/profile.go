package ostor

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Operation names. They are the keys of Config.Methods, appear in APIError.Op
// and select faults in package ostortest.
const (
	OpUsersList      = "users.list"
	OpUsersGet       = "users.get"
	OpUsersCreate    = "users.create"
	OpUsersGenKey    = "users.genKey"
	OpUsersRevokeKey = "users.revokeKey"
	OpUsersDisable   = "users.disable"
	OpUsersEnable    = "users.enable"
	OpUsersDelete    = "users.delete"

	OpAccountsCreate    = "accounts.create"
	OpAccountsDelete    = "accounts.delete"
	OpAccountsGenKey    = "accounts.genKey"
	OpAccountsRevokeKey = "accounts.revokeKey"

	OpBucketsList = "buckets.list"
	OpBucketsGet  = "buckets.get"

	OpLimitsGet    = "limits.get"
	OpLimitsSet    = "limits.set"
	OpLimitsDelete = "limits.delete"

	OpQuotasGet    = "quotas.get"
	OpQuotasSet    = "quotas.set"
	OpQuotasDelete = "quotas.delete"

	OpUsageList   = "usage.list"
	OpUsageGet    = "usage.get"
	OpUsageDelete = "usage.delete"
)

// Profile names accepted by Config.Profile.
const (
	// ProfileAS2 is Acronis Storage 2.x: PUT for genKey and revokeKey, no
	// accounts and no quotas.
	ProfileAS2 = "as2"
	// ProfileVHI is Virtuozzo Hybrid Infrastructure 4.6 to 6.2 (and ACI 3.5+):
	// POST for genKey, revokeKey, disable and enable, accounts and quotas.
	// Quotas exist from VHI 4.7 on.
	ProfileVHI = "vhi"
	// ProfileVHI63 is VHI 6.3 and later: as ProfileVHI, plus the signed
	// x-amz-content-sha256 header, usage paging, the space flag on users and
	// the bucket and multi selectors on buckets.
	ProfileVHI63 = "vhi63"

	// DefaultProfile is used when Config.Profile is empty. The VHI 4.6+
	// methods are documented for every release from VHI 4.6 to VI 7.x, so
	// this profile works on the widest range of current gateways. It does
	// not use the features added in VHI 6.3.
	DefaultProfile = ProfileVHI
)

// Profile describes how one release line of the gateway speaks the admin API.
type Profile struct {
	// Name is the value of Config.Profile that selects this profile.
	Name string
	// Methods maps every operation name to its HTTP method.
	Methods map[string]string
	// SignContentSHA256 makes the client send
	// "x-amz-content-sha256: UNSIGNED-PAYLOAD" and sign that header line, as
	// the s3_curl helper of VHI 6.3+ does.
	SignContentSHA256 bool
	// UserSpace is true when GET ?ostor-users accepts the space flag.
	UserSpace bool
	// UsagePaging is true when GET ?ostor-usage accepts after and limit.
	UsagePaging bool
	// Accounts is true when the accounts service and the accountName
	// parameter exist (VHI 4.6+).
	Accounts bool
	// Quotas is true when the quotas service exists (VHI 4.7+).
	Quotas bool
	// BucketSelect is true when GET ?ostor-buckets accepts bucket and multi
	// (VHI 6.3+).
	BucketSelect bool
}

// readOps are the operations that change nothing on the gateway. Only these
// are retried, and only when they are sent with GET.
var readOps = map[string]bool{
	OpUsersList:   true,
	OpUsersGet:    true,
	OpBucketsList: true,
	OpBucketsGet:  true,
	OpLimitsGet:   true,
	OpQuotasGet:   true,
	OpUsageList:   true,
	OpUsageGet:    true,
}

func baseMethods() map[string]string {
	return map[string]string{
		OpUsersList:      http.MethodGet,
		OpUsersGet:       http.MethodGet,
		OpUsersCreate:    http.MethodPut,
		OpUsersGenKey:    http.MethodPost,
		OpUsersRevokeKey: http.MethodPost,
		OpUsersDisable:   http.MethodPost,
		OpUsersEnable:    http.MethodPost,
		OpUsersDelete:    http.MethodDelete,

		OpAccountsCreate:    http.MethodPost,
		OpAccountsDelete:    http.MethodDelete,
		OpAccountsGenKey:    http.MethodPost,
		OpAccountsRevokeKey: http.MethodPost,

		OpBucketsList: http.MethodGet,
		OpBucketsGet:  http.MethodGet,

		OpLimitsGet:    http.MethodGet,
		OpLimitsSet:    http.MethodPut,
		OpLimitsDelete: http.MethodDelete,

		OpQuotasGet:    http.MethodGet,
		OpQuotasSet:    http.MethodPut,
		OpQuotasDelete: http.MethodDelete,

		OpUsageList:   http.MethodGet,
		OpUsageGet:    http.MethodGet,
		OpUsageDelete: http.MethodDelete,
	}
}

func buildProfiles() map[string]Profile {
	as2 := baseMethods()
	// The AS 2.x API reference documents genKey and revokeKey as PUT. It
	// documents no disable or enable flag at all.
	// NOTE: disable and enable use POST on AS 2.x as on VHI, which is a guess.
	// Override them with Config.Methods if the gateway rejects POST.
	as2[OpUsersGenKey] = http.MethodPut
	as2[OpUsersRevokeKey] = http.MethodPut

	return map[string]Profile{
		ProfileAS2: {Name: ProfileAS2, Methods: as2},
		ProfileVHI: {Name: ProfileVHI, Methods: baseMethods(), Accounts: true, Quotas: true},
		ProfileVHI63: {
			Name: ProfileVHI63, Methods: baseMethods(), SignContentSHA256: true,
			UserSpace: true, UsagePaging: true, Accounts: true, Quotas: true, BucketSelect: true,
		},
	}
}

var profiles = buildProfiles()

// LookupProfile returns a copy of the named profile. An empty name selects
// DefaultProfile.
func LookupProfile(name string) (Profile, error) {
	if name == "" {
		name = DefaultProfile
	}
	p, ok := profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q: use one of %s", name, strings.Join(ProfileNames(), ", "))
	}
	p.Methods = copyMethods(p.Methods)
	return p, nil
}

// ProfileNames returns the names of all profiles, sorted.
func ProfileNames() []string {
	names := make([]string, 0, len(profiles))
	for name := range profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Operations returns the names of all operations, sorted.
func Operations() []string {
	ops := make([]string, 0, len(profiles[DefaultProfile].Methods))
	for op := range profiles[DefaultProfile].Methods {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// IsReadOperation reports whether op only reads gateway state.
func IsReadOperation(op string) bool {
	return readOps[op]
}

func copyMethods(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// serviceOf returns the service word of an operation name, e.g. "users" for
// "users.genKey".
func serviceOf(op string) string {
	service, _, _ := strings.Cut(op, ".")
	return service
}
