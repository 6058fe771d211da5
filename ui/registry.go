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
	path     *keyEntry
	encoding *widget.Select
	report   *widget.Label
	checked  string // the file last checked without errors
	// checkedSHA256 is the digest of the checked file's content, and
	// checkedReport its check: 取込 imports that very content or nothing.
	checkedSHA256 string
	checkedReport *registry.ImportReport
}

func (s *Shell) showRegistryImport() {
	r := &registryImport{s: s}
	r.path = newKeyEntry("住民基本台帳から書き出したCSVファイルのパス")
	r.path.onEscape = s.showHome
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
	importButton := widget.NewButton("取込", r.confirm)
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
	if !dryRun {
		opt.CheckedSHA256 = r.checkedSHA256
	}
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
			r.forget()
			r.report.SetText(rejectedText(ie.Report))
		case err != nil:
			r.forget()
			r.report.SetText(userMessage(err, "取り込めませんでした。"))
		case dryRun:
			r.checked, r.checkedSHA256, r.checkedReport = path, rep.SHA256, rep
			r.report.SetText(checkText(rep))
		default:
			r.forget()
			msg := fmt.Sprintf("取り込みました（%s、%s、%d行：%s）。ファイルのSHA-256：%s",
				rep.Encoding, rep.Shape.Label(), rep.Rows, countsText(rep), rep.SHA256)
			if rep.Queued > 0 {
				msg += fmt.Sprintf("\n%d件の電子証明書について、認証局へ異動の通知を送ります（送信状況は「9 異動通知」で確認できます）。", rep.Queued)
			}
			r.report.SetText(msg + "\n" + noticesText(rep.Notices))
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

// forget drops the last check: 取込 needs a new one.
func (r *registryImport) forget() {
	r.checked, r.checkedSHA256, r.checkedReport = "", "", nil
}

// confirm asks before 取込, after a passed check of the same file, saying
// how many rows change and which certificates the import revokes.
func (r *registryImport) confirm() {
	path := strings.TrimSpace(r.path.Text)
	if path == "" || path != r.checked || r.checkedReport == nil {
		r.report.SetText("取込の前に、このファイルを「検査」してください。")
		return
	}
	rep := r.checkedReport
	msg := fmt.Sprintf("検査したファイル（%s）を取り込みます。\n%s", rep.Shape.Label(), countsText(rep))
	if n := len(rep.Notices); n > 0 {
		msg += fmt.Sprintf("\n\nこの取込により %d件の電子証明書が失効します（認証局へ自動で通知します）。", n)
	}
	msg += "\n\nよろしいですか？"
	r.s.showConfirm("取込の確認", msg, "取り込む", func() { r.run(false) })
}

// countsText is the counts of a check or an import.
func countsText(rep *registry.ImportReport) string {
	if rep.Shape == registry.ShapeChanges {
		return fmt.Sprintf("異動 %d件（新規 %d件、変更 %d件、変更なし %d件）、誤り %d件",
			rep.Rows, rep.Inserted, rep.Updated, rep.Unchanged, rep.Refused())
	}
	return fmt.Sprintf("新規 %d件、更新 %d件、変更なし %d件、誤り %d件", rep.Inserted, rep.Updated, rep.Unchanged, rep.Refused())
}

// checkText reports a passed check: the counts and the certificates the
// import will have revoked, with why.
func checkText(rep *registry.ImportReport) string {
	return fmt.Sprintf("検査しました（%s、%s、%d行）。誤りはありません。\n%s\n「取込」で書き込みます。\n%s",
		rep.Encoding, rep.Shape.Label(), rep.Rows, countsText(rep), noticesText(rep.Notices))
}

// noticesText lists the certificates an import revokes, or says none.
func noticesText(ns []registry.PlannedNotice) string {
	if len(ns) == 0 {
		return "失効する電子証明書はありません。"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "次の電子証明書（署名用）が失効します（%d件）：\n", len(ns))
	for _, n := range ns {
		on := ""
		if !n.ChangedOn.IsZero() {
			on = "、異動日 " + n.ChangedOn.String()
		}
		fmt.Fprintf(&b, "%d行目　住民コード %s　%s　シリアル %s　変更：%s%s　→ 失効理由：%s\n",
			n.Line, n.Code, n.Name, n.Serial, n.Cause, on, n.Reason().Japanese())
	}
	return b.String()
}

// showConfirm asks a yes/no question over the window: ok runs the action,
// やめる (or Esc) closes the question.
func (s *Shell) showConfirm(title, msg, okLabel string, action func()) {
	label := widget.NewLabel(msg)
	label.Wrapping = fyne.TextWrapWord
	var pop *widget.PopUp
	prevKey := s.win.Canvas().OnTypedKey()
	closePop := func() {
		pop.Hide()
		s.win.Canvas().SetOnTypedKey(prevKey)
	}
	ok := widget.NewButton(okLabel, func() { closePop(); action() })
	ok.Importance = widget.HighImportance
	cancel := widget.NewButton("やめる (Esc)", closePop)
	pop = widget.NewModalPopUp(container.NewVBox(boldLabel(title), label, container.NewHBox(ok, cancel)), s.win.Canvas())
	pop.Resize(fyne.NewSize(640, pop.MinSize().Height))
	s.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			closePop()
		}
	})
	pop.Show()
}
