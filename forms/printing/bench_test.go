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

// The targets for a record book of 10,000 records.
const (
	bigBook      = 10000
	bigBookTime  = 5 * time.Second
	bigBookPeak  = 300 << 20
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
// the targets: at most 5 s (without -race) and 300 MB, and a file
// of at most 10 MB whose pages are all numbered and whose last page holds
// the total.
func TestRecordBook10000(t *testing.T) {
	if testing.Short() {
		t.Skip("prints 10,000 records")
	}
	font := testFont(t)
	book := sampleBook(bigBook)
	runtime.GC()
	stop := make(chan struct{})
	peak := peakMemory(stop)
	var buf bytes.Buffer
	start := time.Now()
	res, err := WriteRecordBook(&buf, font, book)
	elapsed := time.Since(start)
	close(stop)
	held := <-peak
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d records: %v, peak %d MB held by the Go runtime, %d pages, %d bytes (%.1f MB)",
		bigBook, elapsed.Round(time.Millisecond), held>>20, res.Pages, buf.Len(), float64(buf.Len())/(1<<20))
	// The time target is for the application's build; the race detector
	// (CI runs the suite with -race) slows this code about tenfold, so
	// there only a gross regression fails.
	limit := bigBookTime
	if raceDetector {
		limit *= 12
	}
	if elapsed > limit {
		t.Errorf("took %v, target %v", elapsed, limit)
	}
	if held > bigBookPeak {
		t.Errorf("peak memory %d MB, target %d MB", held>>20, bigBookPeak>>20)
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
		fmt.Sprintf("%d %s", bigBook, book.Rows[bigBook-1].Time.Format("2006-01-02 15:04")))
}

// BenchmarkRecordBook10000 prints the record book of 10,000 records; it
// reports the file size and the pages.
func BenchmarkRecordBook10000(b *testing.B) {
	font := testFont(b)
	book := sampleBook(bigBook)
	var size, pages int
	b.ReportAllocs()
	for b.Loop() {
		var cw countWriter
		res, err := WriteRecordBook(&cw, font, book)
		if err != nil {
			b.Fatal(err)
		}
		size, pages = cw.n, res.Pages
	}
	b.ReportMetric(float64(size), "pdf-bytes")
	b.ReportMetric(float64(pages), "pages")
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
