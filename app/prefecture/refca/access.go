package refca

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"madoguchi/app/prefecture"
)

// chainCache remembers client certificates whose chain to the access root
// verified, so that a keep-alive connection's requests skip the signature
// checks. Registration is still checked on every request.
type chainCache struct {
	mu sync.Mutex
	ok map[[32]byte]time.Time // certificate hash → its notAfter
}

var verifiedChains = &chainCache{ok: map[[32]byte]time.Time{}}

// verifyAccessChain checks that the peer's certificate chains to the
// access (RA) root at now.
func (ca *CA) verifyAccessChain(peer []*x509.Certificate, now time.Time) error {
	leaf := peer[0]
	h := sha256.Sum256(append(leaf.Raw, ca.cert.Raw...))
	verifiedChains.mu.Lock()
	na, hit := verifiedChains.ok[h]
	verifiedChains.mu.Unlock()
	if hit && now.Before(na) && now.After(leaf.NotBefore) {
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.raRoots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return err
	}
	verifiedChains.mu.Lock()
	if len(verifiedChains.ok) > 1<<16 {
		clear(verifiedChains.ok)
	}
	verifiedChains.ok[h] = leaf.NotAfter
	verifiedChains.mu.Unlock()
	return nil
}

// verifierAccess admits a registered verifier: its TLS client certificate
// must chain to the access root, carry VerifierPolicyOID, and belong to a
// verifier whose registration has not ended. Anyone else is refused with
// 403 and a reason. The request is logged either way.
func (ca *CA) verifierAccess(r *http.Request, what string) (*Verifier, *refusal) {
	v, client, ref := ca.checkVerifier(r)
	e := fetchEntry{at: ca.now(), client: client, what: what, granted: ref == nil}
	if v != nil {
		e.verifier = v.ID
	}
	if ref != nil {
		e.detail = ref.Code
	}
	ca.rev.fetch.add(e)
	return v, ref
}

func (ca *CA) checkVerifier(r *http.Request) (*Verifier, string, *refusal) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, "(no client certificate)", refuse(http.StatusForbidden, prefecture.RefusalNoClientCert,
			"revocation information is provided only to verifiers registered with the prefecture (art. 17), over TLS with their access certificate",
			"失効情報は届出をした者にのみ提供されます。届出の際に交付されたアクセス証明書で接続してください")
	}
	leaf := r.TLS.PeerCertificates[0]
	client := leaf.Subject.String // only for refusals: it allocates
	if err := ca.verifyAccessChain(r.TLS.PeerCertificates, ca.now()); err != nil {
		return nil, client(), refuse(http.StatusForbidden, prefecture.RefusalNotVerifier,
			fmt.Sprintf("client certificate not accepted: %v", err),
			"接続に使われた証明書はこの認証局が交付したアクセス証明書ではないか、有効期間外です")
	}
	for _, oid := range leaf.UnknownExtKeyUsage {
		if oid.Equal(OIDCMCRA) {
			return nil, client(), refuse(http.StatusForbidden, prefecture.RefusalRANotVerifier,
				"a counter terminal's RA certificate cannot fetch revocation information; only registered verifiers can (art. 17)",
				"窓口端末（RA）の証明書では失効情報を取得できません")
		}
	}
	if !isVerifierCert(leaf) {
		return nil, client(), refuse(http.StatusForbidden, prefecture.RefusalNotVerifier,
			"the client certificate is not a verifier's access certificate (certificate policy "+VerifierPolicyOID+")",
			"接続に使われた証明書は失効情報のアクセス証明書ではありません")
	}
	serial := prefecture.FormatSerial(leaf.SerialNumber)
	v, err := ca.verifierAccessBySerial(r.Context(), serial)
	if err != nil {
		return nil, client(), internalRefusal(err)
	}
	if v == nil {
		return nil, client(), refuse(http.StatusForbidden, prefecture.RefusalVerifierUnknown,
			fmt.Sprintf("access certificate %s belongs to no registered verifier", serial),
			"このアクセス証明書の届出が見つかりません")
	}
	if !v.Active() {
		return v, v.Name, refuse(http.StatusForbidden, prefecture.RefusalVerifierRemoved,
			fmt.Sprintf("the registration of verifier %d (%s) ended on %s", v.ID, v.Name, v.RemovedAt.Format(time.RFC3339)),
			"この届出は廃止されています。失効情報は提供できません")
	}
	return v, v.Name, nil
}

