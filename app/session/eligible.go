package session

import (
	"context"
	"fmt"
	"time"

	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/forms"
)

// jst is the zone in which a resident's age is counted.
var jst = time.FixedZone("JST", 9*60*60)

// DefaultMinAge is the age from which a resident may hold a signing
// certificate (署名用電子証明書 is not issued to residents under 15).
const DefaultMinAge = 15

// IneligibleError says why a resident may not apply for a procedure. It
// is returned before any session is recorded.
type IneligibleError struct {
	Code    string                // 住民コード
	Kind    forms.ApplicationKind // the procedure asked for
	Reason  string                // English, for logs
	Message string                // Japanese, for the clerk and the audit trail
}

func (e *IneligibleError) Error() string {
	return fmt.Sprintf("session: resident %s may not apply for %s: %s", e.Code, e.Kind, e.Reason)
}

// UserMessage says why in Japanese.
func (e *IneligibleError) UserMessage() string { return e.Message }

// Age is the age in full years on day on of someone born on birth: the
// years whose anniversary has come by on. An anniversary on 29 February
// falls on 1 March in a common year.
func Age(birth, on forms.Date) int {
	if !birth.Valid() || !on.Valid() || on.Before(birth) {
		return 0
	}
	years := on.Year - birth.Year
	if forms.DateOf(birth.Time().AddDate(years, 0, 0)).Compare(on) > 0 {
		years--
	}
	return years
}

func (m *Manager) minAge() int {
	if m.MinAge > 0 {
		return m.MinAge
	}
	return DefaultMinAge
}

// Eligible checks, before any session is recorded, that the resident may
// apply for kind on the application date on (in JST, as on the form;
// zero means today by the Manager's clock): a
// current resident (not 転出, 死亡, 消除); for the signing certificate
// (新規発行, 更新) of age (MinAge, default 15) and not 成年被後見人 where the
// registry says so; for 更新, 失効 and 暗証番号初期化 holding a valid
// certificate issued here. A refusal is an *IneligibleError.
func (m *Manager) Eligible(ctx context.Context, code string, kind forms.ApplicationKind, on forms.Date) error {
	r, err := m.reg.Get(ctx, code)
	if err != nil {
		return err
	}
	refuse := func(reason, msg string) error {
		return &IneligibleError{Code: r.Code, Kind: kind, Reason: reason, Message: msg}
	}
	if r.Status != registry.StatusResident {
		return refuse("registry status "+r.Status.Label(),
			fmt.Sprintf("この方は住民基本台帳上「%s」のため、%sの手続はできません。", r.Status.Label(), kind))
	}
	if kind.IssuesCertificate() {
		if on.IsZero() {
			on = forms.DateOf(m.now().In(jst))
		}
		if age, min := Age(r.Birth, on), m.minAge(); age < min {
			return refuse(fmt.Sprintf("aged %d, under %d", age, min),
				fmt.Sprintf("この方は申請日（%s）に%d歳で、%d歳未満のため署名用電子証明書は発行できません。", on.Wareki(), age, min))
		}
		if r.AdultWard {
			return refuse("adult ward (成年被後見人)",
				"この方は住民基本台帳上「成年被後見人」のため、署名用電子証明書は発行できません。")
		}
	}
	if kind == forms.KindNew {
		return nil
	}
	valid, err := records.ValidFor(ctx, m.db, r.Code, m.now())
	if err != nil {
		return err
	}
	if len(valid) == 0 {
		return refuse("no valid certificate issued here",
			fmt.Sprintf("この方には当窓口で発行した有効な署名用電子証明書がないため、%sの手続はできません。", kind))
	}
	return nil
}
