package app

import (
	"context"

	"madoguchi/cardio"
	"madoguchi/keygen"
)

// CardEvent is a card inserted into or removed from the counter's reader.
type CardEvent = cardio.Event

// WatchCard reports insertions and removals in the counter's reader until
// ctx ends; the first event is the current state.
func (c *Counter) WatchCard(ctx context.Context) (<-chan CardEvent, error) {
	r, err := c.Reader(ctx)
	if err != nil {
		return nil, err
	}
	return cardio.Watch(ctx, r), nil
}

// CardKind is what a card in the reader is, as far as the counter's
// procedures are concerned.
type CardKind int

// Card kinds.
const (
	CardBlank   CardKind = iota + 1 // a blank card: ready for a new issuance
	CardIssued                      // a card this municipality issued (holds a signing certificate)
	CardForeign                     // anything else: refused
)

// Label is the kind's Japanese name for the card screen.
func (k CardKind) Label() string {
	switch k {
	case CardBlank:
		return "白紙のカード（発行できます）"
	case CardIssued:
		return "発行済みのカード"
	}
	return "使用できないカード"
}

// Kind recognises the card.
func (c *Card) Kind(ctx context.Context) (CardKind, error) {
	st, err := c.kg.State(ctx)
	if err != nil {
		return 0, err
	}
	switch st {
	case keygen.StateBlank:
		return CardBlank, nil
	case keygen.StateIssued:
		return CardIssued, nil
	}
	return CardForeign, nil
}

// CheckPINPolicy checks a resident's new PIN and its confirmation against
// the product's PIN policy (6–8 digits and upper-case letters, not all one
// character, not a simple run). Its error's UserMessage never shows the PIN.
func CheckPINPolicy(pin, confirm []byte) error { return keygen.CheckPINPolicy(pin, confirm) }
