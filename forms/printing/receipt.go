package printing

import (
	"io"
	"time"

	"madoguchi/forms"
)

// Receipt is the content of the issuance notice (交付通知書) handed to the
// resident, with a copy the office keeps.
type Receipt struct {
	Kind         string    // the procedure, e.g. 新規発行 (forms.ApplicationKind.String)
	Name         string    // the holder's 氏名 as stored
	Serial       string    // the certificate's serial number as the CA issued it
	NotBefore    time.Time // start of validity
	NotAfter     time.Time // end of validity
	Prefecture   string    // the issuing prefecture, e.g. 東京都
	Municipality string    // e.g. 千代田区
	Office       string    // the counter, e.g. 本庁舎 区民課
	IssuedAt     time.Time // when the certificate was handed over; also the PDF's date
	Clerk        string    // the clerk's staff ID or name
	LostContact  string    // where to call when the card is lost out of hours; may be empty
}

// WriteReceipt prints the issuance notice on one A4 page: the resident's
// part on top with what to do if the card is lost (失効申請), and below a
// cut line the office's copy (控え) with a box for the resident's
// acknowledgement.
func WriteReceipt(w io.Writer, font *Font, r Receipt) (Result, error) {
	return render(w, font, "交付通知書", "P", r.IssuedAt, func(d *doc) {
		d.pdf.AddPage()
		p := d.pdf
		left := margin
		width := 210 - 2*margin

		// fields prints the common items from y on and returns the y below.
		fields := func(y float64, part string) float64 {
			items := []struct{ label, value, where string }{
				{"氏名", r.Name, part + " 氏名"},
				{"申請の種類", r.Kind, part + " 申請の種類"},
				{"電子証明書", "署名用電子証明書", ""},
				{"シリアル番号", r.Serial, part + " シリアル番号"},
				{"有効期間", validity(r.NotBefore, r.NotAfter), ""},
				{"発行者", r.Prefecture + "知事", part + " 発行者"},
				{"交付日時", dateTime(r.IssuedAt), ""},
				{"交付窓口", joinName(r.Municipality, r.Office, "　"), part + " 交付窓口"},
				{"担当者", r.Clerk, part + " 担当者"},
			}
			const h = 7.5
			for _, it := range items {
				p.Rect(left, y, 36, h, "D")
				p.Rect(left+36, y, width-36, h, "D")
				d.label(left, y, 36, h, it.label, "C", bodySize)
				d.value(left+38, y, width-40, h, it.value, it.where, "L", 11)
				y += h
			}
			return y
		}

		// The resident's part.
		d.label(left, 14, width, 10, "電子証明書交付通知書", "C", titleSize)
		d.label(left, 23, width, 6, "（ご本人用　大切に保管してください）", "C", bodySize)
		y := fields(31, "本人用")
		y += 3
		lost := "マイナンバーカードを紛失したとき、盗まれたときは、悪用を防ぐため、すぐに電子証明書の失効申請をしてください。" +
			r.Municipality + "の窓口で手続きできます。"
		if r.LostContact != "" {
			lost += "窓口の閉庁時は次へ連絡して一時停止を依頼してください：" + r.LostContact
		}
		p.SetLineWidth(boldLine)
		p.Rect(left, y, width, 32, "D")
		p.SetLineWidth(lineWidth)
		d.label(left+2, y+1, width-4, 6, "カードを紛失したとき（失効申請）", "L", 11)
		d.box(left+2, y+8, width-4, 14, lost, "紛失時の連絡先", bodySize)
		d.label(left+2, y+23, width-4, 8, "暗証番号は他人に教えず、この通知書にも書かないでください。失効した電子証明書は再び使えません（新たに発行の申請が必要です）。", "L", 7.5)

		// Cut line.
		cut := 148.5
		p.SetDashPattern([]float64{2, 1.5}, 0)
		p.Line(5, cut, 205, cut)
		p.SetDashPattern(nil, 0)
		d.label(0, cut-2.5, 210, 5, "　キリトリ　", "C", smallSize)

		// The office's copy.
		d.label(left, cut+6, width, 9, "電子証明書交付通知書（控え）", "C", 14)
		d.label(left, cut+14, width, 5, "（"+r.Municipality+"保管用）", "C", bodySize)
		y = fields(cut+21, "控え")
		y += 4
		p.Rect(left, y, width, 20, "D")
		p.Line(left+110, y, left+110, y+20)
		d.label(left+2, y+1, 100, 5, "上記の電子証明書を受け取りました。受領者署名（自署）", "L", smallSize)
		d.label(left+112, y+1, 60, 5, "受領日", "L", smallSize)
		d.label(left+112, y+9, width-114, 8, "令和　　年　　月　　日", "C", bodySize)
		p.SetY(y + 21)
		d.missingNote(297 - margin)
		d.pageNumber()
	})
}

// validity formats a validity period in 和暦.
func validity(from, to time.Time) string {
	if from.IsZero() && to.IsZero() {
		return ""
	}
	f, t := "", ""
	if !from.IsZero() {
		f = forms.DateOf(from).Wareki()
	}
	if !to.IsZero() {
		t = forms.DateOf(to).Wareki()
	}
	return f + " から " + t + " まで"
}
