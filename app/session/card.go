package session

import (
	"context"
	"crypto"
	"errors"

	"madoguchi/keygen"
)

// KeygenCard adapts a *keygen.Card to Card, generating keys of the given
// algorithm (RSA-2048, the zero value, as in JPKI).
type KeygenCard struct {
	*keygen.Card
	Alg keygen.Algorithm
}

// GenerateKey generates the key pair with k.Alg.
func (k KeygenCard) GenerateKey(ctx context.Context) (crypto.PublicKey, error) {
	return k.Card.GenerateKey(ctx, k.Alg)
}

// CardUnusable is the default Manager.CardUnusable: a keygen step error
// that says the card cannot be used any more.
func CardUnusable(err error) bool {
	var se *keygen.StepError
	return errors.As(err, &se) && !se.CardUsable
}

// notPrepared reports whether err says the card was not prepared in this
// connection.
func notPrepared(err error) bool { return errors.Is(err, keygen.ErrNotPrepared) }
