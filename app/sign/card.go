package sign

import (
	"context"
	"crypto/x509"
	"fmt"

	"madoguchi/cardio"
	"madoguchi/keygen"
)

// Card is an issued card in a reader, opened for signing.
type Card struct {
	conn *cardio.Card
	card *keygen.Card
	cert *x509.Certificate
}

// OpenCard connects to the card in r and reads the signing certificate of
// slot 9C. A card without one gives an error wrapping
// keygen.ErrNoCertificate.
func OpenCard(ctx context.Context, r cardio.Reader) (*Card, error) {
	conn, err := r.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("sign: card in %s: %w", r.Name(), err)
	}
	card, err := keygen.Open(conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sign: %w", err)
	}
	cert, err := card.Certificate(ctx)
	if err == nil {
		err = card.ExpectKey(cert.PublicKey)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sign: %w", err)
	}
	return &Card{conn: conn, card: card, cert: cert}, nil
}

// Certificate is the card's signing certificate.
func (c *Card) Certificate() *x509.Certificate { return c.cert }

// Signer returns the card's key and certificate with chain; each
// signature verifies pin on the card first. The caller wipes pin after
// signing.
func (c *Card) Signer(pin []byte, chain []*x509.Certificate) Signer {
	return Signer{Key: c.card.Signer(pin), Certificate: c.cert, Chain: chain}
}

// Close disconnects from the card.
func (c *Card) Close() error { return c.conn.Close() }
