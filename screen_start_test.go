package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNoDisplaySaysSoInJapanese: started where no window can be opened,
// the application says why in Japanese and exits non-zero, without a
// panic's stack trace.
func TestNoDisplaySaysSoInJapanese(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name, display, want string
	}{
		{"no DISPLAY", "", "DISPLAY も WAYLAND_DISPLAY も設定されていません"},
		// A display that is set but not there: the graphics library fails.
		{"unreachable display", ":987", "画面に接続できませんでした"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
				"DISPLAY="+tt.display, "WAYLAND_DISPLAY=")
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatal("the application kept running without a display")
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("exit %v, want a non-zero exit code\n%s", err, out)
			}
			text := string(out)
			if !strings.Contains(text, "画面を開けません") || !strings.Contains(text, tt.want) {
				t.Fatalf("no Japanese message with %q:\n%s", tt.want, text)
			}
			if strings.Contains(text, "goroutine ") || strings.Contains(text, "panic:") {
				t.Fatalf("a stack trace instead of a message:\n%s", text)
			}
		})
	}
}
