package prefecture

// Refusal codes of the revocation information service (失効情報の提供,
// art. 17), which only registered verifiers may use.
const (
	// RefusalNotVerifier: the client certificate is not a verifier's
	// access certificate.
	RefusalNotVerifier = "not-verifier"
	// RefusalRANotVerifier: a counter terminal's RA certificate was used
	// to fetch revocation information.
	RefusalRANotVerifier = "ra-not-verifier"
	// RefusalVerifierUnknown: the access certificate belongs to no
	// registered verifier.
	RefusalVerifierUnknown = "verifier-unknown"
	// RefusalVerifierRemoved: the verifier's registration has ended.
	RefusalVerifierRemoved = "verifier-removed"
	// RefusalVerifierNotRA: a verifier certificate was used to enroll,
	// revoke or send a notice.
	RefusalVerifierNotRA = "verifier-not-ra"
	// RefusalNoPartition: no certificate names the requested CRL partition.
	RefusalNoPartition = "no-partition"
)

// Paths of a terminal's own municipality's CRL partitions, read by CRL.
const (
	// RACRLIndexPath lists the terminal's partitions (JSON, CRLIndex).
	RACRLIndexPath = "/ra/crl/index.json"
)

// CRLIndex lists a municipality's CRL partitions, as served at
// RACRLIndexPath: each Full path (and its Delta) is relative to the CA's
// base URL.
type CRLIndex struct {
	Municipality string         `json:"municipality"`
	Partitions   []CRLPartition `json:"partitions"`
}

// CRLPartition names one partition's complete and delta CRLs.
type CRLPartition struct {
	Full  string `json:"full"`
	Delta string `json:"delta"`
	// Revoked counts the partition's revocations when the index was made;
	// a partition with none can be skipped.
	Revoked int `json:"revoked"`
}
