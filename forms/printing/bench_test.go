package printing

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The record book the issue measures: 10,000 records.
const (
	bigBook      = 10000
	bigBookBytes = 10 << 20 // the file must stay reasonably small
)

// peakMemory samples the Go runtime's memory held from the OS (Sys minus
// what was released) until stop is closed, and returns the highest value.
func peakMemory(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if held := ms.Sys - ms.HeapReleased; held > peak {
				peak = held
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// TestRecordBook10000 prints the record book of 10,000 records and checks
// a file of at most 10 MB whose pages are all numbered and whose last page
// holds the total. The time and memory targets (5 s, 300 MB) are measured
// by BenchmarkRecordBook10000, not asserted here.
func TestRecordBook10000(t *testing.T) {
	if testing.Short() {
		t.Skip("prints 10,000 records")
	}
	font := testFont(t)
	book := sampleBook(bigBook)
	var buf bytes.Buffer
	res, err := WriteRecordBook(&buf, font, book)
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() > bigBookBytes {
		t.Errorf("file is %d bytes, want at most %d", buf.Len(), bigBookBytes)
	}
	wantPages := (bigBook + RecordBookRowsPerPage - 1) / RecordBookRowsPerPage
	if res.Pages != wantPages && res.Pages != wantPages+1 {
		t.Errorf("%d pages, want %d or %d", res.Pages, wantPages, wantPages+1)
	}

	// Read back the last pages: the last record, the total and the last
	// page's number.
	bin := tool(t, "pdftotext")
	in := filepath.Join(t.TempDir(), "book.pdf")
	if err := os.WriteFile(in, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-f", fmt.Sprint(res.Pages-2), in, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := squash(string(out))
	ps := pages(text)
	if len(ps) != 3 {
		t.Fatalf("read %d pages, want the last 3", len(ps))
	}
	for i, p := range ps {
		wantPageNumber(t, p, res.Pages-2+i, res.Pages)
	}
	wantText(t, "last pages", text, fmt.Sprintf("合計 %d件", bigBook), "印刷者（監督者） S0003",
		fmt.Sprintf("%d %s", bigBook, dateTime(book.Rows[bigBook-1].Time)))
}

// BenchmarkRecordBook10000 prints the record book of 10,000 records; it
// reports the file size and the pages.
func BenchmarkRecordBook10000(b *testing.B) {
	font := testFont(b)
	book := sampleBook(bigBook)
	var size, pages int
	var peak uint64
	b.ReportAllocs()
	runtime.GC()
	for b.Loop() {
		stop := make(chan struct{})
		held := peakMemory(stop)
		var cw countWriter
		res, err := WriteRecordBook(&cw, font, book)
		close(stop)
		peak = max(peak, <-held)
		if err != nil {
			b.Fatal(err)
		}
		size, pages = cw.n, res.Pages
	}
	b.ReportMetric(float64(size), "pdf-bytes")
	b.ReportMetric(float64(pages), "pages")
	// Target: at most 300 MB held from the OS while printing.
	b.ReportMetric(float64(peak>>20), "peak-MB")
}

// BenchmarkApplication prints one application form.
func BenchmarkApplication(b *testing.B) {
	font := testFont(b)
	app, info := sampleApplication()
	for b.Loop() {
		if _, err := WriteApplication(io.Discard, font, app, info); err != nil {
			b.Fatal(err)
		}
	}
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
