package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFormatAndParseHead(t *testing.T) {
	head := bytes.Repeat([]byte{0x3f, 0x2a, 0x9c, 0x1b}, 8)
	printed := FormatHead(123, head)
	if !strings.HasPrefix(printed, "No.123 3f2a-9c1b-3f2a-9c1b ") || len(printed) > 32 {
		t.Fatalf("FormatHead = %q", printed)
	}
	sum := printed[len(printed)-2:]
	tests := []struct {
		in string
		ok bool
	}{
		{printed, true},
		{strings.ToUpper(printed), true},
		{"123 3f2a9c1b3f2a9c1b " + sum, true},
		{"Ｎｏ．１２３　３ｆ２ａ－９ｃ１ｂ－３ｆ２ａ－９ｃ１ｂ　" + sum, true},
		{"  No. 123   3f2a 9c1b 3f2a 9c1b-" + sum + "  ", true},
		{"No.124 3f2a-9c1b-3f2a-9c1b " + sum, false}, // wrong number
		{"No.123 3f2a-9c1b-3f2a-9c1c " + sum, false}, // one digit mistyped
		{"No.123 3f2a-9c1b-3f2a-9c1b", false},        // checksum left out
		{"No.123 3f2a-9c1b-3f2a " + sum, false},      // too short
		{"No.-1 3f2a-9c1b-3f2a-9c1b " + sum, false},  // negative
		{"No.123 3f2a-9c1b-3f2a-9c1z " + sum, false}, // not hex
		{"", false},
		{"No.123", false},
	}
	long := "第123行 " + strings.Repeat("3f2a9c1b ", 8)
	if seq, p, err := ParseHead(long); err != nil || seq != 123 || !bytes.Equal(p, head) {
		t.Errorf("long form %q: %d %x %v", long, seq, p, err)
	}
	if _, _, err := ParseHead("監査ログの末尾　" + long[:len(long)-3]); !errors.Is(err, ErrHeadFormat) {
		t.Errorf("long form one digit short accepted: %v", err)
	}
	for _, tt := range tests {
		seq, prefix, err := ParseHead(tt.in)
		if tt.ok {
			if err != nil || seq != 123 || !bytes.Equal(prefix, head[:PrefixLen]) {
				t.Errorf("ParseHead(%q) = %d %x %v", tt.in, seq, prefix, err)
			}
		} else if !errors.Is(err, ErrHeadFormat) {
			t.Errorf("ParseHead(%q) accepted: %d %x %v", tt.in, seq, prefix, err)
		}
	}
}

func FuzzParseHead(f *testing.F) {
	f.Add(FormatHead(7, ZeroHash))
	f.Add("Ｎｏ．１ ００００-0000-0000-0000 aa")
	f.Add("no 99999999999999999999 x")
	f.Add("第1行 " + strings.Repeat("00", 32))
	f.Fuzz(func(t *testing.T, s string) {
		seq, prefix, err := ParseHead(s)
		if err != nil {
			return
		}
		// What parses formats back to something that parses the same.
		again, p2, err := ParseHead(FormatHead(seq, prefix))
		if err != nil || again != seq || !bytes.Equal(p2, prefix[:PrefixLen]) {
			t.Fatalf("%q parsed to %d %x, which does not round-trip: %v", s, seq, prefix, err)
		}
	})
}

// Rows cut off the end together with audit_head pass the chain check, but
// not the anchor file nor the head printed before the cut; and the anchor
// file is not overwritten with the cut log's head.
func TestTruncatedLogDetected(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	path := filepath.Join(t.TempDir(), "a.db"+AnchorSuffix)
	anchor, err := KeepAnchor(ctx, db, path)
	if err != nil {
		t.Fatal(err)
	}
	var hookErrs []error
	anchor.OnError = func(err error) { hookErrs = append(hookErrs, err) }
	fill(t, db, 10)
	seq, head, _ := Head(ctx, db)
	printed := FormatHead(seq, head)
	if s, h := anchor.Head(); s != 10 || !bytes.Equal(h, head) {
		t.Fatalf("anchor holds %d %x, head is %d %x", s, h, seq, head)
	}
	if fs, fh, err := ReadAnchor(path); err != nil || fs != 10 || !bytes.Equal(fh, head) {
		t.Fatalf("anchor file: %d %x %v", fs, fh, err)
	}
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("anchor file mode: %v %v", fi, err)
	}
	if _, err := anchor.Verify(ctx); err != nil {
		t.Fatalf("intact log: %v", err)
	}

	// Cut rows 9 and 10 and fix audit_head.
	var h8 []byte
	db.QueryRowContext(ctx, "SELECT hash FROM audit_log WHERE seq = 8").Scan(&h8)
	dropTriggers(t, db)
	if _, err := db.ExecContext(ctx, "DELETE FROM audit_log WHERE seq > 8"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "UPDATE audit_head SET seq = 8, hash = ?", h8); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, db); err != nil {
		t.Fatalf("the chain alone should not see this cut (that is why the head is kept outside): %v", err)
	}
	tests := []struct {
		name   string
		verify func() (Report, error)
	}{
		{"anchor file", func() (Report, error) { return anchor.Verify(ctx) }},
		{"printed head", func() (Report, error) {
			s, p, err := ParseHead(printed)
			if err != nil {
				t.Fatal(err)
			}
			return VerifyAgainst(ctx, db, s, p)
		}},
	}
	for _, tt := range tests {
		_, err := tt.verify()
		var te *TamperError
		if !errors.As(err, &te) || te.Report.Problems[0].Kind != AnchorMismatch || te.UserMessage() == "" {
			t.Errorf("%s: truncated log verified: %v", tt.name, err)
		}
	}
	// New rows after the cut do not overwrite the evidence.
	fill(t, db, 3)
	if fs, fh, err := ReadAnchor(path); err != nil || fs != 10 || !bytes.Equal(fh, head) {
		t.Errorf("anchor file overwritten after the cut: %d %x %v", fs, fh, err)
	}
	if len(hookErrs) == 0 {
		t.Error("the anchor keeper did not report the mismatch")
	}
	// A rewritten row 10 (same number, other content) is caught too.
	if _, err := anchor.Verify(ctx); err == nil {
		t.Error("rewritten row 10 verified against the anchor")
	}
	// A fresh keeper on the same files reports it at once.
	if _, err := KeepAnchor(ctx, db, path); err == nil {
		t.Error("KeepAnchor on a cut log: no error")
	}
}
