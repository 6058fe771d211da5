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

// printDocument renders a document off the UI goroutine into
// <printDir>/<name>.pdf and tells the clerk where it is, with any
// characters the font could not show. done (may be nil) gets the path.
func (s *Shell) printDocument(label, name string, render renderFunc, done func(path string)) {
	var path string
	var res printing.Result
	s.runner.Run(label+"を作成しています…", false, func(ctx context.Context) error {
		font, err := s.loadPrintFont()
		if err != nil {
			return err
		}
		dir, err := s.printDir()
		if err != nil {
			return err
		}
		path = filepath.Join(dir, name+".pdf")
		tmp, err := os.CreateTemp(dir, name+"-*.tmp")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if res, err = render(ctx, tmp, font); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		return os.Rename(tmp.Name(), path)
	}, func(err error) {
		if err != nil {
			s.showError(label+"を作成できませんでした", err, nil)
			return
		}
		msg := label + "を作成しました（" + strconv.Itoa(res.Pages) + "ページ）。\n" + path
		if n := res.Notice(); n != "" {
			msg += "\n" + n
		}
		s.showNotice(label, msg)
		if done != nil {
			done(path)
		}
	})
}

// office names the counter on printed documents.
func (s *Shell) office() string { return s.counter.Config().Municipality + " 窓口" }

// printReceipt prints the issuance notice of the wizard's session.
func (w *Wizard) printReceipt() {
	id := w.sess.ID
	w.s.printDocument("交付通知書", "receipt-"+id, func(ctx context.Context, out io.Writer, font *printing.Font) (printing.Result, error) {
		r, err := w.s.desk.Receipt(ctx, id, w.s.office())
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
	info := printing.ApplicationInfo{Municipality: w.s.counter.Config().Municipality, Office: w.s.office(), PrintedAt: time.Now()}
	w.s.printDocument("申請書", "application-"+w.resident.Code, func(_ context.Context, out io.Writer, font *printing.Font) (printing.Result, error) {
		return printing.WriteApplication(out, font, a, info)
	}, nil)
}
