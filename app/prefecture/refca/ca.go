// Package refca is the reference prefecture CA: enough of the prefecture's
// side of JPKI (証明書発行・失効情報管理機関) for the counter application to
// run end to end out of the box and in tests.
//
// It serves EST (/cacerts, /csrattrs, /simpleenroll) through
// github.com/globalsign/est's server router; accepts only terminals whose
// certificate chains to the configured RA root, carries id-kp-cmcRA and is
// not revoked; checks each request (proof of possession, RSA-2048 or
// optionally P-256, the six subjectAltName items); issues the JPKI
// signing-certificate profile; keeps every certificate in its own SQLite
// store, or in a PostgreSQL database shared by several CA processes
// (Settings.DatabaseURL); revokes a resident's previous certificate when it issues a new
// one; takes RA-signed revocation requests and change notices; and
// provides revocation information (失効情報, art. 17 of 電子署名に係る地方公共団体
// の認証業務に関する法律) to registered verifiers only, over mutual TLS with
// their access certificates: CRLs partitioned by municipality and serial
// shard (complete runs on a schedule, delta CRLs in between), OCSP from a
// delegated responder, and batch 現況確認 queries. Every fetch is logged.
// A terminal reads only its own municipality's partitions.
//
// Certificates name their partition by a stable plain-http URL
// (Settings.RevocationURL): RFC 5280 clients expect http distribution
// points, an https one would need its own revocation check, and the URL
// identifies the partition (it is matched against the CRL's
// issuingDistributionPoint) rather than granting access, which the
// server decides by the client certificate.
//
// A CA lives in a directory made by Setup. Open loads it; Listen serves it
// over TLS 1.3; StartEmbedded does both in-process for the app's embedded
// default.
package refca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/globalsign/est"

	"madoguchi/app/prefecture"
	appstore "madoguchi/app/store"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
)

// Options adjust how a CA runs; the zero value is fine.
type Options struct {
	// Logger receives operational messages (issuance and revocation by
	// serial and terminal, refusals). It never receives personal data or
	// keys. Nil discards them.
	Logger *slog.Logger
	// Now replaces the clock, for tests. Nil means time.Now.
	Now func() time.Time
	// DatabaseURL, when set, overrides Settings.DatabaseURL: the
	// PostgreSQL database (postgres://…) holding the CA's store.
	DatabaseURL string
}

// CA is an open reference CA. It is safe for concurrent use.
type CA struct {
	dir      string
	settings Settings
	cert     *x509.Certificate
	key      crypto.Signer
	raRoots  *x509.CertPool
	server   tls.Certificate
	store    *store
	policy   x509.OID
	crlLife  time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	baseURL string

	rev *revocationState // CRLs, OCSP, verifiers' fetch log
}

// Open loads the CA in dir (made by Setup) and opens its store.
func Open(ctx context.Context, dir string, o Options) (*CA, error) {
	s, err := LoadSettings(dir)
	if err != nil {
		return nil, err
	}
	caCert, caKey, err := loadPair(filepath.Join(dir, FileCACert), filepath.Join(dir, FileCAKey))
	if err != nil {
		return nil, err
	}
	raRoot, _, err := loadPair(filepath.Join(dir, FileRARootCert), filepath.Join(dir, FileRARootKey))
	if err != nil {
		return nil, err
	}
	srv, err := tls.LoadX509KeyPair(filepath.Join(dir, FileServerCert), filepath.Join(dir, FileServerKey))
	if err != nil {
		return nil, fmt.Errorf("refca: server certificate: %w", err)
	}
	policy, _ := x509.ParseOID(s.PolicyOID) // checked by LoadSettings
	life, _ := time.ParseDuration(s.CRLLifetime)
	target := filepath.Join(dir, FileDatabase)
	if o.DatabaseURL != "" {
		s.DatabaseURL = o.DatabaseURL
	}
	if s.DatabaseURL != "" {
		if !appstore.IsURL(s.DatabaseURL) {
			return nil, fmt.Errorf("refca: database URL %q is not postgres://…", appstore.Redact(s.DatabaseURL))
		}
		target = s.DatabaseURL
	}
	st, err := openStore(ctx, target)
	if err != nil {
		return nil, err
	}
	ca := &CA{
		dir:      dir,
		settings: s,
		cert:     caCert,
		key:      caKey,
		raRoots:  x509.NewCertPool(),
		server:   srv,
		store:    st,
		policy:   policy,
		crlLife:  life,
		log:      o.Logger,
		now:      o.Now,
		baseURL:  strings.TrimSuffix(s.URL, "/"),
	}
	ca.raRoots.AddCert(raRoot)
	if ca.log == nil {
		ca.log = slog.New(slog.DiscardHandler)
	}
	if ca.now == nil {
		ca.now = time.Now
	}
	if err := ca.openRevocation(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return ca, nil
}

// Close closes the store.
func (ca *CA) Close() error {
	ca.closeRevocation()
	return ca.store.Close()
}

// Root returns the CA's root certificate, which clients pin.
func (ca *CA) Root() *x509.Certificate { return ca.cert }

// Settings returns the CA's settings.
func (ca *CA) Settings() Settings { return ca.settings }

// BaseURL returns the base URL written into CRL distribution points.
func (ca *CA) BaseURL() string {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.baseURL
}

// setDefaultBaseURL sets the base URL unless the settings fixed one.
func (ca *CA) setDefaultBaseURL(u string) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.settings.URL == "" {
		ca.baseURL = u
	}
}

