package app

import (
	"context"
	"time"

	"madoguchi/app/records"
	"madoguchi/app/staff"
	"madoguchi/forms"
)

// The home screen's facts: the day, the card reader, and today's counts.

// DayZone is the time zone of the municipality's working day (config
// time_zone, default Asia/Tokyo): the home screen's date and the bounds of
// its day, the same zone the records and printouts use.
func (c *Counter) DayZone() *time.Location { return c.cfg.Location() }

// Today is the calendar day at now in the counter's zone (DayZone).
func (d *Desk) Today(now time.Time) forms.Date { return forms.DateOf(now.In(d.c.DayZone())) }

// DayTally is one procedure's sessions started on a day at this counter.
type DayTally struct {
	Kind      forms.ApplicationKind
	Completed int // delivered, revoked, PIN reset: done
	Open      int // in progress or interrupted
	Abandoned int // 中止
	Failed    int // ended by an error
	Mine      int // completed by the signed-in staff member
}

// Total is every session of the tally.
func (t DayTally) Total() int { return t.Completed + t.Open + t.Abandoned + t.Failed }

// DayTallies counts the sessions started on the day of now (DayZone) by
// procedure, in the order 新規発行, 更新, 失効, 暗証番号初期化, each kind
// present even with nothing to count. Any signed-in staff member may ask.
func (d *Desk) DayTallies(ctx context.Context, now time.Time) (forms.Date, []DayTally, error) {
	day := d.Today(now)
	if err := d.check(staff.RoleClerk); err != nil {
		return day, nil, err
	}
	counts, err := records.Daily(ctx, d.c.db, day, d.c.DayZone())
	if err != nil {
		return day, nil, err
	}
	out := []DayTally{{Kind: forms.KindNew}, {Kind: forms.KindRenewal}, {Kind: forms.KindRevocation}, {Kind: forms.KindPINReset}}
	for _, c := range counts {
		for i := range out {
			if out[i].Kind != c.Kind {
				continue
			}
			switch c.Outcome {
			case records.OutcomeCompleted:
				out[i].Completed += c.N
				if c.Clerk == d.acct.ID {
					out[i].Mine += c.N
				}
			case records.OutcomeAbandoned:
				out[i].Abandoned += c.N
			case records.OutcomeFailed:
				out[i].Failed += c.N
			default:
				out[i].Open += c.N
			}
		}
	}
	return day, out, nil
}

// ReaderState is what the home screen says of the card reader.
type ReaderState int

// Reader states.
const (
	ReaderMissing ReaderState = iota + 1 // no reader found, or it stopped answering
	ReaderEmpty                          // connected, no card in it
	ReaderCard                           // connected, a card in it
)

// Label is the state in Japanese, with what to do where something is.
func (s ReaderState) Label() string {
	switch s {
	case ReaderEmpty:
		return "カードリーダー：接続済み（カードなし）"
	case ReaderCard:
		return "カードリーダー：カードが入っています（前の手続のカードなら取り出してください）"
	}
	return "カードリーダー：見つかりません（接続とサービスを確かめてください）"
}

// ReaderState looks at the counter's card reader. A reader that cannot be
// found or read is ReaderMissing, the error saying why.
func (d *Desk) ReaderState(ctx context.Context) (ReaderState, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return ReaderMissing, err
	}
	r, err := d.c.Reader(ctx)
	if err != nil {
		return ReaderMissing, err
	}
	present, err := r.Present(ctx)
	switch {
	case err != nil:
		return ReaderMissing, err
	case present:
		return ReaderCard, nil
	}
	return ReaderEmpty, nil
}
