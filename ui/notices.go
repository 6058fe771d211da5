package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/notice"
	"madoguchi/app/prefecture"
	"madoguchi/forms"
)

// noticeStates are the choices of the notices screen's filter.
var noticeStates = []struct {
	label string
	state notice.State
}{
	{"すべて", ""},
	{"送信待ち", notice.Pending},
	{"送信済", notice.Sent},
	{"失敗", notice.Failed},
}

// noticesScreen is the supervisor's view of the change notices (異動通知)
// that registry imports sent, or will send, to the prefecture CA: pending,
// sent and failed, with the CA's answer or reason, and a retry for a
// failed one.
type noticesScreen struct {
	s      *Shell
	filter *widget.Select
	counts *widget.Label
	list   *fyne.Container
	state  notice.State
}

func (s *Shell) showNotices() {
	n := &noticesScreen{s: s}
	var labels []string
	for _, st := range noticeStates {
		labels = append(labels, st.label)
	}
	n.filter = widget.NewSelect(labels, func(label string) {
		for _, st := range noticeStates {
			if st.label == label {
				n.state = st.state
			}
		}
		n.load()
	})
	n.counts = widget.NewLabel("")
	n.list = container.NewVBox()
	refresh := widget.NewButton("最新の状態にする (F5)", n.load)
	back := widget.NewButton("ホームに戻る (Esc)", s.showHome)
	intro := widget.NewLabel("住民データの取込で見つかった異動（住所・氏名の変更、死亡、転出、消除）は、該当する電子証明書の発行番号と異動の種類だけを認証局へ自動で通知し、認証局が証明書を失効させます。")
	intro.Wrapping = fyne.TextWrapWord
	s.show("notices", container.NewBorder(
		container.NewVBox(boldLabel("異動通知（認証局への通知）"), intro,
			container.NewHBox(widget.NewLabel("表示"), n.filter, refresh), n.counts),
		back, nil, nil, container.NewVScroll(n.list)))
	n.filter.SetSelected(labels[0]) // loads
	s.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch k.Name {
		case fyne.KeyEscape:
			s.showHome()
		case fyne.KeyF5:
			n.load()
		}
	})
}

// load reads the counts and the notices of the chosen state.
func (n *noticesScreen) load() {
	var ns []notice.Notice
	var counts notice.Counts
	state := n.state
	n.s.runner.Background(func(ctx context.Context) error {
		var err error
		if counts, err = n.s.desk.NoticeCounts(ctx, forms.Date{}); err != nil {
			return err
		}
		ns, err = n.s.desk.Notices(ctx, state, 500)
		return err
	}, func(err error) {
		if err != nil {
			n.counts.SetText(userMessage(err, "異動通知を読み込めませんでした。"))
			return
		}
		n.counts.SetText(fmt.Sprintf("送信待ち %d件・送信済 %d件・失敗 %d件", counts.Pending, counts.Sent, counts.Failed))
		n.show(ns)
	})
}

// show lists the notices, each with its state and a retry for a failed one.
func (n *noticesScreen) show(ns []notice.Notice) {
	n.list.RemoveAll()
	if len(ns) == 0 {
		n.list.Add(widget.NewLabel("該当する異動通知はありません。"))
		return
	}
	for _, x := range ns {
		n.list.Add(n.row(x))
	}
}

func (n *noticesScreen) row(x notice.Notice) fyne.CanvasObject {
	var b strings.Builder
	fmt.Fprintf(&b, "%s　【%s】　%s（%s）　住民コード %s　シリアル %s",
		x.CreatedAt.In(n.s.zone()).Format("2006/01/02 15:04"), x.State.Label(), x.KindLabel(), x.Cause, x.ResidentCode, x.Serial)
	if x.ChangedOn != "" {
		fmt.Fprintf(&b, "　異動日 %s", x.ChangedOn)
	}
	switch x.State {
	case notice.Sent:
		fmt.Fprintf(&b, "\n送信 %s　認証局の回答：%s", x.SentAt.In(n.s.zone()).Format("2006/01/02 15:04:05"), resultText(x.Result))
	case notice.Pending:
		if x.Attempts > 0 {
			fmt.Fprintf(&b, "\n%d回送信できませんでした（%s）。%s に再送します。", x.Attempts, x.LastError, x.NextAttemptAt.In(n.s.zone()).Format("15:04:05"))
		} else {
			b.WriteString("\n送信を待っています。")
		}
	case notice.Failed:
		fmt.Fprintf(&b, "\n認証局が受け付けませんでした：%s", x.LastError)
	}
	label := widget.NewLabel(b.String())
	label.Wrapping = fyne.TextWrapWord
	if x.State != notice.Failed {
		return label
	}
	id := x.ID
	retry := widget.NewButton("再送", func() {
		n.s.runner.Run("異動通知を再送しています…", false, func(ctx context.Context) error {
			return n.s.desk.RetryNotice(ctx, id)
		}, func(err error) {
			if err != nil {
				n.s.showError("再送できません", err, nil)
			}
			n.load()
		})
	})
	return container.NewBorder(nil, nil, nil, retry, label)
}

// resultText puts a notice's result ("serial:reason …") in Japanese.
func resultText(result string) string {
	if result == "" || result == "none" {
		return "失効した証明書はありません"
	}
	var parts []string
	for _, p := range strings.Fields(result) {
		serial, reason, _ := strings.Cut(p, ":")
		already := strings.HasSuffix(reason, "(already)")
		reason = strings.TrimSuffix(reason, "(already)")
		text := "シリアル " + serial + " を失効（" + reasonLabel(reason) + "）"
		if already {
			text = "シリアル " + serial + " は失効済み（" + reasonLabel(reason) + "）"
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, "、")
}

// reasonLabel is a revocation reason's wire name in Japanese.
func reasonLabel(wire string) string {
	r, err := prefecture.ParseReason(wire)
	if err != nil {
		return wire
	}
	return r.Japanese()
}