// TLSConfig is the server's TLS configuration: TLS 1.3 only, the CA's
// server certificate, and a requested (not required) client certificate,
// which the handlers check so that a missing or unacceptable one gets a
// clear refusal instead of a handshake failure.
func (ca *CA) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{ca.server},
		ClientAuth:   tls.RequestClientCert,
	}
}

// Handler serves EST under /.well-known/est/, the RA endpoints and the CRLs.
// Bodies larger than MaxBodySize are refused with 413.
func (ca *CA) Handler() http.Handler {
	router, err := est.NewRouter(&est.ServerConfig{
		CA:      estBackend{ca},
		Logger:  estLogger{ca.log},
		Timeout: 60 * time.Second,
	})
	if err != nil {
		panic(err) // NewRouter never fails in v1.0.6
	}
	mux := http.NewServeMux()
	ca.registerRevocation(mux)
	mux.Handle(prefecture.ESTPath+"/", router)
	mux.HandleFunc("POST "+prefecture.RevokePath, func(w http.ResponseWriter, r *http.Request) {
		ca.serveSigned(w, r, prefecture.OpRevoke)
	})
	mux.HandleFunc("POST "+prefecture.NoticePath, func(w http.ResponseWriter, r *http.Request) {
		ca.serveSigned(w, r, prefecture.OpNotice)
	})
	mux.HandleFunc("GET "+prefecture.CRLDir+"{name}", ca.serveCRL)
	return limitBodies(mux)
}

// terminal is an authenticated RA.
type terminal struct {
	cert         *x509.Certificate
	serial       string
	prefecture   string
	municipality string
	code         string
	name         string
}

// authenticate checks the TLS client certificate: it must chain to the RA
// root, carry id-kp-cmcRA, not be revoked, and name this CA's prefecture,
// a municipality and its code.
func (ca *CA) authenticate(ctx context.Context, r *http.Request) (*terminal, *refusal) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, refuse(http.StatusForbidden, prefecture.RefusalNoClientCert,
			"no terminal certificate: the CA requires TLS client authentication with an RA certificate",
			"端末（RA）証明書による認証がありません。端末証明書の設定を確認してください")
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         ca.raRoots,
		Intermediates: inter,
		CurrentTime:   ca.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, refuse(http.StatusForbidden, prefecture.RefusalRAUntrusted,
			fmt.Sprintf("terminal certificate not accepted: %v", err),
			"端末証明書が認証局の認める発行元のものではないか、有効期間外です")
	}
	if isVerifierCert(leaf) {
		return nil, refuse(http.StatusForbidden, prefecture.RefusalVerifierNotRA,
			"a verifier's access certificate cannot enroll, revoke or send notices; only counter terminals (RA) can",
			"失効情報のアクセス証明書では発行・失効・異動通知はできません")
	}
	cmcRA := false
	for _, oid := range leaf.UnknownExtKeyUsage {
		cmcRA = cmcRA || oid.Equal(OIDCMCRA)
	}
	if !cmcRA {
		return nil, refuse(http.StatusForbidden, prefecture.RefusalRANotCMCRA,
			"terminal certificate does not carry the extended key usage id-kp-cmcRA (1.3.6.1.5.5.7.3.28)",
			"端末証明書に登録局（RA）の用途が含まれていません")
	}
	t := &terminal{cert: leaf, serial: prefecture.FormatSerial(leaf.SerialNumber)}
	revoked, err := ca.store.terminalRevoked(ctx, t.serial)
	if err != nil {
		return nil, internalRefusal(err)
	}
	if revoked {
		return nil, refuse(http.StatusForbidden, prefecture.RefusalRARevoked,
			fmt.Sprintf("terminal certificate %s has been revoked", t.serial),
			"この端末の証明書は失効しています。管理者に連絡してください")
	}
	if loc := leaf.Subject.Locality; len(loc) == 2 {
		t.prefecture, t.municipality = loc[0], loc[1]
	}
	if ou := leaf.Subject.OrganizationalUnit; len(ou) == 1 {
		t.code = ou[0]
	}
	t.name = leaf.Subject.CommonName
	if t.prefecture != ca.settings.Prefecture || t.municipality == "" || !validCode(t.code) {
		return nil, refuse(http.StatusForbidden, prefecture.RefusalRAWrongPrefecture,
			fmt.Sprintf("terminal certificate subject %q does not name this CA's prefecture %q, a municipality and its code", leaf.Subject, ca.settings.Prefecture),
			"端末証明書の都道府県・市区町村の記載がこの認証局と合いません")
	}
	return t, nil
}

