package app

import (
	"context"
	"testing"

	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/forms"
	"madoguchi/keygen"
)

// The demo's emulated cards outlive the application: the card in the
// reader is back after a restart, and a card taken out can be put back
// later, still issued.
func TestDemoCardsSurviveRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openCounter(t, dir, session.Hooks{})
	d := signIn(t, c, staff.DemoClerk)
	r := residentNeedingSubstitute(t, d)
	c.InsertBlankCard()
	s, _ := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew))
	if err := drive(ctx, d, s.ID); err != nil {
		t.Fatal(err)
	}
	c.Close()

	c = openCounter(t, dir, session.Hooks{})
	if c.EmulatedReader().Card() == nil {
		t.Fatal("the card is not in the reader after a restart")
	}
	if _, err := c.RemoveCard(); err != nil {
		t.Fatal(err)
	}
	names, err := c.SavedCards()
	if err != nil || len(names) != 1 {
		t.Fatalf("SavedCards = %v, %v", names, err)
	}
	c.Close()

	c = openCounter(t, dir, session.Hooks{})
	defer c.Close()
	if c.EmulatedReader().Card() != nil {
		t.Fatal("a card is in the reader although it was taken out")
	}
	if err := c.InsertSavedCard(names[0]); err != nil {
		t.Fatal(err)
	}
	if left, _ := c.SavedCards(); len(left) != 0 {
		t.Errorf("the inserted card is still listed: %v", left)
	}
	d = signIn(t, c, staff.DemoClerk)
	card, err := d.ConnectCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	if st, err := card.State(ctx); err != nil || st != keygen.StateIssued {
		t.Errorf("card state %v %v", st, err)
	}
	if err := c.InsertSavedCard("../x"); err == nil {
		t.Error("a path outside the cards folder was accepted")
	}
}
