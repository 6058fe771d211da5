package notice

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/store/storetest"
)

// Each kind of change, end to end through the real EST/TLS link: the
// import queues a notice, the sender delivers it, the CA revokes with the
// right reason, its CRL lists the certificate with the right reason code,
// and the records say so. The request carries the serial and the kind
// only.
func TestNoticePerKindThroughTheReferenceCA(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := startCA(t, filepath.Join(dir, "ca"))
	client := e.client(t)
	db, g := openCounterDB(t, filepath.Join(dir, "counter.db"))
	tests := []struct {
		code      string
		kind      prefecture.NoticeKind
		reason    prefecture.Reason
		crlReason int
	}{
		{"10000000001", prefecture.NoticeAddressChange, prefecture.ReasonAddressChange, prefecture.CRLReasonAffiliationChanged},
		{"10000000002", prefecture.NoticeNameChange, prefecture.ReasonNameChange, prefecture.CRLReasonAffiliationChanged},
		{"10000000003", prefecture.NoticeDeath, prefecture.ReasonDeath, prefecture.CRLReasonCessationOfOperation},
		{"10000000004", prefecture.NoticeMovedOut, prefecture.ReasonMovedOut, prefecture.CRLReasonAffiliationChanged},
		{"10000000005", prefecture.NoticeErased, prefecture.ReasonErased, prefecture.CRLReasonCessationOfOperation},
	}
	serials := map[string]string{}
	for _, tt := range tests {
		serials[tt.code] = issue(t, db, g, client, tt.code)
	}
	kana := issue(t, db, g, client, "10000000006") // ふりがな only: stays valid

	check, err := g.Import(ctx, "super01", strings.NewReader(changesCSV), registry.ImportOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(check.Notices) != len(tests) {
		t.Fatalf("check lists %d notices: %+v", len(check.Notices), check.Notices)
	}
	rep, err := g.Import(ctx, "super01", strings.NewReader(changesCSV), registry.ImportOptions{CheckedSHA256: check.SHA256})
	if err != nil || rep.Queued != len(tests) {
		t.Fatalf("import: %v, %+v", err, rep)
	}
	s := &Sender{DB: db, CA: client}
	sent, err := s.SendDue(ctx)
	if err != nil || sent != len(tests) {
		t.Fatalf("SendDue = %d, %v", sent, err)
	}
	crl, err := client.CRL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			serial := serials[tt.code]
			n, _ := records.ParseSerial(serial)
			st, err := e.ca.CertificateStatus(ctx, n)
			if err != nil || !st.Revoked || st.Reason != tt.reason {
				t.Errorf("CA status %+v, %v", st, err)
			}
			if got := crlReason(crl, serial); got != tt.crlReason {
				t.Errorf("CRL reason code %d, want %d", got, tt.crlReason)
			}
			c, err := records.Get(ctx, db, serial)
			if err != nil || c.Status != records.CertRevoked || c.RevokeReason != tt.reason.String() || c.RevokedAt.IsZero() {
				t.Errorf("record %+v, %v", c, err)
			}
		})
	}
	if c, _ := records.Get(ctx, db, kana); c.Status != records.CertValid {
		t.Errorf("ふりがな-only change revoked %s", kana)
	}
	ns, err := List(ctx, db, Sent, 0)
	if err != nil || len(ns) != len(tests) {
		t.Fatalf("sent notices %d, %v", len(ns), err)
	}
	for _, n := range ns {
		if !strings.Contains(n.Result, n.Serial+":"+n.Kind.Reason().String()) || n.Attempts != 1 {
			t.Errorf("notice %+v", n)
		}
	}
	// What went on the wire: the serial and the kind (and the protocol's
	// time, nonce and idempotency key), nothing about the resident.
	ps := e.payloads(t)
	if len(ps) != len(tests) {
		t.Fatalf("%d notice requests", len(ps))
	}
	for _, p := range ps {
		raw := p["_raw"].(string)
		delete(p, "_raw")
		var keys []string
		for k := range p {
			keys = append(keys, k)
		}
		if len(p) != 6 || p["op"] != "notice" || p["serial"] == nil || p["notice"] == nil || p["time"] == nil || p["nonce"] == nil || p["key"] == nil {
			t.Errorf("payload fields %v", keys)
		}
		for _, secret := range []string{"山田", "佐藤", "さとう", "栄町", "東京都", "千代田区", "1000000000", "2026-11-20"} {
			if strings.Contains(raw, secret) {
				t.Errorf("payload %s carries %q", raw, secret)
			}
		}
	}
	es, _ := audit.List(ctx, db, audit.Filter{Action: audit.ActionNoticeSent})
	if len(es) != len(tests) || !strings.Contains(es[0].Detail, "revoked: ") {
		t.Errorf("audit %+v", es)
	}
	if c, err := CountBetween(ctx, db, time.Now().Add(-time.Hour), time.Now().Add(time.Hour)); err != nil || c.Sent != len(tests) || c.Total() != len(tests) {
		t.Errorf("counts %+v, %v", c, err)
	}
}