// fetchEntry is one line of the fetch log.
type fetchEntry struct {
	at       time.Time
	verifier int64 // 0 when not a registered verifier
	client   string
	what     string
	granted  bool
	detail   string
}

// fetchLogger writes fetch-log entries in batches (one transaction per
// batch) so that logging every OCSP request does not cost a disk sync
// each. Close writes what is pending.
type fetchLogger struct {
	st   *store
	log  *slog.Logger
	ch   chan fetchEntry
	done chan struct{}
	once sync.Once
	// flushed is signalled after each batch, for Flush.
	mu      sync.Mutex
	pending int
	cond    *sync.Cond
}

func newFetchLogger(st *store, log *slog.Logger) *fetchLogger {
	f := &fetchLogger{st: st, log: log, ch: make(chan fetchEntry, 8192), done: make(chan struct{})}
	f.cond = sync.NewCond(&f.mu)
	go f.loop()
	return f
}

func (f *fetchLogger) add(e fetchEntry) {
	f.mu.Lock()
	f.pending++
	f.mu.Unlock()
	f.ch <- e
}

func (f *fetchLogger) loop() {
	defer close(f.done)
	batch := make([]fetchEntry, 0, 1024)
	for e := range f.ch {
		batch = append(batch[:0], e)
	more:
		for len(batch) < cap(batch) {
			select {
			case e, ok := <-f.ch:
				if !ok {
					break more
				}
				batch = append(batch, e)
			default:
				break more
			}
		}
		if err := f.write(batch); err != nil {
			f.log.Error("writing the fetch log failed", "err", err, "entries", len(batch))
		}
		f.mu.Lock()
		f.pending -= len(batch)
		f.cond.Broadcast()
		f.mu.Unlock()
	}
}

func (f *fetchLogger) write(batch []fetchEntry) error {
	ctx := context.Background()
	return f.st.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "INSERT INTO fetch_log (at, verifier_id, client, what, granted, detail) VALUES (?, ?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, e := range batch {
			var vid any
			if e.verifier != 0 {
				vid = e.verifier
			}
			if _, err := stmt.ExecContext(ctx, e.at.UnixMilli(), vid, e.client, e.what, e.granted, e.detail); err != nil {
				return err
			}
		}
		return nil
	})
}

// Flush waits until every entry added so far is written.
func (f *fetchLogger) Flush() {
	f.mu.Lock()
	for f.pending > 0 {
		f.cond.Wait()
	}
	f.mu.Unlock()
}

// Close writes the pending entries and stops the logger.
func (f *fetchLogger) Close() {
	f.once.Do(func() {
		close(f.ch)
		<-f.done
	})
}

// FetchRecord is one logged request for revocation information.
type FetchRecord struct {
	At         time.Time
	VerifierID int64 // 0 when not a registered verifier
	Client     string
	What       string
	Granted    bool
	Detail     string // the refusal code when refused
}

// FetchLog lists logged requests at or after since, oldest first, up to
// limit (0: 1000), for one verifier when verifier is not 0.
func (ca *CA) FetchLog(ctx context.Context, since time.Time, verifier int64, limit int) ([]FetchRecord, error) {
	ca.rev.fetch.Flush()
	if limit <= 0 {
		limit = 1000
	}
	q := "SELECT at, coalesce(verifier_id, 0), client, what, granted, detail FROM fetch_log WHERE at >= ?"
	args := []any{since.UnixMilli()}
	if verifier != 0 {
		q += " AND verifier_id = ?"
		args = append(args, verifier)
	}
	rows, err := ca.store.db.QueryContext(ctx, q+" ORDER BY at, id LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FetchRecord
	for rows.Next() {
		var r FetchRecord
		var at int64
		if err := rows.Scan(&at, &r.VerifierID, &r.Client, &r.What, &r.Granted, &r.Detail); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
