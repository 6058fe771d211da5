package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"madoguchi/app/config"
	"madoguchi/app/printer"
)

// testSpooler stands in for the printer in the screen tests: it keeps
// the files it was given and answers with a job ID, as CUPS would. The
// real path through CUPS is tested in app/printer.
type testSpooler struct {
	mu    sync.Mutex
	paths []string
}

var spooled = &testSpooler{}

func init() {
	newSpooler = func(config.Config) spooler { return spooled }
}

// Print notes path and returns a job ID.
func (p *testSpooler) Print(_ context.Context, path, _ string) (printer.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := os.Stat(path); err != nil {
		return printer.Result{}, err
	}
	p.paths = append(p.paths, path)
	return printer.Result{Path: path, Printer: "test-queue", JobID: fmt.Sprintf("test-queue-%d", len(p.paths))}, nil
}

// since returns the paths printed after the first n.
func (p *testSpooler) since(n int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.paths[n:]...)
}

func (p *testSpooler) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.paths)
}

// TestSpoolerMessage: the notice names the printer and the job.
func TestSpoolerMessage(t *testing.T) {
	res := printer.Result{Path: "/x/daily.pdf", Printer: "counter-1", JobID: "counter-1-7"}
	if msg := res.Message("日計表"); !strings.Contains(msg, "counter-1に送りました（ジョブ ID counter-1-7）") {
		t.Fatalf("message %q", msg)
	}
}
