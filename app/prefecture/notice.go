package prefecture

import (
	"context"
	"errors"
	"fmt"
	"math/big"
)

// OnceNotifier is a Notifier whose notices carry an idempotency key: the CA
// applies a notice once per key, and a notice sent again with the same key
// (after a lost answer, a crash or a restart) gets the first answer back
// without anything being applied twice. The EST client implements it.
type OnceNotifier interface {
	Notifier
	// NotifyOnce is Notify with an idempotency key (see ValidNoticeKey).
	NotifyOnce(ctx context.Context, key string, serial *big.Int, kind NoticeKind) (*NoticeResult, error)
}

// ValidNoticeKey reports whether key can be a notice's idempotency key:
// 16 to 64 characters of A-Z, a-z, 0-9, '-' and '_'. The key is random; it
// says nothing about the resident.
func ValidNoticeKey(key string) bool {
	if len(key) < 16 || len(key) > 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// NotifyOnce implements OnceNotifier.
func (c *ESTClient) NotifyOnce(ctx context.Context, key string, serial *big.Int, kind NoticeKind) (*NoticeResult, error) {
	if serial == nil || serial.Sign() <= 0 {
		return nil, errors.New("prefecture: notice: no serial")
	}
	if !kind.Valid() {
		return nil, fmt.Errorf("prefecture: notice: invalid kind %d", int(kind))
	}
	if !ValidNoticeKey(key) {
		return nil, fmt.Errorf("prefecture: notice: invalid key %q", key)
	}
	resp, err := c.signed(ctx, "notice", NoticePath, Request{Op: OpNotice, Serial: FormatSerial(serial), Notice: kind, Key: key})
	if err != nil {
		return nil, err
	}
	return &NoticeResult{Revoked: resp}, nil
}
