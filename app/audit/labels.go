package audit

import (
	"regexp"
	"strings"
	"time"

	"madoguchi/app/store"
)

// Actions recorded elsewhere are named by their strings below, not by
// constants, so that packages adding them keep their own constants.
const (
	sessionActionPrefix  = "session."
	defaultLabelLocation = "Asia/Tokyo"
)

// actionLabels names every action in Japanese. session.<state> actions
// take their state's name from stateLabels.
var actionLabels = map[string]string{
	ActionSignIn:                  "サインイン",
	ActionSignInFailed:            "サインイン失敗",
	ActionLockedOut:               "アカウントのロック",
	ActionSignOut:                 "サインアウト",
	ActionStaffCreated:            "職員アカウントの作成",
	ActionPasswordSet:             "パスワードの設定",
	ActionStaffUnlocked:           "ロックの解除",
	ActionStaffDisabled:           "アカウントの無効化",
	"staff.enabled":               "アカウントの有効化",
	"staff.reset":                 "パスワードの初期化",
	ActionRegistryImport:          "住民基本台帳の取込",
	"registry.search":             "住民の検索",
	"registry.view":               "住民記録の閲覧",
	ActionSessionStep:             "手続の進行",
	ActionAuditVerified:           "監査証跡の検証",
	"audit.verify_failed":         "監査証跡の検証で異常を検出",
	"session.refused":             "申請の受付不可",
	"session.card_refused":        "カード使用不可（暗証番号初期化）",
	"session.ineligible":          "受付不可（資格なし）",
	"card.refused":                "カード使用不可",
	"session.abandon_confirmed":   "中止（証明書の失効を確認）",
	"session.identity_refused":    "本人確認不可",
	"session.card_prepared_again": "カードの再準備",
	"records.revoked_at_ca":       "都道府県CAでの失効の反映",
	"notice.queued":               "通知の登録",
	"notice.sent":                 "通知の送信",
	"notice.failed":               "通知の送信失敗",
}

// stateLabels are the session states' Japanese names, as session.State's
// Label gives them (audit cannot import session; a test compares them).
var stateLabels = map[string]string{
	"received":      "申請受付",
	"identified":    "本人確認",
	"card_ready":    "カード準備",
	"key_generated": "鍵生成",
	"requesting":    "発行申請中",
	"issued":        "発行申請",
	"written":       "書込",
	"delivered":     "交付",
	"revoking":      "失効申請中",
	"revoked":       "失効",
	"pin_reset":     "暗証番号初期化",
	"abandoned":     "中止",
	"failed":        "失敗",
}

// ActionLabel names an action in Japanese (e.g. サインイン for
// staff.sign_in, 交付 for session.delivered). An action without a label is
// returned as it is.
func ActionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	if st, ok := strings.CutPrefix(action, sessionActionPrefix); ok {
		if l, ok := stateLabels[st]; ok {
			return l
		}
	}
	return action
}

// documentLabels are the identity document types' Japanese names, as
// identity.Kinds gives them (identity imports audit; a test compares them).
var documentLabels = map[string]string{
	"mynumber_card":     "マイナンバーカード",
	"drivers_license":   "運転免許証",
	"passport":          "旅券（パスポート）",
	"residence_card":    "在留カード",
	"special_permanent": "特別永住者証明書",
	"juki_card_photo":   "写真付き住民基本台帳カード",
	"disability_book":   "身体障害者手帳（写真付き）",
	"health_insurance":  "健康保険の資格確認書・被保険者証",
	"pension_book":      "年金手帳・基礎年金番号通知書",
	"pension_cert":      "年金証書",
	"medical_aid":       "医療受給者証",
	"other_photo":       "その他の官公署発行の写真付き証明書",
	"other_no_photo":    "その他の写真のない書類",
}

// reasonLabels are the revocation reasons' Japanese names, as
// prefecture.Reason's Japanese gives them.
var reasonLabels = map[string]string{
	"resident-request": "本人の申請",
	"key-compromise":   "紛失・盗難等による鍵の危殆化",
	"address-change":   "住所変更",
	"name-change":      "氏名変更",
	"death":            "死亡",
	"superseded":       "新たな証明書の発行",
	"moved-out":        "転出",
	"erased":           "住民票の消除",
}

