package refca

import (
	"context"
	"testing"

	"madoguchi/app/prefecture"
)

// A notice sent again with the same key (a terminal retrying after a crash)
// gets the first answer and is recorded once; a key reused for another
// notice is refused.
func TestKeyedNoticeAppliedOnce(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	got, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("鍵付\u3000花子")))
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 1), resident("別人\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	serial := got.Certificate.SerialNumber
	const key = "notice-key-0123456789abcdef"
	first, err := e.client.NotifyOnce(ctx, key, serial, prefecture.NoticeMovedOut)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Revoked) != 1 || first.Revoked[0].Already || first.Revoked[0].Reason != prefecture.ReasonMovedOut {
		t.Fatalf("first answer %+v", first.Revoked)
	}
	for i := 0; i < 3; i++ {
		again, err := e.client.NotifyOnce(ctx, key, serial, prefecture.NoticeMovedOut)
		if err != nil {
			t.Fatal(err)
		}
		// The stored answer, not an "already revoked" one.
		if len(again.Revoked) != 1 || again.Revoked[0].Already || !again.Revoked[0].RevokedAt.Equal(first.Revoked[0].RevokedAt) {
			t.Fatalf("repeat %d: %+v", i, again.Revoked)
		}
	}
	if n, err := e.ca.NoticeCount(ctx); err != nil || n != 1 {
		t.Fatalf("CA recorded %d notices (%v), want 1", n, err)
	}
	tests := []struct {
		name   string
		key    string
		serial string
		kind   prefecture.NoticeKind
		code   string
	}{
		{"key reused for another serial", key, prefecture.FormatSerial(other.Certificate.SerialNumber), prefecture.NoticeMovedOut, prefecture.RefusalReplay},
		{"key reused for another kind", key, prefecture.FormatSerial(serial), prefecture.NoticeDeath, prefecture.RefusalReplay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, _ := prefecture.ParseSerial(tt.serial)
			_, err := e.client.NotifyOnce(ctx, tt.key, n, tt.kind)
			if pe := refusalOf(t, err); pe.Refusal.Code != tt.code {
				t.Errorf("got %v", err)
			}
		})
	}
	if st, _ := e.ca.CertificateStatus(ctx, other.Certificate.SerialNumber); st.Revoked {
		t.Error("a reused key revoked another certificate")
	}
	if n, _ := e.ca.NoticeCount(ctx); n != 1 {
		t.Errorf("CA recorded %d notices, want 1", n)
	}
}
