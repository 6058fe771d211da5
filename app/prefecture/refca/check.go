package refca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"madoguchi/app/prefecture"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
)

// refusal is a request the CA declines. It implements est.Error, so the
// EST router answers with its status and text; the RA endpoints write it
// the same way.
type refusal struct {
	status int
	prefecture.Refusal
}

func refuse(status int, code, en, ja string) *refusal {
	return &refusal{status: status, Refusal: prefecture.Refusal{Code: code, Reason: en, ReasonJA: ja}}
}

// StatusCode implements est.Error.
func (r *refusal) StatusCode() int { return r.status }

// RetryAfter implements est.Error.
func (r *refusal) RetryAfter() int { return 0 }

// Error implements est.Error: the text the client receives.
func (r *refusal) Error() string { return r.Refusal.String() }

// write answers an RA request with the refusal, as globalsign/est does.
func (r *refusal) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(r.status)
	fmt.Fprintf(w, "%d %s\n", r.status, r.Error())
}

// checkedRequest is a request that passed every check.
type checkedRequest struct {
	csr   *x509.CertificateRequest
	items jpkicert.Items
	birth forms.Date
}

// checkRequest applies the CA's rules to a certificate request: proof of
// possession, key type and size, signature algorithm, and the six
// subjectAltName items (shape, character set, era-coded birth date, sex
// code, position strings). It returns the first rule broken as a refusal
// whose text says what was wrong.
func checkRequest(csr *x509.CertificateRequest, allowP256 bool, now time.Time) (*checkedRequest, *refusal) {
	if err := csr.CheckSignature(); err != nil {
		return nil, refuse(http.StatusBadRequest, prefecture.RefusalBadSignature,
			"the request's signature does not verify with its public key (no proof of possession)",
			"申請データの署名を公開鍵で検証できません（カード内の鍵で署名されていません）")
	}
	switch pub := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() != 2048 || pub.E != 65537 {
			return nil, refuse(http.StatusBadRequest, prefecture.RefusalBadKey,
				fmt.Sprintf("RSA key of %d bits with exponent %d; the CA certifies RSA-2048 keys with exponent 65537", pub.N.BitLen(), pub.E),
				"鍵の種類が違います（RSA 2048ビットの鍵が必要です）")
		}
		if csr.SignatureAlgorithm != x509.SHA256WithRSA && csr.SignatureAlgorithm != x509.SHA256WithRSAPSS {
			return nil, refuse(http.StatusBadRequest, prefecture.RefusalBadAlgorithm,
				fmt.Sprintf("request signed with %v; SHA-256 is required", csr.SignatureAlgorithm),
				"申請データの署名方式が違います（SHA-256 が必要です）")
		}
	case *ecdsa.PublicKey:
		if !allowP256 || pub.Curve != elliptic.P256() {
			return nil, refuse(http.StatusBadRequest, prefecture.RefusalBadKey,
				fmt.Sprintf("ECDSA key on %s; the CA certifies RSA-2048 keys%s", pub.Curve.Params().Name, map[bool]string{true: " and P-256 keys", false: ""}[allowP256]),
				"鍵の種類が違います（RSA 2048ビットの鍵が必要です）")
		}
		if csr.SignatureAlgorithm != x509.ECDSAWithSHA256 {
			return nil, refuse(http.StatusBadRequest, prefecture.RefusalBadAlgorithm,
				fmt.Sprintf("request signed with %v; ECDSA with SHA-256 is required", csr.SignatureAlgorithm),
				"申請データの署名方式が違います（SHA-256 が必要です）")
		}
	default:
		return nil, refuse(http.StatusBadRequest, prefecture.RefusalBadKey,
			fmt.Sprintf("unsupported public key type %T; the CA certifies RSA-2048 keys", pub),
			"鍵の種類が違います（RSA 2048ビットの鍵が必要です）")
	}

	items, err := jpkicert.FromExtensions(csr.Extensions)
	if err != nil {
		return nil, itemsRefusal(err)
	}
	if ref := charsetRefusal("name", "氏名", items.Name); ref != nil {
		return nil, ref
	}
	if ref := charsetRefusal("address", "住所", items.Address); ref != nil {
		return nil, ref
	}
	birth, err := forms.ParseCertificateCode(items.Birth)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, prefecture.RefusalBadBirth,
			fmt.Sprintf("birth code %q is not an era digit and a date of that era (%v)", items.Birth, err),
			fmt.Sprintf("生年月日のコード「%s」が正しくありません（元号と日付が合っていません）", items.Birth))
	}
	if birth.Time().After(now) {
		return nil, refuse(http.StatusBadRequest, prefecture.RefusalBadBirth,
			fmt.Sprintf("birth date %s is in the future", birth),
			"生年月日が未来の日付です")
	}
	return &checkedRequest{csr: csr, items: items, birth: birth}, nil
}