// The CA is down during the import: the notice waits with its failure
// recorded, and goes once the CA is back. Importing the same file again
// queues nothing new, and the CA applies the notice once.
func TestCADownThenBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := startCA(t, filepath.Join(dir, "ca"))
	client := e.client(t)
	db, g := openCounterDB(t, filepath.Join(dir, "counter.db"))
	serial := issue(t, db, g, client, "10000000003")
	addr := e.addr
	e.stop()

	death := "住民コード,異動事由,異動日\n10000000003,死亡,2026-11-20\n"
	if _, err := g.Import(ctx, "super01", strings.NewReader(death), registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	s := &Sender{DB: db, CA: client, Now: func() time.Time { return clock }, MinBackoff: time.Minute}
	if sent, err := s.SendDue(ctx); err != nil || sent != 0 {
		t.Fatalf("SendDue with the CA down = %d, %v", sent, err)
	}
	ns, _ := List(ctx, db, "", 0)
	if len(ns) != 1 || ns[0].State != Pending || ns[0].Attempts != 1 || !strings.Contains(ns[0].LastError, "接続できません") ||
		!ns[0].NextAttemptAt.Equal(clock.Add(time.Minute).Truncate(time.Microsecond)) {
		t.Fatalf("after a failed attempt: %+v", ns)
	}
	if fs, _ := audit.List(ctx, db, audit.Filter{Action: audit.ActionNoticeFailed}); len(fs) != 1 {
		t.Errorf("failure audit %+v", fs)
	}
	// Not due yet: nothing is tried.
	e.serve(t, addr)
	if sent, _ := s.SendDue(ctx); sent != 0 {
		t.Fatal("sent before the backoff")
	}
	// The same import again: nothing new is queued.
	if rep, err := g.Import(ctx, "super01", strings.NewReader(death), registry.ImportOptions{}); err != nil || rep.Queued != 0 || len(rep.Notices) != 0 {
		t.Fatalf("second import: %v %+v", err, rep)
	}
	clock = clock.Add(2 * time.Minute)
	for i := 0; i < 2; i++ {
		if _, err := s.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := e.ca.NoticeCount(ctx); n != 1 {
		t.Errorf("CA applied %d notices, want 1", n)
	}
	if len(e.payloads(t)) != 1 {
		t.Errorf("%d requests reached the CA, want 1", len(e.payloads(t)))
	}
	if c, _ := records.Get(ctx, db, serial); c.Status != records.CertRevoked || c.RevokeReason != "death" {
		t.Errorf("record %+v", c)
	}
}

// A notice the CA refuses is kept as failed with the CA's reason; a
// supervisor may send it again.
func TestRefusedNoticeKeptAsFailed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := startCA(t, filepath.Join(dir, "ca"))
	client := e.client(t)
	db, g := openCounterDB(t, filepath.Join(dir, "counter.db"))
	serial := issue(t, db, g, client, "10000000003")
	// The CA forgets the certificate: make the local record name a serial
	// the CA never issued.
	if _, err := db.ExecContext(ctx, "UPDATE certificates SET serial = 'abcdef0123' WHERE serial = ?", serial); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Import(ctx, "super01", strings.NewReader("住民コード,異動事由,異動日\n10000000003,死亡,2026-11-20\n"), registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s := &Sender{DB: db, CA: client}
	if _, err := s.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	ns, _ := List(ctx, db, Failed, 0)
	if len(ns) != 1 || !strings.Contains(ns[0].LastError, "発行されていません") || !strings.Contains(ns[0].LastError, prefecture.RefusalUnknownSerial) {
		t.Fatalf("failed notices %+v", ns)
	}
	if sent, _ := s.SendDue(ctx); sent != 0 {
		t.Fatal("a failed notice was sent again without a retry")
	}
	if err := Retry(ctx, db, "super01", ns[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := Retry(ctx, db, "super01", ns[0].ID, time.Now()); !errors.Is(err, ErrNotFailed) {
		t.Errorf("retry of a pending notice: %v", err)
	}
	if _, err := s.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	n, _ := Get(ctx, db, ns[0].ID)
	if n.State != Failed || n.Attempts != 2 {
		t.Errorf("after retry %+v", n)
	}
	for _, a := range []string{audit.ActionNoticeFailed, audit.ActionNoticeRetry} {
		if es, _ := audit.List(ctx, db, audit.Filter{Action: a}); len(es) == 0 {
			t.Errorf("no %s audit entry", a)
		}
	}
}

// The sender runs in the background: an import followed by Kick is
// delivered without anyone waiting on it.
func TestSenderRunsInBackground(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	e := startCA(t, filepath.Join(dir, "ca"))
	client := e.client(t)
	db, g := openCounterDB(t, filepath.Join(dir, "counter.db"))
	serial := issue(t, db, g, client, "10000000001")
	s := &Sender{DB: db, CA: client, Poll: time.Hour}
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	if _, err := g.Import(ctx, "super01", strings.NewReader("住民コード,異動事由,異動日,住所\n10000000001,町名変更,2026-11-20,東京都千代田区新町一丁目１番１号\n"), registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Kick()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, _ := records.Get(ctx, db, serial); c.Status == records.CertRevoked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not revoked in the background")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
}

// Environment of the crashing child of TestCrashBetweenOutboxAndSend.
const (
	envChildDB    = "MADOGUCHI_TEST_NOTICE_DB"
	envChildCA    = "MADOGUCHI_TEST_NOTICE_CA"
	envChildAddr  = "MADOGUCHI_TEST_NOTICE_ADDR"
	envChildPoint = "MADOGUCHI_TEST_NOTICE_POINT" // before-send or after-answer
)

func TestMain(m *testing.M) {
	if p := os.Getenv(envChildDB); p != "" {
		crashChild(p)
		os.Exit(1) // not reached: the child is killed
	}
	os.Exit(m.Run())
}

// crashChild imports the death file and runs the sender, killing itself
// with SIGKILL at the given point.
func crashChild(dbPath string) {
	t := &testing.T{}
	ctx := context.Background()
	e := &caEnv{dir: os.Getenv(envChildCA), addr: os.Getenv(envChildAddr)}
	db, g := openCounterDB(t, dbPath)
	if _, err := g.Import(ctx, "super01", strings.NewReader("住民コード,異動事由,異動日\n10000000003,死亡,2026-11-20\n"), registry.ImportOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ca, err := openCAForChild(e)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	kill := func(Notice) { killSelf() }
	s := &Sender{DB: db, CA: ca}
	if os.Getenv(envChildPoint) == "before-send" {
		s.BeforeSend = kill
	} else {
		s.AfterAnswer = kill
	}
	s.SendDue(ctx)
	os.Exit(2)
}

// kill -9 between the outbox write and the send, or between the CA's answer
// and its commit: the next run sends the notice, and the CA applies it
// exactly once.
func TestCrashBetweenOutboxAndSend(t *testing.T) {
	for _, point := range []string{"before-send", "after-answer"} {
		t.Run(point, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			e := startCA(t, filepath.Join(dir, "ca"))
			client := e.client(t)
			dbPath := filepath.Join(dir, "counter.db")
			db, g := openCounterDB(t, dbPath)
			serial := issue(t, db, g, client, "10000000003")

			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envChildDB+"="+storetest.Target(t, dbPath), envChildCA+"="+e.dir, envChildAddr+"="+e.addr, envChildPoint+"="+point)
			out, err := cmd.CombinedOutput()
			if !killedHard(err) {
				t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
			}
			ns, _ := List(ctx, db, "", 0)
			if len(ns) != 1 || ns[0].State != Pending {
				t.Fatalf("after the crash: %+v", ns)
			}
			wantBefore := 0
			if point == "after-answer" {
				wantBefore = 1
			}
			if n, _ := e.ca.NoticeCount(ctx); n != wantBefore {
				t.Fatalf("CA applied %d notices before the restart, want %d", n, wantBefore)
			}
			s := &Sender{DB: db, CA: client}
			if sent, err := s.SendDue(ctx); err != nil || sent != 1 {
				t.Fatalf("SendDue after the restart = %d, %v", sent, err)
			}
			if n, _ := e.ca.NoticeCount(ctx); n != 1 {
				t.Errorf("CA applied %d notices, want 1", n)
			}
			n, _ := Get(ctx, db, ns[0].ID)
			// The CA's stored first answer: revoked by this notice, not "already".
			if n.State != Sent || n.Result != serial+":death" {
				t.Errorf("notice %+v", n)
			}
			if c, _ := records.Get(ctx, db, serial); c.Status != records.CertRevoked {
				t.Errorf("record %+v", c)
			}
		})
	}
}
