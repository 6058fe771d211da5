package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/registry"
)

// importEncodings are the choices of the import screen.
var importEncodings = []struct {
	label string
	enc   registry.Encoding
}{
	{"自動判定", registry.EncodingAuto},
	{"UTF-8", registry.EncodingUTF8},
	{"Shift_JIS（CP932）", registry.EncodingShiftJIS},
}

// registryImport is the supervisor's screen that imports a registry export
// (CSV in UTF-8 or Shift_JIS): first a check that writes nothing, then the
// import itself, all or nothing, with every rejected row listed by line.
type registryImport struct {
	s        *Shell
	path     *widget.Entry
	encoding *widget.Select
	report   *widget.Label
	checked  string // the file last checked without errors
}

func (s *Shell) showRegistryImport() {
	r := &registryImport{s: s}
	r.path = widget.NewEntry()
	r.path.SetPlaceHolder("住民基本台帳から書き出したCSVファイルのパス")
	r.path.OnSubmitted = func(string) { r.run(true) }
	var labels []string
	for _, e := range importEncodings {
		labels = append(labels, e.label)
	}
	r.encoding = widget.NewSelect(labels, nil)
	r.encoding.SetSelected(labels[0])
	r.report = widget.NewLabel("ファイルを選び「検査」を押してください。検査で誤りがなければ「取込」できます。取込は全件か0件かのどちらかで、一部だけ取り込まれることはありません。")
	r.report.Wrapping = fyne.TextWrapWord

	browse := widget.NewButton("参照…", func() {
		d := dialog.NewFileOpen(func(f fyne.URIReadCloser, err error) {
			if err != nil || f == nil {
				return
			}
			r.path.SetText(f.URI().Path())
			f.Close()
		}, s.win)
		d.Resize(fyne.NewSize(900, 600))
		d.Show()
	})
	check := widget.NewButton("検査（書き込みません）", func() { r.run(true) })
	importButton := widget.NewButton("取込", func() { r.run(false) })
	importButton.Importance = widget.HighImportance
	back := widget.NewButton("ホームに戻る (Esc)", s.showHome)

	form := widget.NewForm(
		widget.NewFormItem("ファイル", container.NewBorder(nil, nil, nil, browse, r.path)),
		widget.NewFormItem("文字コード", r.encoding),
	)
	s.show("registry-import", container.NewBorder(
		container.NewVBox(boldLabel("住民データ取込"), form, container.NewHBox(check, importButton)),
		back, nil, nil, container.NewVScroll(r.report)))
	s.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			s.showHome()
		}
	})
	s.win.Canvas().Focus(r.path)
}

// run checks (dryRun) or imports the file.
func (r *registryImport) run(dryRun bool) {
	path := strings.TrimSpace(r.path.Text)
	if path == "" {
		r.report.SetText("ファイルを指定してください。")
		return
	}
	if !dryRun && path != r.checked {
		r.report.SetText("取込の前に、このファイルを「検査」してください。")
		return
	}
	opt := registry.ImportOptions{DryRun: dryRun}
	for _, e := range importEncodings {
		if e.label == r.encoding.Selected {
			opt.Encoding = e.enc
		}
	}
	label := "住民データを取り込んでいます…"
	if dryRun {
		label = "住民データを検査しています…"
	}
	var rep *registry.ImportReport
	r.s.runner.Run(label, false, func(ctx context.Context) error {
		f, err := os.Open(path)
		if err != nil {
			return &fileError{path: path, err: err}
		}
		defer f.Close()
		rep, err = r.s.desk.ImportRegistry(ctx, f, opt)
		return err
	}, func(err error) {
		var ie *registry.ImportError
		switch {
		case errors.As(err, &ie):
			r.checked = ""
			r.report.SetText(rejectedText(ie.Report))
		case err != nil:
			r.checked = ""
			r.report.SetText(userMessage(err, "取り込めませんでした。"))
		case dryRun:
			r.checked = path
			r.report.SetText(fmt.Sprintf("検査しました（%s、%d件）。誤りはありません。新規 %d件、更新 %d件になります。「取込」で書き込みます。",
				rep.Encoding, rep.Rows, rep.Inserted, rep.Updated))
		default:
			r.checked = ""
			r.report.SetText(fmt.Sprintf("取り込みました（%s、%d件：新規 %d件、更新 %d件）。ファイルのSHA-256：%s",
				rep.Encoding, rep.Rows, rep.Inserted, rep.Updated, rep.SHA256))
		}
	})
}

// rejectedText lists every rejected row; nothing was written.
func rejectedText(rep *registry.ImportReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d件中 %d件に誤りがあるため、1件も取り込んでいません。直してからもう一度検査してください。\n", rep.Rows, len(rep.Rejected))
	for _, e := range rep.Rejected {
		b.WriteString(e.Message())
		b.WriteByte('\n')
	}
	return b.String()
}

// fileError is a file the import screen cannot open.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string { return "open " + e.path + ": " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// UserMessage says so in Japanese.
func (e *fileError) UserMessage() string {
	return "ファイル「" + e.path + "」を開けません。パスを確かめてください。"
}
