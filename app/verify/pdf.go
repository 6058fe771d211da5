package verify

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/digitorus/pdf"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// byteRangeRE finds every /ByteRange array in the file, in every revision.
var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// contentsRE is what a ByteRange gap must hold: the hex string of
// /Contents and nothing else.
var contentsRE = regexp.MustCompile(`^<([0-9A-Fa-f]*)>$`)

// pdfSignature is one signature dictionary of a PDF.
type pdfSignature struct {
	br  [4]int64
	cms []byte
}

// VerifyPDF checks every signature of a signed PDF. The report is that of
// the last signature (the applicant's), with the ByteRange check added:
// each ByteRange must start at 0 and leave out exactly the hex string of
// its /Contents, the last one must end at the end of the file (bytes
// appended after the signature are refused), and the signature
// dictionaries found by scanning the bytes must be those of the form's
// signature fields. Every earlier signature must verify as well.
func (v *Verifier) VerifyPDF(ctx context.Context, data []byte, form *Form) *Report {
	r := &Report{ReceivedAt: v.opts.Now()}
	sigs, err := pdfSignatures(data)
	r.Signatures = len(sigs)
	if err != nil {
		r.fail(CheckByteRange, err.Error(), err)
		if len(sigs) == 0 {
			r.fail(CheckFormat, "PDF に署名がありません", err)
			v.skipRest(r, form)
			r.finish()
			return r
		}
	}
	// The last signature covers the most; it is the applicant's.
	slices.SortFunc(sigs, func(a, b pdfSignature) int { return int((a.br[2] + a.br[3]) - (b.br[2] + b.br[3])) })
	last := sigs[len(sigs)-1]
	for i, s := range sigs[:len(sigs)-1] {
		sub := &Report{ReceivedAt: r.ReceivedAt}
		v.verifyCMS(ctx, sub, s.cms, signedBytes(data, s.br), nil)
		if c := sub.Check(CheckSignature); c == nil || c.Status != OK {
			err := fmt.Errorf("verify: PDF signature %d of %d does not verify", i+1, len(sigs))
			r.fail(CheckByteRange, fmt.Sprintf("%d 番目の署名が検証できません", i+1), err)
		}
	}
	v.verifyCMS(ctx, r, last.cms, signedBytes(data, last.br), form)
	if r.Check(CheckByteRange) == nil {
		if end := last.br[2] + last.br[3]; end != int64(len(data)) {
			err := fmt.Errorf("verify: the last ByteRange ends at %d of %d bytes", end, len(data))
			r.fail(CheckByteRange, fmt.Sprintf("署名の後に %d バイトが追加されています (署名されていない変更)", int64(len(data))-end), err)
		} else {
			r.ok(CheckByteRange, fmt.Sprintf("署名 %d 件、最後の署名がファイル全体を対象", len(sigs)))
		}
	}
	r.Content = nil
	r.finish()
	return r
}

func signedBytes(data []byte, br [4]int64) []byte {
	out := make([]byte, 0, br[1]+br[3])
	out = append(out, data[br[0]:br[0]+br[1]]...)
	return append(out, data[br[2]:br[2]+br[3]]...)
}

// pdfSignatures finds the signature dictionaries by their ByteRange and
// checks each range's shape. It returns the well-formed ones with an
// error describing the first problem.
func pdfSignatures(data []byte) ([]pdfSignature, error) {
	var sigs []pdfSignature
	var problem error
	for _, m := range byteRangeRE.FindAllSubmatch(data, -1) {
		var br [4]int64
		for i := range br {
			n, err := strconv.ParseInt(string(m[i+1]), 10, 64)
			if err != nil {
				return sigs, errors.New("ByteRange の数値が不正です")
			}
			br[i] = n
		}
		size := int64(len(data))
		if br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || br[3] < 0 || br[2]+br[3] > size {
			if problem == nil {
				problem = fmt.Errorf("ByteRange %v がファイル (%d バイト) に合いません", br, size)
			}
			continue
		}
		gap := contentsRE.FindSubmatch(data[br[1]:br[2]])
		if gap == nil {
			if problem == nil {
				problem = fmt.Errorf("ByteRange %v の除外部分が署名値 (/Contents) だけではありません", br)
			}
			continue
		}
		raw, err := hex.DecodeString(string(gap[1]))
		if err != nil {
			raw = nil
		}
		var elem cryptobyte.String
		in := cryptobyte.String(raw)
		if !in.ReadASN1Element(&elem, cbasn1.SEQUENCE) || len(bytes.Trim(in, "\x00")) != 0 {
			if problem == nil {
				problem = fmt.Errorf("ByteRange %v の署名値が CMS ではありません", br)
			}
			continue
		}
		sigs = append(sigs, pdfSignature{br: br, cms: elem})
	}
	if problem == nil && len(sigs) > 0 {
		if n, err := pdfSignatureFields(data); err != nil {
			problem = fmt.Errorf("PDF を解析できません: %v", err)
		} else if n != len(sigs) {
			problem = fmt.Errorf("署名フィールド %d 件に対し署名辞書が %d 件あります", n, len(sigs))
		}
	}
	if len(sigs) == 0 && problem == nil {
		problem = errors.New("PDF に署名がありません")
	}
	return sigs, problem
}

// pdfSignatureFields counts the signed signature fields of the document's
// AcroForm (the latest revision).
func pdfSignatureFields(data []byte) (n int, err error) {
	defer func() {
		if p := recover(); p != nil { // the PDF reader panics on some malformed input
			err = fmt.Errorf("malformed PDF: %v", p)
		}
	}()
	rd, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, err
	}
	fields := rd.Trailer().Key("Root").Key("AcroForm").Key("Fields")
	var walk func(v pdf.Value, depth int)
	walk = func(v pdf.Value, depth int) {
		if depth > 16 {
			return
		}
		for i := 0; i < v.Len(); i++ {
			f := v.Index(i)
			if f.Key("FT").Name() == "Sig" && f.Key("V").Kind() == pdf.Dict && !f.Key("V").Key("ByteRange").IsNull() {
				n++
			}
			if kids := f.Key("Kids"); kids.Kind() == pdf.Array {
				walk(kids, depth+1)
			}
		}
	}
	walk(fields, 0)
	return n, nil
}
