package cardio

import (
	"errors"
	"fmt"
)

// Kind is a class of failure. Every error this package returns matches
// exactly one Kind with errors.Is, and the Kind carries the Japanese
// sentence shown to a clerk (UserMessage).
type Kind struct {
	name string
	user string
}

// Error returns the English name of the kind.
func (k *Kind) Error() string { return "cardio: " + k.name }

// UserMessage returns a Japanese sentence that says what happened and what
// to do.
func (k *Kind) UserMessage() string { return k.user }

func newKind(name, user string) *Kind { return &Kind{name: name, user: user} }

// Failures of the reader, the card link or the PC/SC service.
var (
	ErrNoService = newKind("the PC/SC service (pcscd) is not running",
		"カード読取機のサービス(pcscd)が動いていません。システム管理者に連絡してください。")
	ErrNoReaders = newKind("no card reader is connected",
		"カード読取機が接続されていません。読取機を接続してから、もう一度操作してください。")
	ErrReaderGone = newKind("the card reader is no longer available",
		"カード読取機が見つからなくなりました。読取機の接続を確かめて、もう一度操作してください。")
	ErrNoCard = newKind("no card in the reader",
		"読取機にカードが入っていません。カードを入れてから、もう一度操作してください。")
	ErrCardRemoved = newKind("the card was removed",
		"カードが取り出されました。カードを読取機に入れ直して、もう一度操作してください。")
	ErrCardReset = newKind("the card was reset by another program",
		"カードが他のプログラムによってリセットされました。もう一度操作してください。")
	ErrCardInUse = newKind("the card is in use by another program",
		"カードが他のプログラムで使用中です。他のプログラムを終了してから、もう一度操作してください。")
	ErrUnresponsiveCard = newKind("the card does not respond",
		"カードが応答しません。カードの向きと差し込みを確かめて、入れ直してください。")
	ErrReader = newKind("card reader failure",
		"カード読取機でエラーが起きました。カードを入れ直して、もう一度操作してください。")
	ErrProtocol = newKind("the card answered outside the protocol",
		"カードから想定外の応答がありました。このカードは使用できない可能性があります。")
)

// Status word classes (ISO 7816-4 and NIST SP 800-73-4). A *StatusError
// matches the class of its status word with errors.Is.
var (
	ErrWrongPIN = newKind("wrong PIN or PUK",
		"暗証番号が違います。")
	ErrAuthBlocked = newKind("authentication method blocked",
		"暗証番号がロックされています。窓口で暗証番号の初期化を行ってください。")
	ErrSecurityStatus = newKind("security status not satisfied",
		"カードの認証が済んでいないため、操作できませんでした。最初からやり直してください。")
	ErrConditionsOfUse = newKind("conditions of use not satisfied",
		"カードがこの操作を受け付けない状態です。カードを入れ直して、最初からやり直してください。")
	ErrFileNotFound = newKind("data object or application not found",
		"カードに必要なデータまたはアプリケーションがありません。このカードは使用できません。")
	ErrWrongData = newKind("incorrect parameters in the command data",
		"カードが送ったデータを受け付けませんでした。このカードは使用できない可能性があります。")
	ErrWrongLength = newKind("wrong length",
		"カードがデータの長さを受け付けませんでした。このカードは使用できない可能性があります。")
	ErrWrongP1P2 = newKind("incorrect parameters P1-P2",
		"カードがこの操作に対応していません。このカードは使用できない可能性があります。")
	ErrReferenceNotFound = newKind("referenced data or key not found",
		"カードに必要な鍵またはデータがありません。このカードは使用できない可能性があります。")
	ErrNotSupported = newKind("instruction, class or function not supported",
		"カードがこの操作に対応していません。対応するカードを使ってください。")
	ErrNoMemory = newKind("not enough memory on the card",
		"カードの記憶領域が足りません。このカードは使用できません。")
	ErrCardFault = newKind("the card reported an internal error",
		"カード内部でエラーが起きました。カードを入れ直して、もう一度操作してください。")
)

// Status words used by the PIV command set and the emulator.
const (
	SWOK                   uint16 = 0x9000
	SWWrongLength          uint16 = 0x6700
	SWLastCommandExpected  uint16 = 0x6883
	SWSecurityStatus       uint16 = 0x6982
	SWAuthBlocked          uint16 = 0x6983
	SWConditionsOfUse      uint16 = 0x6985
	SWWrongData            uint16 = 0x6A80
	SWFuncNotSupported     uint16 = 0x6A81
	SWFileNotFound         uint16 = 0x6A82
	SWNotEnoughMemory      uint16 = 0x6A84
	SWWrongP1P2            uint16 = 0x6A86
	SWReferenceNotFound    uint16 = 0x6A88
	SWInsNotSupported      uint16 = 0x6D00
	SWClaNotSupported      uint16 = 0x6E00
	SWNoPreciseDiagnosis   uint16 = 0x6F00
	SWMemoryFailure        uint16 = 0x6581
	SWVerifyFailedNoTries  uint16 = 0x63C0 // 63Cx: x tries left
	SWChainingNotSupported uint16 = 0x6884
)

