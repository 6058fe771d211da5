// Package session runs the counter's procedures as durable state machines:
// issuance (新規発行 and 更新), revocation at the resident's request (失効申請)
// and PIN reset (暗証番号初期化).
//
// An issuance goes 申請受付 (Received) → 本人確認 (Identified) → カード準備
// (CardReady) → 鍵生成 (KeyGenerated) → 発行申請 (Requesting, then Issued) →
// 書込 (Written) → 交付 (Delivered); a revocation Received → Identified →
// Revoking → Revoked; a PIN reset Received → Identified → PINReset. Any
// open session may end in 中止 (Abandoned), and one that cannot go on ends
// in 失敗 (Failed).
//
// Every transition is committed to SQLite, with its journal row and audit
// entry, before the step function returns and so before the next step can
// start. A step with an effect outside the database that must not happen
// twice commits its intent first: the request to the CA is preceded by the
// Requesting state and repeated, never re-created, on resume (the CA
// answers the same request with the same certificate). After a crash the
// open sessions are listed by Interrupted and either resumed from their
// state (a certificate issued but not yet written is written from the
// store) or abandoned, which revokes any certificate they were issued.
package session

import (
	"errors"
	"fmt"
	"time"

	"madoguchi/app/identity"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/forms"
)

// State is a session's position in its procedure.
type State string

// States.
const (
	Received     State = "received"      // 申請受付: the form is accepted
	Identified   State = "identified"    // 本人確認: the identity check passed
	CardReady    State = "card_ready"    // カード準備: the card is prepared
	KeyGenerated State = "key_generated" // 鍵生成: PIN set, key pair generated, request signed on the card
	Requesting   State = "requesting"    // 発行申請: the request is (being) sent to the CA
	Issued       State = "issued"        // 発行申請 done: the certificate is in the store
	Written      State = "written"       // 書込: written to the card, read back, card finished
	Delivered    State = "delivered"     // 交付: handed over (completed)
	Revoking     State = "revoking"      // 失効申請: the revocation is (being) sent to the CA
	Revoked      State = "revoked"       // 失効 done (completed)
	PINReset     State = "pin_reset"     // 暗証番号初期化 done (completed)
	Abandoned    State = "abandoned"     // 中止
	Failed       State = "failed"        // 失敗
)

// Label is the state's Japanese name.
func (s State) Label() string {
	switch s {
	case Received:
		return "申請受付"
	case Identified:
		return "本人確認"
	case CardReady:
		return "カード準備"
	case KeyGenerated:
		return "鍵生成"
	case Requesting:
		return "発行申請中"
	case Issued:
		return "発行申請"
	case Written:
		return "書込"
	case Delivered:
		return "交付"
	case Revoking:
		return "失効申請中"
	case Revoked:
		return "失効"
	case PINReset:
		return "暗証番号初期化"
	case Abandoned:
		return "中止"
	case Failed:
		return "失敗"
	}
	return string(s)
}

// Terminal reports whether the session has ended in s.
func (s State) Terminal() bool {
	switch s {
	case Delivered, Revoked, PINReset, Abandoned, Failed:
		return true
	}
	return false
}

// outcome is the records outcome of a terminal state.
func (s State) outcome() records.Outcome {
	switch s {
	case Delivered, Revoked, PINReset:
		return records.OutcomeCompleted
	case Abandoned:
		return records.OutcomeAbandoned
	case Failed:
		return records.OutcomeFailed
	}
	return records.OutcomeOpen
}

// Path returns the states a session of kind k passes through when all
// goes well, in order.
func Path(k forms.ApplicationKind) []State {
	switch k {
	case forms.KindRevocation:
		return []State{Received, Identified, Revoking, Revoked}
	case forms.KindPINReset:
		return []State{Received, Identified, PINReset}
	}
	return []State{Received, Identified, CardReady, KeyGenerated, Requesting, Issued, Written, Delivered}
}

