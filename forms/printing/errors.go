package printing

import "errors"

// ErrFont reports a font that cannot be used for printing.
var ErrFont = errors.New("printing: unusable font")

// ErrRender reports that a PDF could not be produced or written.
var ErrRender = errors.New("printing: cannot produce the PDF")

// FontError says why a font file cannot be used. It matches ErrFont.
type FontError struct {
	Err error
}

func (e *FontError) Error() string { return ErrFont.Error() + ": " + e.Err.Error() }

// Is lets errors.Is match ErrFont.
func (e *FontError) Is(target error) bool { return target == ErrFont }

// Unwrap returns the underlying cause.
func (e *FontError) Unwrap() error { return e.Err }

// UserMessage is the Japanese message shown to the clerk.
func (e *FontError) UserMessage() string {
	return "印刷用の日本語フォントを読み込めませんでした。管理者に連絡し、TrueType 形式（.ttf）の日本語フォントを設定してもらってください。"
}

// RenderError says which document could not be produced. It matches
// ErrRender.
type RenderError struct {
	Document string // the document's Japanese title, e.g. 交付記録簿
	Err      error
}

func (e *RenderError) Error() string {
	return ErrRender.Error() + " (" + e.Document + "): " + e.Err.Error()
}

// Is lets errors.Is match ErrRender.
func (e *RenderError) Is(target error) bool { return target == ErrRender }

// Unwrap returns the underlying cause.
func (e *RenderError) Unwrap() error { return e.Err }

// UserMessage is the Japanese message shown to the clerk.
func (e *RenderError) UserMessage() string {
	return e.Document + "のPDFを作成できませんでした。もう一度印刷し、直らなければ管理者に連絡してください。"
}