// StatusError is a card's answer with a status word other than 9000.
type StatusError struct {
	INS byte   // the instruction the card answered
	SW  uint16 // the status word
}

// classify maps a status word to its Kind and an English description.
func classify(sw uint16) (*Kind, string) {
	switch {
	case sw&0xFFF0 == 0x63C0:
		return ErrWrongPIN, fmt.Sprintf("verification failed, %d tries left", sw&0x0F)
	case sw == SWAuthBlocked:
		return ErrAuthBlocked, "authentication method blocked"
	case sw == SWSecurityStatus:
		return ErrSecurityStatus, "security status not satisfied"
	case sw == SWConditionsOfUse, sw == 0x6986, sw == SWLastCommandExpected:
		return ErrConditionsOfUse, "conditions of use not satisfied"
	case sw == SWFileNotFound:
		return ErrFileNotFound, "file or application not found"
	case sw == SWWrongData, sw == 0x6984:
		return ErrWrongData, "incorrect parameters in the data field"
	case sw == SWWrongLength, sw&0xFF00 == 0x6C00:
		return ErrWrongLength, "wrong length"
	case sw == SWWrongP1P2, sw == 0x6B00:
		return ErrWrongP1P2, "incorrect parameters P1-P2"
	case sw == SWReferenceNotFound:
		return ErrReferenceNotFound, "referenced data not found"
	case sw == SWInsNotSupported, sw == SWClaNotSupported, sw == SWFuncNotSupported,
		sw == 0x6881, sw == 0x6882, sw == SWChainingNotSupported:
		return ErrNotSupported, "instruction, class or function not supported"
	case sw == SWNotEnoughMemory, sw == 0x6A83:
		return ErrNoMemory, "not enough memory"
	default:
		return ErrCardFault, "unexpected status"
	}
}

// Error describes the status word in English.
func (e *StatusError) Error() string {
	_, desc := classify(e.SW)
	return fmt.Sprintf("cardio: card answered %04X (%s) to INS %02X", e.SW, desc, e.INS)
}

// Is reports whether target is the Kind of this status word.
func (e *StatusError) Is(target error) bool {
	k, _ := classify(e.SW)
	return target == error(k)
}

// TriesLeft returns the retry counter carried by a 63Cx answer, or 0 and
// false for any other status word. A blocked reference (6983) reports 0 and
// true.
func (e *StatusError) TriesLeft() (int, bool) {
	switch {
	case e.SW&0xFFF0 == 0x63C0:
		return int(e.SW & 0x0F), true
	case e.SW == SWAuthBlocked:
		return 0, true
	}
	return 0, false
}

// UserMessage returns a Japanese sentence for the clerk, with the number
// of tries left for a wrong PIN.
func (e *StatusError) UserMessage() string {
	k, _ := classify(e.SW)
	if e.SW&0xFFF0 == 0x63C0 {
		n := int(e.SW & 0x0F)
		if n == 0 {
			return "暗証番号が違います。暗証番号がロックされました。窓口で暗証番号の初期化を行ってください。"
		}
		return fmt.Sprintf("暗証番号が違います。あと%d回間違えるとロックされます。", n)
	}
	return k.user
}

// linkError is a failure below the card application: the reader, the card
// link or the PC/SC service. It matches its Kind and its cause.
type linkError struct {
	op    string
	kind  *Kind
	cause error
}

func (e *linkError) Error() string {
	if e.cause == nil {
		return fmt.Sprintf("cardio: %s: %s", e.op, e.kind.name)
	}
	return fmt.Sprintf("cardio: %s: %s: %v", e.op, e.kind.name, e.cause)
}

func (e *linkError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func (e *linkError) UserMessage() string { return e.kind.user }

// linkErr builds an error of the given kind for operation op.
func linkErr(op string, kind *Kind, cause error) error {
	return &linkError{op: op, kind: kind, cause: cause}
}

// IsCardGone reports whether err means that the card is no longer reachable
// (removed, reset by someone else, reader gone), so the caller should wait
// for the card again rather than retry the command.
func IsCardGone(err error) bool {
	return errors.Is(err, ErrCardRemoved) || errors.Is(err, ErrNoCard) ||
		errors.Is(err, ErrCardReset) || errors.Is(err, ErrReaderGone)
}
