package printing

import (
	"strings"
	"testing"
)

func TestHeadlines(t *testing.T) {
	counts := []Count{
		{Clerk: "a", Kind: "新規発行", Result: "交付", N: 4},
		{Clerk: "b", Kind: "新規発行", Result: "交付", N: 2},
		{Clerk: "a", Kind: "新規発行", Result: "中止", N: 1},
		{Clerk: "a", Kind: "更新", Result: "交付", N: 3},
		{Clerk: "a", Kind: "更新", Result: "エラー", N: 7},
		{Clerk: "a", Kind: "失効", Result: "完了", N: 2},
		{Clerk: "b", Kind: "失効", Result: "中止", N: 1},
		{Clerk: "b", Kind: "暗証番号初期化", Result: "完了", N: 5},
		{Clerk: "b", Kind: "暗証番号初期化", Result: "処理中", N: 9},
	}
	want := []Headline{{"新規", 6}, {"更新", 3}, {"失効", 2}, {"暗証番号初期化", 5}, {"中止", 2}}
	got := Headlines(counts)
	if len(got) != len(want) {
		t.Fatalf("Headlines = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("headline %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestFormatHead(t *testing.T) {
	tests := []struct {
		seq  int64
		head []byte
		want string
	}{
		{42, []byte{0xde, 0xad, 0xbe, 0xef, 0x01}, "第42行 deadbeef 01"},
		{1, []byte{0, 1, 2, 3}, "第1行 00010203"},
		{0, make([]byte, 32), "第0行 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000"},
	}
	for _, tt := range tests {
		if got := formatHead(tt.seq, tt.head); got != tt.want {
			t.Errorf("formatHead(%d, %x) = %q, want %q", tt.seq, tt.head, got, tt.want)
		}
	}
	if got := headLine(AuditHead{Seq: 1, Hash: []byte{1}, Code: "No.1 0100-0000-0000-0000 x9"}); !strings.Contains(got, "照合コード No.1 0100-0000-0000-0000 x9") {
		t.Errorf("headLine with a code = %q, want the code printed", got)
	}
	if headLine(AuditHead{}) != "" {
		t.Error("an unknown head printed a line")
	}
}
