package keygen

import (
	"errors"
	"fmt"

	"madoguchi/cardio"
)

// Step names an on-card step of an issuance, for StepError.
type Step int

// The steps, in the order of an issuance, then PIN reset.
const (
	StepOpen             Step = iota // selecting the PIV application
	StepState                        // recognising the card
	StepPrepare                      // management key, CHUID
	StepPIN                          // setting the resident's PIN
	StepGenerate                     // generating the key pair
	StepRequest                      // signing the certificate request
	StepCheckCertificate             // checking the returned certificate
	StepWrite                        // writing the certificate
	StepReadBack                     // reading it back and comparing
	StepFinish                       // per-card management key and PUK
	StepResetPIN                     // PIN reset with the PUK
	StepReadCertificate              // reading the certificate of an issued card
)

var stepNames = [...]struct{ en, ja string }{
	StepOpen:             {"open", "カードの読み取り"},
	StepState:            {"recognise card", "カードの確認"},
	StepPrepare:          {"prepare card", "カードの準備"},
	StepPIN:              {"set PIN", "暗証番号の設定"},
	StepGenerate:         {"generate key", "鍵ペアの生成"},
	StepRequest:          {"sign request", "発行申請の署名"},
	StepCheckCertificate: {"check certificate", "証明書の確認"},
	StepWrite:            {"write certificate", "証明書の書込"},
	StepReadBack:         {"read back certificate", "書込内容の確認"},
	StepFinish:           {"finish card", "カードの仕上げ"},
	StepResetPIN:         {"reset PIN", "暗証番号の初期化"},
	StepReadCertificate:  {"read certificate", "証明書の読み取り"},
}

// String returns the step's English name.
func (s Step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s].en
	}
	return fmt.Sprintf("step(%d)", int(s))
}

// Japanese returns the step's name for the clerk.
func (s Step) Japanese() string {
	if int(s) < len(stepNames) {
		return stepNames[s].ja
	}
	return "カードの操作"
}

// StepError says which step of the card half failed and whether the card
// is still usable: true means the same card can be used again (after
// re-inserting it, if it was removed), starting again from Prepare; false
// means this card cannot be used for this purpose.
type StepError struct {
	Step       Step
	CardUsable bool
	Err        error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("keygen: %v: %v", e.Step, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// UserMessage names the step in Japanese, gives the cause's own message
// when it has one, and says whether to retry with the same card.
func (e *StepError) UserMessage() string {
	msg := e.Step.Japanese() + "でエラーが発生しました。"
	var um interface{ UserMessage() string }
	if errors.As(e.Err, &um) {
		msg += um.UserMessage()
	} else if e.CardUsable {
		msg += "カードを入れ直して、もう一度操作してください。"
	}
	if !e.CardUsable {
		msg += "このカードは使用できません。"
	}
	return msg
}

// stepErr wraps err for step, deciding from the cause whether the card is
// still usable. It returns nil for a nil err and leaves a *StepError as is.
func stepErr(step Step, err error) error {
	if err == nil {
		return nil
	}
	var se *StepError
	if errors.As(err, &se) {
		return err
	}
	return &StepError{Step: step, CardUsable: usable(err), Err: err}
}

// usable reports whether the card can still serve after err.
func usable(err error) bool {
	switch {
	case errors.Is(err, ErrForeignCard), errors.Is(err, ErrNotBlank), errors.Is(err, ErrMgmtKeyUnsupported):
		return false
	case errors.Is(err, cardio.ErrNotSupported), errors.Is(err, cardio.ErrNoMemory),
		errors.Is(err, cardio.ErrBadResponse), errors.Is(err, cardio.ErrFileNotFound) && !errors.Is(err, ErrNoCertificate):
		return false
	case errors.Is(err, cardio.ErrAuthBlocked):
		// A blocked PIN is reset with the PUK; a blocked PUK ends the card.
		var se *cardio.StatusError
		return !(errors.As(err, &se) && se.INS == 0x2C)
	}
	return true
}

// kind is a sentinel error with a Japanese message.
type kind struct{ en, ja string }

func (k *kind) Error() string       { return "keygen: " + k.en }
func (k *kind) UserMessage() string { return k.ja }

// Failures of the card half that are not the card's own status words.
var (
	ErrNotBlank = &kind{"the card is neither blank nor issued by us",
		"このカードには別の証明書または鍵が入っています。未使用のカードを使ってください。"}
	ErrForeignCard = &kind{"the card's management key is not ours",
		"このカードはこの市区町村で発行したカードではないため、操作できません。"}
	ErrNotPrepared = &kind{"the card has not been prepared in this session",
		"カードの準備が済んでいません。カードを入れ直して、最初からやり直してください。"}
	ErrNoKey = &kind{"no key was generated on the card in this session",
		"カードの鍵ペアが確認できません。カードを入れ直して、最初からやり直してください。"}
	ErrKeyMismatch = &kind{"the certificate's public key is not the card's key",
		"交付された証明書がこのカードの鍵のものではありません。カードを書き込まずに中止しました。発行申請をやり直してください。"}
	ErrItemsMismatch = &kind{"the certificate's four items differ from the form",
		"交付された証明書の基本4情報が申請書と一致しません。カードを書き込まずに中止しました。"}
	ErrReadBackMismatch = &kind{"the certificate read back differs from the one written",
		"カードに書き込んだ証明書を読み取って照合したところ、一致しませんでした。もう一度書込を行ってください。"}
	ErrNoCertificate = &kind{"no certificate in slot 9C",
		"カードに署名用電子証明書が入っていません。"}
	ErrUnsupportedSignature = &kind{"unsupported signature scheme",
		"この署名方式には対応していません。"}
	ErrMgmtKeyUnsupported = &kind{"the card lacks SET MANAGEMENT KEY (INS FF), so it cannot be locked to this municipality",
		"このカードはカード管理鍵の変更に対応していないため、交付に使用できません。対応したカードを使ってください。"}
	ErrMasterSecret = &kind{"the master secret is missing or shorter than 16 bytes",
		"市区町村のマスター鍵が設定されていません。システム管理者に連絡してください。"}
)