// Session is one counter session as stored.
type Session struct {
	ID           string
	Kind         forms.ApplicationKind
	ResidentCode string
	Clerk        string // who started it
	State        State
	Outcome      records.Outcome
	CreatedAt    time.Time
	UpdatedAt    time.Time
	FinishedAt   time.Time
	Application  forms.Application
	Identity     *identity.Result  // set from Identified on
	CardID       string            // the card prepared for this session
	PublicKey    []byte            // PKIX DER of the key generated on the card
	CSR          []byte            // the request signed on the card
	CertSerial   string            // the certificate issued to this session
	TargetSerial string            // the certificate a revocation or PIN reset concerns
	Reason       string            // why it was abandoned or failed
	RevokeReason prefecture.Reason // what a revocation session asks for
	// On a shared office database: the terminal that started it, and the
	// one holding it (its lease) until when.
	Terminal      string
	LeaseTerminal string
	LeaseUntil    time.Time
}

// Next is the step the clerk takes next in an open session: the state it
// would reach when all goes well.
func (s *Session) Next() State {
	if s.State.Terminal() {
		return ""
	}
	path := Path(s.Kind)
	for i, st := range path {
		if st == s.State && i+1 < len(path) {
			return path[i+1]
		}
	}
	return ""
}

// Step is one committed transition in a session's journal.
type Step struct {
	Seq   int
	State State
	At    time.Time
	Staff string
	Note  string
}

// Error is a session error with a Japanese message for the clerk.
type Error struct {
	msg, user string
}

func (e *Error) Error() string { return "session: " + e.msg }

// UserMessage says what happened in Japanese.
func (e *Error) UserMessage() string { return e.user }

// Sentinel errors.
var (
	ErrNotFound   = &Error{"no such session", "指定された手続が見つかりません。"}
	ErrOpenExists = &Error{"the resident already has an open session",
		"この住民には終了していない手続があります。中断中の手続一覧から再開するか、中止してから受け付けてください。"}
	ErrWrongCard = &Error{"the card in the reader is not the card of this session",
		"この手続で準備したカードと異なるカードが挿入されています。手続で使用したカードを挿入してください。"}
	ErrNoValidCertificate = &Error{"the resident holds no valid signing certificate issued here",
		"この方には、当窓口で発行した有効な署名用電子証明書がありません。"}
	ErrCardCertificate = &Error{"the certificate on the card is not the resident's valid certificate",
		"挿入されたカードの証明書は、この方の有効な署名用電子証明書ではありません。本人のカードか確認してください。"}
	ErrCertificateMismatch = &Error{"the issued certificate does not match the request",
		"都道府県から返された証明書が申請内容と一致しません。手続を中止し、システム管理者に連絡してください。"}
	ErrKind = &Error{"this step does not belong to the session's procedure",
		"この手続ではその操作はできません。"}
	ErrMaster = &Error{"the municipality's master secret is missing or too short",
		"市区町村の管理用秘密鍵が設定されていません。システム管理者に連絡してください。"}
)

// StateError is returned when a step is called in a state it does not
// start from.
type StateError struct {
	ID   string
	Have State
	Want []State
}

func (e *StateError) Error() string {
	return fmt.Sprintf("session %s: in state %s, step needs %v", e.ID, e.Have, e.Want)
}

// UserMessage says what happened in Japanese.
func (e *StateError) UserMessage() string {
	if e.Have.Terminal() {
		return "この手続はすでに「" + e.Have.Label() + "」で終了しています。"
	}
	return "この手続は現在「" + e.Have.Label() + "」の段階のため、この操作はできません。画面を更新して、次の操作を確認してください。"
}

// FailedError is returned by a step that ended its session in Failed
// because it cannot go on; Err is the cause.
type FailedError struct {
	ID  string
	Err error
}

func (e *FailedError) Error() string { return fmt.Sprintf("session %s failed: %v", e.ID, e.Err) }

// Unwrap returns the cause.
func (e *FailedError) Unwrap() error { return e.Err }

// UserMessage says what happened in Japanese.
func (e *FailedError) UserMessage() string {
	return "手続を続けられないため、終了しました（失敗）。" + userMessage(e.Err) +
		" 発行済みの証明書があった場合は失効させています。必要であれば新たに受け付けてください。"
}

// userMessage returns err's Japanese message, or a generic one.
func userMessage(err error) string {
	var um interface{ UserMessage() string }
	if errors.As(err, &um) {
		return um.UserMessage()
	}
	return "予期しないエラーが発生しました（" + err.Error() + "）。"
}
