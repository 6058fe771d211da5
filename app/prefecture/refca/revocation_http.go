package refca

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"madoguchi/app/prefecture"
)

// registerRevocation adds the revocation information endpoints: partition
// CRLs, OCSP and 現況確認 for registered verifiers, and a terminal's own
// municipality's partitions for the counter's records.
func (ca *CA) registerRevocation(mux *http.ServeMux) {
	mux.HandleFunc("GET "+CRLPrefix+"{code}/{file}", ca.serveVerifierCRL)
	mux.HandleFunc("POST "+OCSPPath, ca.serveOCSP)
	mux.HandleFunc("GET "+OCSPPath+"/{req...}", ca.serveOCSP)
	mux.HandleFunc("POST "+StatusPath, ca.serveStatus)
	mux.HandleFunc("GET "+prefecture.RACRLIndexPath, ca.serveRAIndex)
	mux.HandleFunc("GET "+RACRLPrefix+"{code}/{file}", ca.serveRACRL)
}

// serveVerifierCRL answers GET /crl/<code>/<shard>.crl and
// /crl/<code>/<shard>-delta.crl to registered verifiers.
func (ca *CA) serveVerifierCRL(w http.ResponseWriter, r *http.Request) {
	what := "crl " + r.PathValue("code") + "/" + r.PathValue("file")
	if _, ref := ca.verifierAccess(r, what); ref != nil {
		ref.write(w)
		return
	}
	ca.writeCRL(w, r)
}

// writeCRL serves the partition CRL named by the path.
func (ca *CA) writeCRL(w http.ResponseWriter, r *http.Request) {
	p, delta, err := ParsePartitionFile(r.PathValue("code"), r.PathValue("file"))
	if err != nil {
		refuse(http.StatusNotFound, prefecture.RefusalNoPartition, err.Error(), "指定された失効リストはありません").write(w)
		return
	}
	var der []byte
	if delta {
		der, err = ca.DeltaCRL(r.Context(), p)
	} else {
		der, err = ca.FullCRL(r.Context(), p)
	}
	if errors.Is(err, ErrNoPartition) {
		refuse(http.StatusNotFound, prefecture.RefusalNoPartition, fmt.Sprintf("no certificate names partition %s", p),
			"指定された失効リストはありません").write(w)
		return
	}
	if err != nil {
		ca.log.Error("building a CRL failed", "partition", p.String(), "err", err)
		internalRefusal(err).write(w)
		return
	}
	w.Header().Set("Content-Type", prefecture.CRLType)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(der)
}

// OCSP media types (RFC 6960 appendix C).
const (
	ocspRequestType  = "application/ocsp-request"
	ocspResponseType = "application/ocsp-response"
)

// serveOCSP answers OCSP requests by POST (body) and GET (base64 in the
// path, RFC 6960 appendix A.1) to registered verifiers.
func (ca *CA) serveOCSP(w http.ResponseWriter, r *http.Request) {
	v, client, ref := ca.checkVerifier(r)
	if ref != nil {
		e := fetchEntry{at: ca.now(), client: client, what: "ocsp", detail: ref.Code}
		if v != nil {
			e.verifier = v.ID
		}
		ca.rev.fetch.add(e)
		ref.write(w)
		return
	}
	var der []byte
	var err error
	if r.Method == http.MethodPost {
		der, err = io.ReadAll(io.LimitReader(r.Body, 16<<10))
	} else {
		var s string
		if s, err = url.PathUnescape(r.PathValue("req")); err == nil {
			der, err = base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		}
	}
	resp, st, err := func() ([]byte, SerialStatus, error) {
		if err != nil {
			return nil, SerialStatus{}, err
		}
		return ca.OCSPRespond(r.Context(), der)
	}()
	what := "ocsp " + st.Serial + " " + string(st.State)
	if err != nil {
		what = "ocsp (" + err.Error() + ")"
		if resp == nil {
			resp = malformedOCSP
		}
	}
	ca.rev.fetch.add(fetchEntry{at: ca.now(), verifier: v.ID, client: client, what: what, granted: true})
	w.Header().Set("Content-Type", ocspResponseType)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(resp)
}

// malformedOCSP is the OCSP "malformedRequest" response.
var malformedOCSP = []byte{0x30, 0x03, 0x0a, 0x01, 0x01}

