package audit_test

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"madoguchi/app"
	"madoguchi/app/audit"
	"madoguchi/app/identity"
	"madoguchi/app/prefecture"
	"madoguchi/app/session"
)

func TestActionLabel(t *testing.T) {
	actions := []string{
		audit.ActionSignIn, audit.ActionSignInFailed, audit.ActionLockedOut, audit.ActionSignOut, audit.ActionStaffCreated,
		audit.ActionPasswordSet, audit.ActionStaffUnlocked, audit.ActionStaffDisabled, audit.ActionRegistryImport,
		audit.ActionSessionStep, audit.ActionAuditVerified, app.ActionRegistrySearch, app.ActionRegistryView,
		"staff.unlocked", "staff.reset", "staff.disabled", "staff.enabled", "audit.verify_failed", "session.refused",
		"session.card_refused", "notice.queued", "notice.sent", "notice.failed",
		"session.identity_refused", "session.card_prepared_again", "records.revoked_at_ca",
	}
	for _, st := range []session.State{session.Received, session.Identified, session.CardReady, session.KeyGenerated,
		session.Requesting, session.Issued, session.Written, session.Delivered, session.Revoking, session.Revoked,
		session.PINReset, session.Abandoned, session.Failed} {
		actions = append(actions, "session."+string(st))
		if got := audit.ActionLabel("session." + string(st)); got != st.Label() {
			t.Errorf("ActionLabel(session.%s) = %q, session says %q", st, got, st.Label())
		}
	}
	for _, a := range actions {
		l := audit.ActionLabel(a)
		if l == a || !hasJapanese(l) {
			t.Errorf("ActionLabel(%q) = %q: no Japanese label", a, l)
		}
	}
	if got := audit.ActionLabel("something.new"); got != "something.new" {
		t.Errorf("unknown action = %q, want it unchanged", got)
	}
}

func TestDetailText(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	tests := []struct{ detail, want string }{
		{"identity checked: drivers_license ********1234, health_insurance ****5678; 1 valid certificate(s) to be revoked",
			"本人確認書類：運転免許証（番号末尾 ********1234）、健康保険の資格確認書・被保険者証（番号末尾 ****5678）；有効な証明書 1 件を交付時に失効"},
		{"identity checked: mynumber_card", "本人確認書類：マイナンバーカード"},
		{"application received: 新規発行", "申請受付：新規発行"},
		{"handed over: serial 1a2b; previous certificate 99 revoked (resident-request)", "交付：シリアル 1a2b；以前の証明書 99 を失効（本人の申請）"},
		{"revocation requested: key-compromise, serial 1a2b", "失効申請：紛失・盗難等による鍵の危殆化、シリアル 1a2b"},
		{"certificate revoked: serial 1a2b (already revoked: superseded)", "証明書の失効：シリアル 1a2b（既に失効済み：新たな証明書の発行）"},
		{"窓口で中止; certificate 1a2b revoked", "窓口で中止；証明書 1a2b を失効"},
		{"PIN set, key pair generated, request signed on the card", "暗証番号の設定、鍵ペアの生成、カード上で発行申請に署名"},
		{"certificate 1a2b revoked at the CA (address-change)", "証明書 1a2b が都道府県CAで失効（住所変更）"},
		{"wrong password (3 in a row)", "パスワード誤り（連続 3 回）"},
		{"until 2026-12-01T23:30:00.000000Z", "2026/12/02 08:30 まで"},
		{"role=supervisor", "役割：監督者"},
		{"by code+kana: 3 shown", "検索条件：住民コード・かな、表示 3 件"},
		{"12 rows: 10 inserted, 2 updated; Shift_JIS; sha256 abcd", "12 行：新規 10 件、更新 2 件；文字コード Shift_JIS；SHA-256 abcd"},
		{"intact up to row 42", "42 行目まで改ざん・欠落なし"},
		{"", ""},
		{"本人が来庁せず", "本人が来庁せず"},
	}
	for _, tt := range tests {
		got := audit.DetailTextIn(audit.Entry{Detail: tt.detail}, tokyo)
		if got != tt.want {
			t.Errorf("DetailTextIn(%q)\n got %q\nwant %q", tt.detail, got, tt.want)
		}
	}
	if got := audit.DetailText(audit.Entry{Detail: "until 2026-12-01T23:30:00.000000Z"}); !strings.HasPrefix(got, "2026/12/02 08:30") {
		t.Errorf("DetailText uses zone other than JST: %q", got)
	}
}

// TestLabelTablesMatchTheirOwners: audit keeps copies of labels owned by
// packages that import it.
func TestLabelTablesMatchTheirOwners(t *testing.T) {
	for _, k := range identity.Kinds() {
		got := audit.DetailTextIn(audit.Entry{Detail: "identity checked: " + string(k.Type)}, time.UTC)
		if got != "本人確認書類："+k.Label {
			t.Errorf("document %s: %q, identity says %q", k.Type, got, k.Label)
		}
	}
	for r := prefecture.ReasonResidentRequest; r.Valid(); r++ {
		got := audit.DetailTextIn(audit.Entry{Detail: "revocation requested: " + r.String() + ", serial 1"}, time.UTC)
		if got != "失効申請："+r.Japanese()+"、シリアル 1" {
			t.Errorf("reason %s: %q, prefecture says %q", r, got, r.Japanese())
		}
	}
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return true
		}
	}
	return false
}
