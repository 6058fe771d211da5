package app

import (
	"errors"
	"fmt"
)

// SetupError is a part of the counter that could not be opened or created.
type SetupError struct {
	What string // which part, in English
	Err  error
}

func (e *SetupError) Error() string { return fmt.Sprintf("app: %s: %v", e.What, e.Err) }

// Unwrap returns the cause.
func (e *SetupError) Unwrap() error { return e.Err }

// UserMessage says what happened in Japanese.
func (e *SetupError) UserMessage() string {
	var um interface{ UserMessage() string }
	if errors.As(e.Err, &um) {
		return um.UserMessage()
	}
	return "アプリケーションの準備ができませんでした（" + e.What + "）。設定とファイルの権限を確認し、解決しない場合はシステム管理者に連絡してください。"
}

// appError is a sentinel error with a Japanese message.
type appError struct{ msg, user string }

func (e *appError) Error() string { return "app: " + e.msg }

// UserMessage says what happened in Japanese.
func (e *appError) UserMessage() string { return e.user }

// Sentinel errors.
var (
	ErrNoReader = &appError{"no card reader connected",
		"カードリーダーが見つかりません。カードリーダーの接続を確認してください。"}
	ErrNotEmulated = &appError{"the counter does not use the emulated reader",
		"模擬カードはデモ環境でのみ使用できます。"}
	ErrSignedOut = &appError{"the desk is signed out",
		"サインアウトしています。もう一度サインインしてください。"}
)