// serveStatus answers a 現況確認 batch query to registered verifiers.
func (ca *CA) serveStatus(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxStatusBody+1))
	q, perr := ParseStatusQuery(body)
	what := fmt.Sprintf("status %d serials since %s", len(q.Serials), q.Since.Format("2006-01-02T15:04:05Z07:00"))
	if _, ref := ca.verifierAccess(r, what); ref != nil {
		ref.write(w)
		return
	}
	if err == nil && len(body) > MaxStatusBody {
		err = fmt.Errorf("query larger than %d bytes", MaxStatusBody)
	}
	if err = errors.Join(err, perr); err != nil {
		refuse(http.StatusBadRequest, prefecture.RefusalBadRequest, err.Error(), "照会の形式が正しくありません").write(w)
		return
	}
	a, err := ca.QueryStatus(r.Context(), q)
	if err != nil {
		internalRefusal(err).write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a)
}

// serveRAIndex lists the authenticated terminal's own municipality's
// partitions.
func (ca *CA) serveRAIndex(w http.ResponseWriter, r *http.Request) {
	t, ref := ca.authenticate(r.Context(), r)
	if ref != nil {
		ref.write(w)
		return
	}
	parts, err := ca.Partitions(r.Context(), t.code)
	if err != nil {
		internalRefusal(err).write(w)
		return
	}
	counts, err := ca.store.partitionCounts(r.Context(), t.code)
	if err != nil {
		internalRefusal(err).write(w)
		return
	}
	idx := prefecture.CRLIndex{Municipality: t.code, Partitions: []prefecture.CRLPartition{}}
	for _, p := range parts {
		idx.Partitions = append(idx.Partitions, prefecture.CRLPartition{Full: "/ra" + p.FullPath(), Delta: "/ra" + p.DeltaPath(), Revoked: counts[p.Shard]})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(idx)
}

// serveRACRL serves a terminal the partitions of its own municipality,
// which the counter reads to bring its records in line (SyncRevocations).
// Other municipalities' partitions are revocation information, for
// registered verifiers only.
func (ca *CA) serveRACRL(w http.ResponseWriter, r *http.Request) {
	t, ref := ca.authenticate(r.Context(), r)
	if ref != nil {
		ref.write(w)
		return
	}
	if r.PathValue("code") != t.code {
		refuse(http.StatusForbidden, prefecture.RefusalRANotVerifier,
			fmt.Sprintf("a terminal of municipality %s reads only its own municipality's CRL partitions", t.code),
			"他の市区町村の失効情報は取得できません").write(w)
		return
	}
	ca.writeCRL(w, r)
}

// PlainHandler answers plain-http requests at the revocation URL that
// certificates name: every request is refused with 403 and a reason
// telling registered verifiers to fetch the same path over mutual TLS from
// the CA's base URL. It gives nothing away and is logged like the others.
func (ca *CA) PlainHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ca.rev.fetch.add(fetchEntry{at: ca.now(), client: "(plain http) " + r.RemoteAddr, what: r.Method + " " + r.URL.Path,
			detail: prefecture.RefusalNoClientCert})
		refuse(http.StatusForbidden, prefecture.RefusalNoClientCert,
			fmt.Sprintf("revocation information is provided only to registered verifiers (art. 17): fetch %s%s over TLS with your access certificate",
				ca.BaseURL(), r.URL.Path),
			"失効情報は届出をした者にのみ、アクセス証明書による TLS 接続で提供されます").write(w)
	})
}

// serveCRL answers the retired single-file CRL paths (/crl/all.crl,
// /crl/<code>.crl): 403 to anyone but a registered verifier, who is told
// to fetch the partitions its certificates name.
func (ca *CA) serveCRL(w http.ResponseWriter, r *http.Request) {
	if _, ref := ca.verifierAccess(r, "crl "+r.PathValue("name")); ref != nil {
		ref.write(w)
		return
	}
	refuse(http.StatusGone, prefecture.RefusalNoPartition,
		"the complete and per-municipality CRLs are replaced by partitions: fetch the CRL distribution point a certificate names ("+CRLPrefix+"<code>/<shard>.crl)",
		"失効リストは分割されました。証明書に記載された配布点から取得してください").write(w)
}