func internalRefusal(err error) *refusal {
	return &refusal{status: http.StatusInternalServerError, Refusal: prefecture.Refusal{Reason: "internal error: " + err.Error()}}
}

// maxIssueAttempts bounds the issuances of one request that a database
// unique index refuses because a concurrent issuer committed first.
const maxIssueAttempts = 5

// enroll checks and answers one certificate request from an authenticated
// terminal. A request for a public key that is already certified for the
// same items and municipality gets the same certificate back: this makes
// retries safe.
func (ca *CA) enroll(ctx context.Context, t *terminal, csr *x509.CertificateRequest) (*x509.Certificate, error) {
	now := ca.now()
	req, ref := checkRequest(csr, ca.settings.AllowP256, now)
	if ref != nil {
		ca.log.Info("enrollment refused", "terminal", t.name, "municipality", t.code, "code", ref.Code)
		return nil, ref
	}
	spki := sha256.Sum256(csr.RawSubjectPublicKeyInfo)
	items := itemsHash(req.items)
	for attempt := 1; ; attempt++ {
		prev, err := ca.store.bySPKI(ctx, spki[:])
		if err != nil {
			return nil, internalRefusal(err)
		}
		if prev != nil {
			return ca.repeat(prev, items, t)
		}
		shards, err := ca.store.municipalityShards(ctx, t.code, ca.settings.shards())
		if err != nil {
			return nil, internalRefusal(err)
		}
		cert, rec, err := ca.issue(req, t, now, shards)
		if err != nil {
			return nil, internalRefusal(err)
		}
		rec.SPKI, rec.Items = spki[:], items
		superseded, err := ca.store.insert(ctx, rec)
		if errors.Is(err, errDuplicateKey) {
			continue // a concurrent identical request won; answer with its certificate
		}
		if errors.Is(err, errIssueConflict) && attempt < maxIssueAttempts {
			continue // another CA process sharing the database committed first
		}
		if err != nil {
			return nil, internalRefusal(err)
		}
		ca.log.Info("certificate issued", "serial", rec.Serial, "terminal", t.name, "municipality", t.code)
		if len(superseded) > 0 {
			ca.log.Info("previous certificates revoked as superseded", "serials", superseded, "by", rec.Serial)
			ca.crlChanged()
		}
		return cert, nil
	}
}

// repeat answers a request whose public key is already certified.
func (ca *CA) repeat(prev *record, items []byte, t *terminal) (*x509.Certificate, error) {
	if !bytes.Equal(prev.Items, items) || prev.Municipality != t.code {
		return nil, refuse(http.StatusConflict, prefecture.RefusalKeyReused,
			fmt.Sprintf("this public key is already certified (serial %s) for other items; generate a new key pair", prev.Serial),
			"この鍵はすでに別の内容で証明書が発行されています。カードで鍵を作り直してください")
	}
	if prev.Revoked() {
		return nil, refuse(http.StatusConflict, prefecture.RefusalKeyRevoked,
			fmt.Sprintf("the certificate for this public key (serial %s) was revoked on %s; generate a new key pair", prev.Serial, prev.RevokedAt.Format(time.RFC3339)),
			"この鍵の証明書はすでに失効しています。カードで鍵を作り直してください")
	}
	cert, err := x509.ParseCertificate(prev.DER)
	if err != nil {
		return nil, internalRefusal(err)
	}
	ca.log.Info("repeated request answered with the issued certificate", "serial", prev.Serial, "terminal", t.name)
	return cert, nil
}