// itemsRefusal explains a subjectAltName that jpkicert could not accept.
// The first problem decides the code: wrong position strings get their own.
func itemsRefusal(err error) *refusal {
	msg := err.Error()
	first, _, _ := strings.Cut(msg, "\n")
	switch {
	case strings.Contains(first, "positions"):
		return refuse(http.StatusBadRequest, prefecture.RefusalBadPositions,
			"subjectAltName: "+strings.ReplaceAll(msg, "\n", "; "),
			"代替文字の使用位置が氏名または住所の文字数と合っていません")
	case strings.Contains(first, "sex code"):
		return refuse(http.StatusBadRequest, prefecture.RefusalBadItems,
			"subjectAltName: "+strings.ReplaceAll(msg, "\n", "; "),
			"性別のコードが正しくありません（1: 男、2: 女、3: 不明）")
	case strings.Contains(first, "birth code"):
		return refuse(http.StatusBadRequest, prefecture.RefusalBadBirth,
			"subjectAltName: "+strings.ReplaceAll(msg, "\n", "; "),
			"生年月日のコードが正しくありません（元号の数字と年月日8桁が必要です）")
	case strings.Contains(first, "address has"):
		return refuse(http.StatusBadRequest, prefecture.RefusalBadItems,
			"subjectAltName: "+strings.ReplaceAll(msg, "\n", "; "),
			fmt.Sprintf("住所が%d文字を超えています", jpkicert.MaxAddressLength))
	default:
		return refuse(http.StatusBadRequest, prefecture.RefusalBadItems,
			"subjectAltName: "+strings.ReplaceAll(msg, "\n", "; "),
			"申請データに基本4情報（氏名・生年月日・性別・住所）が正しく記録されていません")
	}
}

// charsetRefusal refuses text holding characters the certificate cannot
// carry, naming each by position (1-based) and code point.
func charsetRefusal(field, fieldJA, text string) *refusal {
	err := forms.CheckCharset(text)
	if err == nil {
		return nil
	}
	var ce *forms.CharsetError
	if !errors.As(err, &ce) || len(ce.Problems) == 0 {
		return refuse(http.StatusBadRequest, prefecture.RefusalCharset,
			fmt.Sprintf("%s: %v", field, err), fieldJA+"に証明書に記録できない文字があります")
	}
	var en, ja []string
	for _, p := range ce.Problems {
		var cps []string
		for _, r := range p.Char {
			cps = append(cps, fmt.Sprintf("U+%04X", r))
		}
		en = append(en, fmt.Sprintf("%q (%s) at character %d", p.Char, strings.Join(cps, " "), p.Index+1))
		ja = append(ja, fmt.Sprintf("%d文字目「%s」", p.Index+1, p.Char))
	}
	return refuse(http.StatusBadRequest, prefecture.RefusalCharset,
		fmt.Sprintf("%s holds characters outside JIS X 0208 and JIS X 0212: %s", field, strings.Join(en, ", ")),
		fmt.Sprintf("%sの%sは証明書に記録できない文字です。代替文字を指定してください", fieldJA, strings.Join(ja, "、")))
}
