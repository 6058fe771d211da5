package ui

import (
	"time"

	"madoguchi/app"
)

// jst is the time zone of the counter's dates.
var jst = time.FixedZone("JST", 9*60*60)

// checkPIN is the resident PIN policy the PIN screen applies.
var checkPIN PINPolicy = app.CheckPINPolicy

// cardRefusal says why a procedure of kind k cannot use a card of kind c,
// or "" when it can.
func cardRefusal(c app.CardKind, k wizardKind) string {
	switch {
	case c == app.CardForeign:
		return "このカードは使用できません（他の用途で設定されたカードか、読み取れない内容です）。別のカードを置いてください。"
	case k == wizardPINReset && c != app.CardIssued:
		return "このカードには署名用電子証明書がありません。お客様の発行済みカードを置いてください。"
	}
	return ""
}
