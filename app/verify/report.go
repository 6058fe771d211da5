package verify

import (
	"fmt"
	"math/big"
	"strings"
	"time"
)

// CheckID names one point of a verification.
type CheckID string

// The checks, in the order they are reported.
const (
	CheckFormat     CheckID = "format"
	CheckSignature  CheckID = "signature"
	CheckSigner     CheckID = "signer"
	CheckChain      CheckID = "chain"
	CheckValidity   CheckID = "validity"
	CheckRevocation CheckID = "revocation"
	CheckIdentity   CheckID = "identity"
	CheckByteRange  CheckID = "byterange"
)

// Label is the check's Japanese name in reports.
func (c CheckID) Label() string {
	switch c {
	case CheckFormat:
		return "署名データの形式"
	case CheckSignature:
		return "署名値・メッセージダイジェスト"
	case CheckSigner:
		return "署名者証明書の特定"
	case CheckChain:
		return "証明書チェーン (都道府県知事のルート)"
	case CheckValidity:
		return "有効期間 (受付時点)"
	case CheckRevocation:
		return "失効確認 (受付時点)"
	case CheckIdentity:
		return "基本4情報と申請書の照合"
	case CheckByteRange:
		return "PDF の署名範囲"
	}
	return string(c)
}

// Status is the outcome of one check.
type Status string

// Outcomes. NotChecked is for a check that an earlier failure made
// impossible (no signer certificate, no chain) or that was not asked for
// (identity without a form); it never makes a report pass by itself.
const (
	OK         Status = "ok"
	Failed     Status = "failed"
	NotChecked Status = "not_checked"
)

// Check is the result of one point.
type Check struct {
	ID     CheckID `json:"id"`
	Label  string  `json:"label"`
	Status Status  `json:"status"`
	// Detail says why, in Japanese.
	Detail string `json:"detail,omitempty"`
	// Err is the underlying error in English, for logs and machines.
	Err string `json:"error,omitempty"`
}

// Certificate summarises the signer's certificate in a report.
type Certificate struct {
	Serial    string    `json:"serial"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Items     Items     `json:"items"`
}

// Items are the certificate's 基本4情報 as carried (substitutes applied)
// with their substitute positions.
type Items struct {
	Name             string `json:"name"`
	NamePositions    string `json:"name_positions"`
	Sex              string `json:"sex"`
	Birth            string `json:"birth"`
	Address          string `json:"address"`
	AddressPositions string `json:"address_positions"`
}

// Report is the whole verification of one signed document.
type Report struct {
	// OK is true when every check passed, identity included when a form
	// was given. Without a form the identity check is NotChecked and OK
	// may still be true: FormCompared says whether it was done.
	OK           bool      `json:"ok"`
	FormCompared bool      `json:"form_compared"`
	ReceivedAt   time.Time `json:"received_at"`
	// ClaimedSigningTime is the signer's own signingTime attribute, shown
	// for information only.
	ClaimedSigningTime *time.Time      `json:"claimed_signing_time,omitempty"`
	Signer             *Certificate    `json:"signer,omitempty"`
	Revocation         *RevocationInfo `json:"revocation,omitempty"`
	// Signatures is the number of signatures (1 for CMS; every signature
	// dictionary of a PDF).
	Signatures int     `json:"signatures"`
	Checks     []Check `json:"checks"`
	// Content is the signed document of an attached CMS.
	Content []byte `json:"-"`
}

// Check returns the check id, or nil.
func (r *Report) Check(id CheckID) *Check {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// set records the outcome of id, replacing an earlier one.
func (r *Report) set(id CheckID, st Status, detail string, err error) {
	c := Check{ID: id, Label: id.Label(), Status: st, Detail: detail}
	if err != nil {
		c.Err = err.Error()
	}
	if old := r.Check(id); old != nil {
		*old = c
		return
	}
	r.Checks = append(r.Checks, c)
}

func (r *Report) ok(id CheckID, detail string) { r.set(id, OK, detail, nil) }

func (r *Report) fail(id CheckID, detail string, err error) { r.set(id, Failed, detail, err) }

func (r *Report) skip(id CheckID, detail string) { r.set(id, NotChecked, detail, nil) }

// finish computes OK: every check OK, except identity which may be
// NotChecked when no form was given.
func (r *Report) finish() {
	r.OK = len(r.Checks) > 0
	for _, c := range r.Checks {
		if c.Status == OK || (c.ID == CheckIdentity && c.Status == NotChecked && !r.FormCompared) {
			continue
		}
		r.OK = false
	}
}

// Text renders the report in Japanese for people.
func (r *Report) Text() string {
	var b strings.Builder
	if r.OK {
		b.WriteString("検証結果: 有効\n")
	} else {
		b.WriteString("検証結果: 無効 (受理できません)\n")
	}
	fmt.Fprintf(&b, "受付時刻: %s\n", r.ReceivedAt.In(jst).Format("2006-01-02 15:04:05 MST"))
	if r.ClaimedSigningTime != nil {
		fmt.Fprintf(&b, "署名者の申告する署名時刻 (参考、判定には使いません): %s\n", r.ClaimedSigningTime.In(jst).Format("2006-01-02 15:04:05 MST"))
	}
	if s := r.Signer; s != nil && s.Items.Name != "" {
		fmt.Fprintf(&b, "署名者証明書: シリアル番号 %s、発行者 %s、有効期間 %s 〜 %s\n", s.Serial, s.Issuer,
			s.NotBefore.In(jst).Format("2006-01-02"), s.NotAfter.In(jst).Format("2006-01-02"))
		fmt.Fprintf(&b, "  氏名 %s / 住所 %s / 生年月日 %s / 性別 %s\n", s.Items.Name, s.Items.Address, s.Items.Birth, s.Items.Sex)
	}
	for _, c := range r.Checks {
		mark := "○"
		switch c.Status {
		case Failed:
			mark = "×"
		case NotChecked:
			mark = "－"
		}
		fmt.Fprintf(&b, "%s %s", mark, c.Label)
		if c.Detail != "" {
			fmt.Fprintf(&b, ": %s", c.Detail)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var jst = time.FixedZone("JST", 9*60*60)

func serialString(n *big.Int) string {
	if n == nil {
		return ""
	}
	return n.String()
}
