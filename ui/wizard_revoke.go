package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/prefecture"
)

// --- 失効申請 ---

func (w *Wizard) showRevoke() {
	if w.target == nil {
		w.fail(errors.New("no target"), "失効させる証明書がありません。")
		return
	}
	reasons := []struct {
		label  string
		reason prefecture.Reason
	}{
		{"本人の申請（カードの紛失・不要など）", prefecture.ReasonResidentRequest},
		{"鍵の危殆化（暗証番号の漏えい・カードの盗難）", prefecture.ReasonKeyCompromise},
	}
	var labels []string
	for i, r := range reasons {
		labels = append(labels, fmt.Sprintf("%s  %s", choiceKey(i), r.label))
	}
	choice := widget.NewRadioGroup(labels, nil)
	choice.SetSelected(labels[0])
	choice.OnChanged = func(string) { unfocusFrom(choice) }
	info := widget.NewLabel(fmt.Sprintf("失効させる証明書：シリアル %s（%s まで有効）", w.target.Serial, w.target.NotAfter.In(w.s.zone()).Format("2006年1月2日")))
	revoke := func() {
		reason := reasons[0].reason
		for i, r := range reasons {
			if labels[i] == choice.Selected {
				reason = r.reason
			}
		}
		w.s.runner.Run("都道府県に失効を申請しています…", false, func(ctx context.Context) error {
			return w.s.desk.Revoke(ctx, w.sess.ID, reason)
		}, func(err error) {
			if err != nil {
				w.fail(err, "失効申請ができませんでした。")
				return
			}
			w.showDone("", fmt.Sprintf("証明書（シリアル %s）を失効させました。", w.target.Serial))
		})
	}
	w.setStep(stepRevoke, container.NewVBox(info, widget.NewLabel("失効の理由（数字キーで選べます）"), choice), "失効を申請", revoke, nil)
	w.onKey = func(k *fyne.KeyEvent) bool {
		if i := choiceIndex(k.Name); i >= 0 && i < len(labels) {
			choice.SetSelected(labels[i])
			return true
		}
		return false
	}
}