var roleLabels = map[string]string{"clerk": "窓口職員", "supervisor": "監督者"}

var searchFieldLabels = map[string]string{"code": "住民コード", "kana": "かな", "birth": "生年月日", "name": "氏名"}

// lookup returns m[k], or k when m has no entry.
func lookup(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

// detailRule rewrites one English detail written by the counter into
// Japanese: pattern matches the whole text (or one "; "-separated part of
// it), and write builds the Japanese from the submatches.
type detailRule struct {
	pattern *regexp.Regexp
	write   func(m []string, loc *time.Location) string
}

func rule(pattern string, write func(m []string, loc *time.Location) string) detailRule {
	return detailRule{regexp.MustCompile("^(?:" + pattern + ")$"), write}
}

func fixed(ja string) func([]string, *time.Location) string {
	return func([]string, *time.Location) string { return ja }
}

// documents writes "drivers_license ****1234, passport" in Japanese.
func documents(list string) string {
	var out []string
	for _, d := range strings.Split(list, ", ") {
		typ, number, _ := strings.Cut(strings.TrimSpace(d), " ")
		l := lookup(documentLabels, typ)
		if number != "" {
			l += "（番号末尾 " + number + "）"
		}
		out = append(out, l)
	}
	return strings.Join(out, "、")
}

var detailRules = []detailRule{
	rule(`application received: (.+)`, func(m []string, _ *time.Location) string { return "申請受付：" + m[1] }),
	rule(`application corrected`, fixed("申請内容の訂正")),
	rule(`identity checked: (.*)`, func(m []string, _ *time.Location) string { return "本人確認書類：" + documents(m[1]) }),
	rule(`(\d+) valid certificate\(s\) to be revoked`, func(m []string, _ *time.Location) string {
		return "有効な証明書 " + m[1] + " 件を交付時に失効"
	}),
	rule(`card prepared: (.+)`, func(m []string, _ *time.Location) string { return "カード準備：カード " + m[1] }),
	rule(`card prepared again on a new connection: (.+) is now (.+)`, func(m []string, _ *time.Location) string {
		return "接続し直したカードを再準備：カード " + m[1] + " → " + m[2]
	}),
	rule(`PIN set, key pair generated, request signed on the card`, fixed("暗証番号の設定、鍵ペアの生成、カード上で発行申請に署名")),
	rule(`request sent to the prefecture CA`, fixed("都道府県CAへ発行申請を送信")),
	rule(`certificate issued: serial (\S+)`, func(m []string, _ *time.Location) string { return "証明書の発行：シリアル " + m[1] }),
	rule(`certificate written, read back and card finished: serial (\S+)`, func(m []string, _ *time.Location) string {
		return "証明書をカードに書込み、読み戻して確認：シリアル " + m[1]
	}),
	rule(`handed over: serial (\S+)`, func(m []string, _ *time.Location) string { return "交付：シリアル " + m[1] }),
	rule(`previous certificate (\S+) revoked \((.+)\)`, func(m []string, _ *time.Location) string {
		return "以前の証明書 " + m[1] + " を失効（" + lookup(reasonLabels, m[2]) + "）"
	}),
	rule(`revocation requested: (\S+), serial (\S+)`, func(m []string, _ *time.Location) string {
		return "失効申請：" + lookup(reasonLabels, m[1]) + "、シリアル " + m[2]
	}),
	rule(`certificate revoked: serial (\S+) \(already revoked: (.+)\)`, func(m []string, _ *time.Location) string {
		return "証明書の失効：シリアル " + m[1] + "（既に失効済み：" + lookup(reasonLabels, m[2]) + "）"
	}),
	rule(`certificate revoked: serial (\S+)`, func(m []string, _ *time.Location) string { return "証明書の失効：シリアル " + m[1] }),
	rule(`certificate (\S+) revoked at the CA \((.+)\)`, func(m []string, _ *time.Location) string {
		return "証明書 " + m[1] + " が都道府県CAで失効（" + lookup(reasonLabels, m[2]) + "）"
	}),
	rule(`certificate (\S+) revoked`, func(m []string, _ *time.Location) string { return "証明書 " + m[1] + " を失効" }),
	rule(`PIN reset on the card holding serial (\S+)`, func(m []string, _ *time.Location) string {
		return "暗証番号初期化：シリアル " + m[1] + " のカード"
	}),
	rule(`role=(\w+)`, func(m []string, _ *time.Location) string { return "役割：" + lookup(roleLabels, m[1]) }),
	rule(`unknown account`, fixed("登録のない職員ID")),
	rule(`locked`, fixed("ロック中のアカウント")),
	rule(`disabled`, fixed("無効化されたアカウント")),
	rule(`disabled=true`, fixed("無効化")),
	rule(`disabled=false`, fixed("有効化")),
	rule(`wrong password \((\d+) in a row\)`, func(m []string, _ *time.Location) string { return "パスワード誤り（連続 " + m[1] + " 回）" }),
	rule(`until (\S+)`, func(m []string, loc *time.Location) string {
		t, err := store.ParseTime(m[1])
		if err != nil {
			return m[1] + " まで"
		}
		return t.In(loc).Format("2006/01/02 15:04") + " まで"
	}),
	rule(`by ([a-z+]+): (\d+) shown`, func(m []string, _ *time.Location) string {
		var fields []string
		for _, f := range strings.Split(m[1], "+") {
			fields = append(fields, lookup(searchFieldLabels, f))
		}
		return "検索条件：" + strings.Join(fields, "・") + "、表示 " + m[2] + " 件"
	}),
	rule(`(\d+) rows: (\d+) inserted, (\d+) updated`, func(m []string, _ *time.Location) string {
		return m[1] + " 行：新規 " + m[2] + " 件、更新 " + m[3] + " 件"
	}),
	rule(`rejected: (\d+) problems in (\d+) rows`, func(m []string, _ *time.Location) string {
		return "取込を拒否：" + m[2] + " 行中 " + m[1] + " か所の問題"
	}),
	rule(`nothing written`, fixed("何も書き込んでいません")),
	rule(`sha256 ([0-9a-f]+)`, func(m []string, _ *time.Location) string { return "SHA-256 " + m[1] }),
	rule(`demo registry: (\d+) residents, seed (\d+)`, func(m []string, _ *time.Location) string {
		return "デモ住民データ：" + m[1] + " 人（シード " + m[2] + "）"
	}),
	rule(`intact up to row (\d+)`, func(m []string, _ *time.Location) string { return m[1] + " 行目まで改ざん・欠落なし" }),
	rule(`(UTF-8|Shift_JIS|CP932|EUC-JP|utf-8|shift_jis)`, func(m []string, _ *time.Location) string { return "文字コード " + m[1] }),
}

// DetailText is an entry's detail in Japanese, with times in the
// municipality's default zone (DetailTextIn with Asia/Tokyo).
func DetailText(e Entry) string {
	loc, err := time.LoadLocation(defaultLabelLocation)
	if err != nil {
		loc = time.FixedZone("JST", 9*3600)
	}
	return DetailTextIn(e, loc)
}

// DetailTextIn is an entry's detail in Japanese, with times shown in loc.
// The details the counter writes in English (session steps, sign-ins,
// imports) are rewritten part by part ("; " separates parts); a part no
// rule knows (a clerk's own words, a message already in Japanese) is kept
// as written.
func DetailTextIn(e Entry, loc *time.Location) string {
	if e.Detail == "" {
		return ""
	}
	parts := strings.Split(e.Detail, "; ")
	for i, p := range parts {
		for _, r := range detailRules {
			if m := r.pattern.FindStringSubmatch(p); m != nil {
				parts[i] = r.write(m, loc)
				break
			}
		}
	}
	return strings.Join(parts, "；")
}