// itemsHash is the SHA-256 of the six items, each length-prefixed.
func itemsHash(it jpkicert.Items) []byte {
	return hashStrings(it.Name, it.NamePositions, it.Sex, it.Birth, it.Address, it.AddressPositions)
}

// holderKey identifies a resident by the four basic items (基本4情報) as
// certified: one valid certificate per holder key.
func holderKey(it jpkicert.Items) []byte {
	return hashStrings(it.Name, it.Sex, it.Birth, it.Address)
}

func hashStrings(ss ...string) []byte {
	h := sha256.New()
	for _, s := range ss {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	return h.Sum(nil)
}

// issue signs the JPKI signing-certificate profile for a checked request.
func (ca *CA) issue(req *checkedRequest, t *terminal, now time.Time, shards int) (*x509.Certificate, *record, error) {
	serial := randomSerial()
	part := Partition{Municipality: t.code, Shard: shardOf(serial, shards)}
	subject, err := asn1.Marshal(pkix.RDNSequence{
		{{Type: oidCountry, Value: "JP"}},
		{{Type: oidLocality, Value: ca.settings.Prefecture}},
		{{Type: oidLocality, Value: t.municipality}},
		{{Type: oidCommonName, Value: serial.String()}},
	})
	if err != nil {
		return nil, nil, err
	}
	san, err := req.items.Extension()
	if err != nil {
		return nil, nil, err
	}
	notBefore := now.Truncate(time.Second)
	notAfter := ca.notAfter(notBefore, req.birth)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		RawSubject:            subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		Policies:              []x509.OID{ca.policy},
		CRLDistributionPoints: []string{ca.rev.base + part.FullPath()},
		OCSPServer:            []string{ca.rev.base + OCSPPath},
		SubjectKeyId:          keyID(req.csr.PublicKey),
		ExtraExtensions:       []pkix.Extension{san, freshestCRL(ca.rev.base + part.DeltaPath())},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, req.csr.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, &record{
		Serial:       prefecture.FormatSerial(serial),
		Holder:       holderKey(req.items),
		Municipality: t.code,
		Terminal:     t.name,
		RASerial:     t.serial,
		IssuedAt:     notBefore,
		NotAfter:     notAfter,
		DER:          der,
	}, nil
}

// jst is Japan Standard Time, in which validity dates are reckoned.
var jst = time.FixedZone("JST", 9*60*60)

// notAfter applies the validity rule: three years from issue, or the end
// (23:59:59 JST) of the 5th birthday after the issue date. A 29 February
// birthday falls on 28 February in common years. Never past the CA's own
// certificate.
func (ca *CA) notAfter(issued time.Time, birth forms.Date) time.Time {
	var end time.Time
	switch ca.settings.Validity {
	case ValidityThreeYears:
		end = issued.AddDate(3, 0, 0)
	default:
		end = FifthBirthday(issued, birth)
	}
	if end.After(ca.cert.NotAfter) {
		end = ca.cert.NotAfter
	}
	return end
}

// FifthBirthday returns the last second (JST) of the 5th birthday strictly
// after the issue date (in JST). A 29 February birthday counts as 28
// February in common years.
func FifthBirthday(issued time.Time, birth forms.Date) time.Time {
	day := issued.In(jst)
	birthdayIn := func(year int) time.Time {
		m, d := birth.Month, birth.Day
		if m == time.February && d == 29 && !isLeap(year) {
			d = 28
		}
		return time.Date(year, m, d, 0, 0, 0, 0, jst)
	}
	today := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, jst)
	first := birthdayIn(day.Year())
	if !first.After(today) {
		first = birthdayIn(day.Year() + 1)
	}
	fifth := birthdayIn(first.Year() + 4)
	return fifth.Add(24*time.Hour - time.Second).UTC()
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// serveSigned handles the RA-signed revocation and change-notice requests.
func (ca *CA) serveSigned(w http.ResponseWriter, r *http.Request, op string) {
	ctx := r.Context()
	t, ref := ca.authenticate(ctx, r)
	if ref != nil {
		ref.write(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, prefecture.MaxSignedRequestSize+1))
	if err != nil {
		refuse(http.StatusBadRequest, prefecture.RefusalBadRequest, "reading the request: "+err.Error(), "要求を読み取れません").write(w)
		return
	}
	now := ca.now()
	req, err := prefecture.VerifyRequest(body, t.cert, now)
	if err == nil && req.Op != op {
		err = fmt.Errorf("operation %q sent to the %s endpoint", req.Op, op)
	}
	if err != nil {
		refuse(http.StatusBadRequest, prefecture.RefusalBadSignedRequest, err.Error(),
			"端末の署名付き要求を確認できません（署名・時刻・形式のいずれかが正しくありません）").write(w)
		return
	}
	bodyHash := sha256.Sum256(body)
	if err := ca.store.useNonce(ctx, t.serial, req.Nonce, bodyHash[:], now); err != nil {
		if errors.Is(err, errReplay) {
			refuse(http.StatusConflict, prefecture.RefusalReplay, "the request's nonce was already used for another request",
				"同じ識別子の別の要求がすでに届いています").write(w)
			return
		}
		internalRefusal(err).write(w)
		return
	}
	serial := strings.ToLower(strings.TrimLeft(req.Serial, "0"))
	if op == prefecture.OpNotice && req.Key != "" {
		ca.serveKeyedNotice(ctx, w, t, req, serial, now)
		return
	}
	reason := req.Reason
	if op == prefecture.OpNotice {
		reason = req.Notice.Reason()
	}
	revoked, already, err := ca.store.revoke(ctx, serial, op == prefecture.OpNotice, reason, t.serial, now, func(rec *record) error {
		if rec == nil {
			return refuse(http.StatusNotFound, prefecture.RefusalUnknownSerial,
				fmt.Sprintf("no certificate with serial %s was issued by this CA", serial),
				"指定された発行番号の証明書はこの認証局で発行されていません")
		}
		if rec.Municipality != t.code {
			return refuse(http.StatusForbidden, prefecture.RefusalOtherMunicipality,
				fmt.Sprintf("certificate %s was issued through another municipality", serial),
				"この証明書は他の市区町村で発行されたものです")
		}
		return nil
	})
	var rf *refusal
	if errors.As(err, &rf) {
		rf.write(w)
		return
	}
	if err != nil {
		internalRefusal(err).write(w)
		return
	}
	if op == prefecture.OpNotice {
		if err := ca.store.addNotice(ctx, t.serial, req.Notice.String(), serial, now); err != nil {
			internalRefusal(err).write(w)
			return
		}
	}
	resp := prefecture.Response{Revoked: []prefecture.RevokedEntry{}}
	for _, rec := range revoked {
		resp.Revoked = append(resp.Revoked, prefecture.RevokedEntry{Serial: rec.Serial, RevokedAt: rec.RevokedAt, Reason: rec.Reason})
	}
	if already != nil {
		resp.Revoked = append(resp.Revoked, prefecture.RevokedEntry{Serial: already.Serial, RevokedAt: already.RevokedAt, Reason: already.Reason, Already: true})
	}
	if len(revoked) > 0 {
		ca.crlChanged()
		for _, rec := range revoked {
			ca.log.Info("certificate revoked", "serial", rec.Serial, "reason", rec.Reason.String(), "terminal", t.name, "op", op)
		}
	}
	w.Header().Set("Content-Type", prefecture.ResponseType)
	json.NewEncoder(w).Encode(resp)
}

// RevokeTerminal revokes a terminal's RA certificate: the CA refuses every
// later request authenticated with it.
func (ca *CA) RevokeTerminal(ctx context.Context, cert *x509.Certificate, note string) error {
	return ca.store.revokeTerminal(ctx, prefecture.FormatSerial(cert.SerialNumber), note, ca.now())
}

// IssuedCount returns how many certificates the CA has issued.
func (ca *CA) IssuedCount(ctx context.Context) (int, error) { return ca.store.count(ctx) }

// Status is the state of one issued certificate.
type Status struct {
	Serial       *big.Int
	Municipality string
	IssuedAt     time.Time
	NotAfter     time.Time
	Revoked      bool
	RevokedAt    time.Time
	Reason       prefecture.Reason
}

// ErrUnknownSerial is returned by CertificateStatus for a serial the CA did
// not issue.
var ErrUnknownSerial = errors.New("refca: unknown certificate serial")

// CertificateStatus reports the state of the certificate with the given
// serial.
func (ca *CA) CertificateStatus(ctx context.Context, serial *big.Int) (Status, error) {
	rec, err := ca.store.get(ctx, ca.store.db, prefecture.FormatSerial(serial))
	if err != nil {
		return Status{}, err
	}
	if rec == nil {
		return Status{}, ErrUnknownSerial
	}
	return Status{
		Serial: serial, Municipality: rec.Municipality, IssuedAt: rec.IssuedAt, NotAfter: rec.NotAfter,
		Revoked: rec.Revoked(), RevokedAt: rec.RevokedAt, Reason: rec.Reason,
	}, nil
}
