package verify

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// MaxRequest bounds the body of a verification request.
const MaxRequest = 20 << 20

// Request is a signed application sent to the verification API: a CMS
// signature over the form (the exact bytes signed, given either as the
// raw JSON object "form" or as "form_base64"), or a signed PDF with an
// optional form to compare.
type Request struct {
	Form       json.RawMessage `json:"form,omitempty"`
	FormBase64 string          `json:"form_base64,omitempty"`
	CMS        string          `json:"cms,omitempty"` // base64 DER
	PDF        string          `json:"pdf,omitempty"` // base64
}

// errorBody is the answer to a request that cannot be verified at all.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Handler serves POST /v1/verify: it takes a Request (or a bare signed
// PDF sent as application/pdf) and answers the
// Report as JSON (200 whether the signature is valid or not; "ok" says
// which), or 400/413 with an error body when the request itself is
// unusable.
func Handler(v *Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/verify", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequest))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{err.Error(), "申請データが大きすぎます"})
				return
			}
			writeJSON(w, http.StatusBadRequest, errorBody{err.Error(), "申請データを読み取れません"})
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/pdf" {
			writeJSON(w, http.StatusOK, v.VerifyPDF(r.Context(), body, nil))
			return
		}
		var req Request
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{err.Error(), "申請データが JSON ではありません"})
			return
		}
		report, status, eb := v.serve(r, req)
		if eb != nil {
			writeJSON(w, status, eb)
			return
		}
		writeJSON(w, http.StatusOK, report)
	})
	return mux
}

func (v *Verifier) serve(r *http.Request, req Request) (*Report, int, *errorBody) {
	doc := []byte(req.Form)
	if req.FormBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(req.FormBase64)
		if err != nil {
			return nil, http.StatusBadRequest, &errorBody{err.Error(), "form_base64 が不正です"}
		}
		doc = b
	}
	var form *Form
	if len(doc) > 0 {
		f, err := ParseForm(doc)
		if err != nil {
			return nil, http.StatusBadRequest, &errorBody{err.Error(), "申請書 (form) に氏名・住所・生年月日・性別がありません"}
		}
		form = f
	}
	switch {
	case req.CMS != "" && req.PDF == "":
		der, err := base64.StdEncoding.DecodeString(req.CMS)
		if err != nil {
			return nil, http.StatusBadRequest, &errorBody{err.Error(), "cms が base64 ではありません"}
		}
		if doc == nil {
			return nil, http.StatusBadRequest, &errorBody{"verify: no form", "署名された申請書 (form) がありません"}
		}
		return v.VerifyCMS(r.Context(), der, doc, form), 0, nil
	case req.PDF != "" && req.CMS == "":
		data, err := base64.StdEncoding.DecodeString(req.PDF)
		if err != nil {
			return nil, http.StatusBadRequest, &errorBody{err.Error(), "pdf が base64 ではありません"}
		}
		return v.VerifyPDF(r.Context(), data, form), 0, nil
	}
	return nil, http.StatusBadRequest, &errorBody{"verify: give exactly one of cms and pdf", "cms か pdf のどちらか一方を送ってください"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}
