package prefecture

import (
	"errors"
	"fmt"
)

// Kind classifies a failed exchange with the CA.
type Kind int

// Kinds of failure.
const (
	// Refused: the CA answered and declined the request; Error.Refusal
	// says why. Sending the same request again will not help.
	Refused Kind = iota + 1
	// Unreachable: the CA could not be reached or did not answer in time
	// (network, TLS, timeout, or a temporary failure on the CA's side).
	// The request may be sent again later; it is never issued twice.
	Unreachable
	// BadResponse: the CA answered with something the client cannot use or
	// trust (a certificate that does not match the request or does not
	// chain to the pinned root, a malformed reply).
	BadResponse
)

// Sentinel errors matching an *Error of the same Kind with errors.Is.
var (
	ErrRefused     = errors.New("prefecture: refused by the CA")
	ErrUnreachable = errors.New("prefecture: CA unreachable")
	ErrBadResponse = errors.New("prefecture: unusable response from the CA")
)

// Error is a failed exchange with the CA.
type Error struct {
	Op      string  // "enroll", "revoke", "notice", "crl", "cacerts"
	Kind    Kind    // Refused, Unreachable or BadResponse
	Status  int     // HTTP status, 0 when there was no answer
	Refusal Refusal // the CA's reason, for Refused
	Err     error   // the underlying error, if any
}

func (e *Error) Error() string {
	switch e.Kind {
	case Refused:
		if e.Refusal.Code != "" {
			return fmt.Sprintf("prefecture %s: refused by the CA (HTTP %d, %s): %s", e.Op, e.Status, e.Refusal.Code, e.Refusal.Reason)
		}
		return fmt.Sprintf("prefecture %s: refused by the CA (HTTP %d): %s", e.Op, e.Status, e.Refusal.Reason)
	case Unreachable:
		return fmt.Sprintf("prefecture %s: CA unreachable: %v", e.Op, e.Err)
	default:
		return fmt.Sprintf("prefecture %s: unusable response from the CA: %v", e.Op, e.Err)
	}
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of e's Kind.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrRefused:
		return e.Kind == Refused
	case ErrUnreachable:
		return e.Kind == Unreachable
	case ErrBadResponse:
		return e.Kind == BadResponse
	}
	return false
}

// estReasonsJA translates the fixed refusal texts of globalsign/est's
// server, which carry no Japanese reason of their own.
var estReasonsJA = map[string]string{
	"invalid PKCS10 certificate signing request signature": "申請データの署名を公開鍵で検証できません（カード内の鍵で署名されていません）",
	"malformed PKCS10 certificate signing request":         "申請データの形式が正しくありません",
	"invalid base64 encoding":                              "申請データの形式が正しくありません",
	"authorization required":                               "端末の認証が必要です",
	"invalid client certificate":                           "端末証明書が受け付けられませんでした",
}

var opNames = map[string]string{
	"enroll":  "電子証明書の発行申請",
	"revoke":  "電子証明書の失効申請",
	"notice":  "異動の通知",
	"crl":     "失効リストの取得",
	"cacerts": "認証局証明書の取得",
}

// UserMessage returns a Japanese sentence for the clerk: what happened and
// what to do.
func (e *Error) UserMessage() string {
	op := opNames[e.Op]
	if op == "" {
		op = "都道府県の認証局とのやり取り"
	}
	switch e.Kind {
	case Refused:
		why := e.Refusal.ReasonJA
		if why == "" {
			why = estReasonsJA[e.Refusal.Reason]
		}
		if why == "" {
			why = e.Refusal.Reason
		}
		if why == "" {
			why = "理由は示されませんでした"
		}
		return op + "を都道府県の認証局が受け付けませんでした。理由: " + why + "。内容を確認して申請し直してください。解決しない場合は管理者に連絡してください。"
	case Unreachable:
		return op + "ができませんでした。都道府県の認証局に接続できないか、応答がありません。ネットワークの状態を確認し、しばらくしてからもう一度操作してください（同じ申請を送り直しても二重に発行されることはありません）。"
	default:
		return op + "で、都道府県の認証局からの応答を確認できませんでした。処理を中止し、管理者に連絡してください。"
	}
}
