package staff

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"

	"madoguchi/app/audit"
	"madoguchi/app/store"
)

// tempAlphabet leaves out characters that are easily confused when read
// aloud or copied from paper (0/O, 1/l/I).
const tempAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// TemporaryPassword returns a random password for a reset: three groups of
// four characters from an unambiguous alphabet (about 60 bits), e.g.
// "k7mq-2xvd-p9ta", that passes the password policy.
func TemporaryPassword() (string, error) {
	for {
		var b strings.Builder
		for i := 0; i < 12; i++ {
			if i > 0 && i%4 == 0 {
				b.WriteByte('-')
			}
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(tempAlphabet))))
			if err != nil {
				return "", err
			}
			b.WriteByte(tempAlphabet[n.Int64()])
		}
		if CheckPassword([]byte(b.String())) == nil {
			return b.String(), nil
		}
	}
}

// ResetPassword gives the account a new temporary password, which it
// returns, lifts any lock-out on the ID and makes the staff member choose
// their own password at the next sign-in (Account.MustChangePassword).
// by is the supervisor doing it; the reset is audited as
// staff.reset (never with the password).
func (s *Store) ResetPassword(ctx context.Context, by, id string) (string, error) {
	pw, err := TemporaryPassword()
	if err != nil {
		return "", err
	}
	phc, err := s.Params.Hash([]byte(pw))
	if err != nil {
		return "", err
	}
	err = s.update(ctx, by, id, audit.ActionStaffPasswordReset, "temporary password; must change at next sign-in",
		"UPDATE staff SET password_hash = ?, password_changed_at = ?, must_change_password = 1 WHERE id = ?",
		phc, store.FormatTime(s.now()), id)
	if err != nil {
		return "", err
	}
	return pw, nil
}
