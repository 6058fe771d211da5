package printer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseJobID(t *testing.T) {
	tests := []struct {
		out, want string
		ok        bool
	}{
		{"request id is madoguchi-pdf-6647-1 (1 file(s))\n", "madoguchi-pdf-6647-1", true},
		{"request id is counter-42 (2 file(s))", "counter-42", true},
		{"lp: warning\nrequest id is q-7\n", "q-7", true},
		{"", "", false},
		{"request id is  (0 file(s))", "", false},
		{"something else", "", false},
	}
	for _, tt := range tests {
		got, err := ParseJobID(tt.out)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseJobID(%q) = %q, %v; want %q ok=%v", tt.out, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseJobID(f *testing.F) {
	f.Add("request id is madoguchi-pdf-1 (1 file(s))")
	f.Add("request id is \n")
	f.Fuzz(func(t *testing.T, out string) {
		id, err := ParseJobID(out)
		if err == nil && (id == "" || strings.ContainsAny(id, " \t\n")) {
			t.Fatalf("ParseJobID(%q) = %q", out, id)
		}
	})
}

func TestCreateNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 1, 23, 30, 5, 0, time.FixedZone("JST", 9*3600))
	var names []string
	for i := 0; i < 3; i++ {
		f, err := Create(dir, "daily-20261201", at)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("print " + string(rune('A'+i)))
		f.Close()
		names = append(names, filepath.Base(f.Name()))
	}
	want := []string{"daily-20261201-20261201-233005.pdf", "daily-20261201-20261201-233005-2.pdf", "daily-20261201-20261201-233005-3.pdf"}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("name %d = %q, want %q", i, names[i], want[i])
		}
		b, _ := os.ReadFile(filepath.Join(dir, want[i]))
		if string(b) != "print "+string(rune('A'+i)) {
			t.Errorf("%s holds %q: an earlier printout was overwritten", want[i], b)
		}
	}
}

// script writes an executable shell script and returns its path.
func script(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrintFallsBackAndRefuses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the lp/xdg-open paths are Unix only")
	}
	pdf := filepath.Join(t.TempDir(), "doc.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.4\n"), 0o600)
	opened := filepath.Join(t.TempDir(), "opened")
	opener := script(t, "open", `echo "$1" > `+opened+"\n")
	tests := []struct {
		name       string
		lp         string
		printer    string
		wantJob    string
		wantOpened bool
		wantErr    bool
	}{
		{"printed", script(t, "lp", `echo "request id is $2-9 (1 file(s))"`+"\n"), "counter", "counter-9", false, false},
		{"no scheduler", script(t, "lp", "echo 'lp: Scheduler not responding.' >&2; exit 1\n"), "", "", true, false},
		{"no default", script(t, "lp", "echo 'lp: Error - no default destination available.' >&2; exit 1\n"), "", "", true, false},
		{"no lp at all", filepath.Join(t.TempDir(), "missing-lp"), "", "", true, false},
		{"unknown queue", script(t, "lp", "echo 'lp: The printer or class does not exist.' >&2; exit 1\n"), "nope", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(opened)
			p := &Printer{Name: tt.printer, LP: tt.lp, Open: opener}
			res, err := p.Print(context.Background(), pdf, "doc")
			if tt.wantErr {
				var pe *Error
				if !errors.As(err, &pe) || !strings.Contains(pe.UserMessage(), pdf) {
					t.Fatalf("err = %v, want *Error naming the PDF", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.JobID != tt.wantJob || res.Opened != tt.wantOpened {
				t.Fatalf("result %+v, want job %q opened %v", res, tt.wantJob, tt.wantOpened)
			}
			b, _ := os.ReadFile(opened)
			if got := strings.TrimSpace(string(b)); (got == pdf) != tt.wantOpened {
				t.Fatalf("opener got %q, want opened=%v", got, tt.wantOpened)
			}
			msg := res.Message("日計表")
			if tt.wantJob != "" && !strings.Contains(msg, "ジョブ ID "+tt.wantJob) {
				t.Fatalf("message %q lacks the job ID", msg)
			}
			if tt.wantOpened && !strings.Contains(msg, "PDF を表示しました") {
				t.Fatalf("message %q does not say the PDF was opened", msg)
			}
		})
	}
	t.Run("nothing at all", func(t *testing.T) {
		p := &Printer{LP: filepath.Join(t.TempDir(), "no-lp"), Open: filepath.Join(t.TempDir(), "no-open")}
		_, err := p.Print(context.Background(), pdf, "doc")
		if !errors.Is(err, ErrNoPrinter) {
			t.Fatalf("err = %v, want ErrNoPrinter", err)
		}
	})
}
