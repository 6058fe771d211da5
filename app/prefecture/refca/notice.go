package refca

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"madoguchi/app/prefecture"
)

// errKeyReused is a notice key already used for another serial or kind.
var errKeyReused = errors.New("refca: notice key already used for another notice")

// serveKeyedNotice applies a verified change notice that carries an
// idempotency key: once per (municipality, key). The revocations, the
// notice's record and the key with its answer are written in one
// transaction, so a notice is applied exactly once whatever fails when;
// a repeated key gets the stored answer.
func (ca *CA) serveKeyedNotice(ctx context.Context, w http.ResponseWriter, t *terminal, req prefecture.Request, serial string, now time.Time) {
	var answer []byte
	var revoked []*record
	err := ca.store.write(ctx, func(tx *sql.Tx) error {
		var prevSerial, prevKind string
		err := tx.QueryRowContext(ctx, "SELECT serial, kind, response FROM notice_keys WHERE municipality = ? AND key = ?", t.code, req.Key).
			Scan(&prevSerial, &prevKind, &answer)
		switch {
		case err == nil:
			if prevSerial != serial || prevKind != req.Notice.String() {
				return errKeyReused
			}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		target, err := ca.store.get(ctx, tx, serial)
		if err != nil {
			return err
		}
		if target == nil {
			return refuse(http.StatusNotFound, prefecture.RefusalUnknownSerial,
				fmt.Sprintf("no certificate with serial %s was issued by this CA", serial),
				"指定された発行番号の証明書はこの認証局で発行されていません")
		}
		if target.Municipality != t.code {
			return refuse(http.StatusForbidden, prefecture.RefusalOtherMunicipality,
				fmt.Sprintf("certificate %s was issued through another municipality", serial),
				"この証明書は他の市区町村で発行されたものです")
		}
		rows, err := tx.QueryContext(ctx, "SELECT serial FROM certificates WHERE holder = ? AND revoked_at IS NULL ORDER BY issued_at", target.Holder)
		if err != nil {
			return err
		}
		serials, err := scanStrings(rows)
		if err != nil {
			return err
		}
		reason := req.Notice.Reason()
		resp := prefecture.Response{Revoked: []prefecture.RevokedEntry{}}
		for _, sn := range serials {
			if _, err := tx.ExecContext(ctx, "UPDATE certificates SET revoked_at = ?, reason = ?, revoked_by = ? WHERE serial = ? AND revoked_at IS NULL",
				now.Unix(), reason.String(), t.serial, sn); err != nil {
				return err
			}
			// In the same transaction, the revocation index the CRL
			// partitions, deltas and OCSP are built from.
			if err := recordRevocation(ctx, tx, sn, now, reason); err != nil {
				return err
			}
			r, err := ca.store.get(ctx, tx, sn)
			if err != nil {
				return err
			}
			revoked = append(revoked, r)
			resp.Revoked = append(resp.Revoked, prefecture.RevokedEntry{Serial: r.Serial, RevokedAt: r.RevokedAt, Reason: r.Reason})
		}
		if len(serials) == 0 && target.Revoked() {
			resp.Revoked = append(resp.Revoked, prefecture.RevokedEntry{Serial: target.Serial, RevokedAt: target.RevokedAt, Reason: target.Reason, Already: true})
		}
		if answer, err = json.Marshal(resp); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO notices (received_at, ra_serial, kind, serial) VALUES (?, ?, ?, ?)",
			now.Unix(), t.serial, req.Notice.String(), serial); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO notice_keys (municipality, key, serial, kind, response, received_at) VALUES (?, ?, ?, ?, ?, ?)",
			t.code, req.Key, serial, req.Notice.String(), answer, now.Unix())
		return err
	})
	var rf *refusal
	switch {
	case errors.As(err, &rf):
		rf.write(w)
		return
	case errors.Is(err, errKeyReused):
		refuse(http.StatusConflict, prefecture.RefusalReplay, "the notice key was already used for another notice",
			"同じ識別子の別の異動通知がすでに届いています").write(w)
		return
	case err != nil:
		internalRefusal(err).write(w)
		return
	}
	if len(revoked) > 0 {
		ca.crlChanged()
		for _, rec := range revoked {
			ca.log.Info("certificate revoked", "serial", rec.Serial, "reason", rec.Reason.String(), "terminal", t.name, "op", prefecture.OpNotice)
		}
	}
	w.Header().Set("Content-Type", prefecture.ResponseType)
	w.Write(answer)
	w.Write([]byte("\n"))
}

// NoticeCount returns how many change notices the CA has applied (a
// notice repeated with the same key counts once).
func (ca *CA) NoticeCount(ctx context.Context) (int, error) {
	var n int
	err := ca.store.db.QueryRowContext(ctx, "SELECT count(*) FROM notices").Scan(&n)
	return n, err
}

// WrapHandler puts wrap around the server's handler, to observe or disturb
// requests in tests. Call it before Serve.
func (s *Server) WrapHandler(wrap func(http.Handler) http.Handler) {
	s.http.Handler = wrap(s.http.Handler)
}
