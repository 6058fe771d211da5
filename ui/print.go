package ui

import (
	"context"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"madoguchi/app/config"
	"madoguchi/app/printer"
	"madoguchi/forms/printing"
)

// printFont is the font of printed documents, loaded once.
var printFont struct {
	sync.Mutex
	font *printing.Font
}

func (s *Shell) loadPrintFont() (*printing.Font, error) {
	printFont.Lock()
	defer printFont.Unlock()
	if printFont.font == nil {
		cfg := s.counter.Config()
		f, err := printing.LoadFonts(cfg.FontPath, cfg.MJFontPath)
		if f == nil {
			return nil, err
		}
		if err != nil {
			// Without the MJ font the documents print with 〓 for the
			// characters IPAex lacks, and list them; say why in the log.
			log.Printf("printing without the MJ font: %v", err)
		}
		printFont.font = f
	}
	return printFont.font, nil
}

// renderFunc writes one document with the font.
type renderFunc func(ctx context.Context, w io.Writer, font *printing.Font) (printing.Result, error)

// spooler hands a finished PDF to a printer (app/printer.Printer).
type spooler interface {
	Print(ctx context.Context, path, title string) (printer.Result, error)
}

// newSpooler makes the spooler of a configuration: CUPS's configured or
// default queue, else the desktop's viewer. Tests replace it.
var newSpooler = func(cfg config.Config) spooler {
	return &printer.Printer{Name: cfg.Printing.Printer}
}

// printDocument renders a document off the UI goroutine into a new file
// <printDir>/<name>-<date>-<time>.pdf (an earlier printout is never
// overwritten), sends it to the printer and tells the clerk what
// happened: the job ID, or that the PDF was opened in a viewer, with any
// characters the font could not show. done (may be nil) gets the path.
func (s *Shell) printDocument(label, name string, render renderFunc, done func(path string)) {
	var path string
	var res printing.Result
	var job printer.Result
	cfg := s.counter.Config()
	s.runner.Run(label+"を印刷しています…", false, func(ctx context.Context) error {
		font, err := s.loadPrintFont()
		if err != nil {
			return err
		}
		dir, err := s.printDir()
		if err != nil {
			return err
		}
		f, err := printer.Create(dir, name, time.Now().In(cfg.Location()))
		if err != nil {
			return err
		}
		path = f.Name()
		if res, err = render(ctx, f, font); err != nil {
			f.Close()
			os.Remove(path) // nothing useful in it
			return err
		}
		if err := f.Close(); err != nil {
			os.Remove(path) // incomplete
			return err
		}
		job, err = newSpooler(cfg).Print(ctx, path, filepath.Base(path))
		return err
	}, func(err error) {
		if err != nil {
			s.showError(label+"を印刷できませんでした", err, nil)
			if done != nil && path != "" {
				if _, statErr := os.Stat(path); statErr == nil {
					done(path)
				}
			}
			return
		}
		msg := job.Message(label) + "（" + strconv.Itoa(res.Pages) + "ページ）"
		if n := res.Notice(); n != "" {
			msg += "\n" + n
		}
		s.showNotice(label, msg)
		if done != nil {
			done(path)
		}
	})
}

// office names the counter on printed documents: the municipality and the
// configured office, without repeating either.
func (s *Shell) office() string { return s.counter.Config().OfficeName() }

// printReceipt prints the issuance notice of the wizard's session.
func (w *Wizard) printReceipt() {
	id := w.sess.ID
	w.s.printDocument("交付通知書", "receipt-"+id, func(ctx context.Context, out io.Writer, font *printing.Font) (printing.Result, error) {
		r, err := w.s.desk.Receipt(ctx, id, w.s.counter.Config().Office)
		if err != nil {
			return printing.Result{}, err
		}
		return printing.WriteReceipt(out, font, r)
	}, nil)
}

// printApplication prints the pre-filled application form for the
// resident to check and sign.
func (w *Wizard) printApplication() {
	a := w.form
	cfg := w.s.counter.Config()
	info := printing.ApplicationInfo{Municipality: cfg.Municipality, Office: cfg.Office, PrintedAt: time.Now().In(cfg.Location())}
	w.s.printDocument("申請書", "application-"+w.resident.Code, func(_ context.Context, out io.Writer, font *printing.Font) (printing.Result, error) {
		return printing.WriteApplication(out, font, a, info)
	}, nil)
}
