package app

import (
	"context"
	"time"

	"madoguchi/app/notice"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/staff"
	"madoguchi/forms"
)

// noticeRunner is the counter's background sender of change notices.
type noticeRunner struct {
	sender *notice.Sender
	stop   context.CancelFunc
	done   chan struct{}
}

// startNotices starts delivering the change-notice outbox to the CA in the
// background, beginning with what an earlier run left pending. It does
// nothing when the CA link takes no notices.
func (c *Counter) startNotices() {
	ca, ok := c.ca.(prefecture.OnceNotifier)
	if !ok || c.db == nil {
		c.log.Warn("the prefecture CA link does not take change notices; registry changes will not revoke certificates")
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &noticeRunner{sender: &notice.Sender{DB: c.db, CA: ca, Log: c.log}, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.sender.Run(ctx)
	}()
	c.notices = r
}

// stopNotices stops the background sender and waits for it. Notices not
// yet answered stay pending for the next run.
func (c *Counter) stopNotices() {
	if c.notices != nil {
		c.notices.stop()
		<-c.notices.done
		c.notices = nil
	}
}

// kickNotices wakes the sender after an import that queued notices.
func (c *Counter) kickNotices(rep *registry.ImportReport) {
	if c.notices != nil && rep != nil && rep.Queued > 0 {
		c.notices.sender.Kick()
	}
}

// Notices lists the change notices in state ("" for all), newest first
// (supervisors only).
func (d *Desk) Notices(ctx context.Context, state notice.State, limit int) ([]notice.Notice, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	return notice.List(ctx, d.c.db, state, limit)
}

// RetryNotice sends a failed change notice again (supervisors only).
func (d *Desk) RetryNotice(ctx context.Context, id string) error {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return err
	}
	if err := notice.Retry(ctx, d.c.db, d.acct.ID, id, time.Now()); err != nil {
		return err
	}
	if d.c.notices != nil {
		d.c.notices.sender.Kick()
	}
	return nil
}

// NoticeCounts counts the change notices queued on a day (a day in the
// municipality's zone, config time_zone) by their state now, for the
// 日計表 (supervisors only). The zero day counts every notice.
func (d *Desk) NoticeCounts(ctx context.Context, day forms.Date) (notice.Counts, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return notice.Counts{}, err
	}
	if day.IsZero() {
		return notice.CountBetween(ctx, d.c.db, time.Time{}, time.Time{})
	}
	from, to := records.DayRange(day, d.Location())
	return notice.CountBetween(ctx, d.c.db, from, to)
}
