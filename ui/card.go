package ui

import (
	"context"
	"time"

	"madoguchi/app"
)

// jst is the time zone of the counter's dates.
var jst = time.FixedZone("JST", 9*60*60)

// checkPIN is the resident PIN policy the PIN screen applies.
var checkPIN PINPolicy = app.CheckPINPolicy

// cardStatus is what the card in the reader is.
type cardStatus struct{ kind app.CardKind }

func readCardStatus(ctx context.Context, c *app.Card) (cardStatus, error) {
	k, err := c.Kind(ctx)
	return cardStatus{k}, err
}

func (c cardStatus) label() string { return "カードを認識しました：" + c.kind.Label() }

// refusal says why the procedure cannot use the card, or "".
func (c cardStatus) refusal(k wizardKind) string {
	switch {
	case c.kind == app.CardForeign:
		return "このカードは使用できません（他の用途で設定されたカードか、読み取れない内容です）。別のカードを置いてください。"
	case k == wizardPINReset && c.kind != app.CardIssued:
		return "このカードには署名用電子証明書がありません。お客様の発行済みカードを置いてください。"
	}
	return ""
}

// watchReader follows the counter's reader.
func watchReader(ctx context.Context, c *app.Counter) (<-chan app.CardEvent, error) {
	return c.WatchCard(ctx)
}
