package refca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"madoguchi/app/prefecture"
)

// VerifierPolicyOID is the certificate policy that marks an access
// certificate as a registered verifier's (失効情報の提供を受ける者). It is
// a UUID arc (ITU-T X.667), so it needs no registration. RA (terminal)
// certificates never carry it, and verifier certificates never carry
// id-kp-cmcRA.
const VerifierPolicyOID = "2.25.129382846648945581929580480985385560648"

var verifierPolicy = func() x509.OID {
	o, err := x509.ParseOID(VerifierPolicyOID)
	if err != nil {
		panic(err)
	}
	return o
}()

// VerifierCategory is why a verifier may receive revocation information:
// an item of art. 17(1) of 電子署名に係る地方公共団体の認証業務に関する法律
// or a federation answering for its members under art. 17(5).
type VerifierCategory string

// Verifier categories.
const (
	CategoryGovernment   VerifierCategory = "government"    // 行政機関等
	CategoryCourt        VerifierCategory = "court"         // 裁判所
	CategoryProcessor    VerifierCategory = "processor"     // 登録を受けた情報処理業者
	CategoryAccreditedCA VerifierCategory = "accredited-ca" // 認定認証事業者
	CategorySpecifiedCA  VerifierCategory = "specified-ca"  // 総務大臣の認定を受けた特定認証業務を行う者
	CategorySchool       VerifierCategory = "school"        // 指定を受けた学校法人
	CategoryZeirishi     VerifierCategory = "zeirishi"      // 日本税理士会連合会 (税理士)
	CategoryShihoshoshi  VerifierCategory = "shihoshoshi"   // 日本司法書士会連合会 (司法書士)
	CategoryGyoseishoshi VerifierCategory = "gyoseishoshi"  // 日本行政書士会連合会 (行政書士)
	CategoryBenrishi     VerifierCategory = "benrishi"      // 日本弁理士会 (弁理士)
	CategoryTochikaoku   VerifierCategory = "tochikaoku"    // 日本土地家屋調査士会連合会 (土地家屋調査士)
	CategorySharoshi     VerifierCategory = "sharoshi"      // 全国社会保険労務士会連合会 (社会保険労務士)
	CategoryNotary       VerifierCategory = "notary"        // 法務省 (公証人)
)

var categoryInfo = map[VerifierCategory]struct {
	ja         string
	federation bool
}{
	CategoryGovernment:   {"行政機関等（第17条第1項第1号）", false},
	CategoryCourt:        {"裁判所（第17条第1項第2号）", false},
	CategoryProcessor:    {"登録を受けた情報処理業者（第17条第1項第3号）", false},
	CategoryAccreditedCA: {"認定認証事業者（第17条第1項第4号）", false},
	CategorySpecifiedCA:  {"特定認証業務の認定を受けた者（第17条第1項第5号）", false},
	CategorySchool:       {"指定を受けた学校法人（第17条第1項第6号）", false},
	CategoryZeirishi:     {"日本税理士会連合会（第17条第5項、税理士）", true},
	CategoryShihoshoshi:  {"日本司法書士会連合会（第17条第5項、司法書士）", true},
	CategoryGyoseishoshi: {"日本行政書士会連合会（第17条第5項、行政書士）", true},
	CategoryBenrishi:     {"日本弁理士会（第17条第5項、弁理士）", true},
	CategoryTochikaoku:   {"日本土地家屋調査士会連合会（第17条第5項、土地家屋調査士）", true},
	CategorySharoshi:     {"全国社会保険労務士会連合会（第17条第5項、社会保険労務士）", true},
	CategoryNotary:       {"法務省（第17条第5項、公証人）", true},
}

// Categories lists every category in a stable order.
func Categories() []VerifierCategory {
	out := make([]VerifierCategory, 0, len(categoryInfo))
	for c := range categoryInfo {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Valid reports whether c is a defined category.
func (c VerifierCategory) Valid() bool { _, ok := categoryInfo[c]; return ok }

// Federation reports whether c answers for members (art. 17(5)).
func (c VerifierCategory) Federation() bool { return categoryInfo[c].federation }

// Japanese returns the category's legal description.
func (c VerifierCategory) Japanese() string { return categoryInfo[c].ja }

// Verifier is a registered recipient of revocation information.
type Verifier struct {
	ID          int64
	Name        string
	Category    VerifierCategory
	Members     []string // for a federation: whom it answers for
	Serial      string   // the access certificate's serial, lowercase hex
	CreatedAt   time.Time
	RemovedAt   time.Time // zero while registered
	RemovedNote string
}

// Active reports whether the verifier may fetch revocation information.
func (v *Verifier) Active() bool { return v.RemovedAt.IsZero() }

// VerifierOptions describe a new verifier.
type VerifierOptions struct {
	Name     string
	Category VerifierCategory
	Members  []string
	// Validity of the access certificate; zero means 2 years.
	Validity time.Duration
}

// AddVerifier registers a verifier (届出) and issues its access
// certificate with a new P-256 key, signed by the access (RA) root:
// subject C=JP, O=<name>, OU=<category>, CN=verifier <id>; extended key
// usage clientAuth only (never id-kp-cmcRA); certificate policy
// VerifierPolicyOID.
func (ca *CA) AddVerifier(ctx context.Context, o VerifierOptions) (*Verifier, *x509.Certificate, *ecdsa.PrivateKey, error) {
	o.Name = strings.TrimSpace(o.Name)
	if o.Name == "" {
		return nil, nil, nil, errors.New("refca: a verifier needs a name")
	}
	if !o.Category.Valid() {
		return nil, nil, nil, fmt.Errorf("refca: unknown verifier category %q (one of %v)", o.Category, Categories())
	}
	var members []string
	for _, m := range o.Members {
		if m = strings.TrimSpace(m); m != "" {
			members = append(members, m)
		}
	}
	if o.Category.Federation() && len(members) == 0 {
		return nil, nil, nil, fmt.Errorf("refca: category %s is a federation (art. 17(5)) and needs the members it answers for", o.Category)
	}
	if !o.Category.Federation() && len(members) > 0 {
		return nil, nil, nil, fmt.Errorf("refca: category %s is not a federation and takes no members", o.Category)
	}
	if members == nil {
		members = []string{}
	}
	raRoot, raKey, err := loadPair(filepath.Join(ca.dir, FileRARootCert), filepath.Join(ca.dir, FileRARootKey))
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	validity := o.Validity
	if validity == 0 {
		validity = 2 * 365 * 24 * time.Hour
	}
	now := ca.now()
	serial := randomSerial()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Country:            []string{"JP"},
			Organization:       []string{o.Name},
			OrganizationalUnit: []string{string(o.Category)},
			CommonName:         "revocation information verifier " + prefecture.FormatSerial(serial),
		},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		Policies:     []x509.OID{verifierPolicy},
		SubjectKeyId: keyID(key.Public()),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, raRoot, key.Public(), raKey)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	mj, _ := json.Marshal(members)
	v := &Verifier{Name: o.Name, Category: o.Category, Members: members, Serial: prefecture.FormatSerial(serial), CreatedAt: now.Truncate(time.Second)}
	err = ca.store.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "INSERT INTO verifiers (name, category, members, cert_serial, cert_der, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			v.Name, string(v.Category), string(mj), v.Serial, der, v.CreatedAt.Unix()).Scan(&v.ID)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	ca.log.Info("verifier registered", "id", v.ID, "category", v.Category, "serial", v.Serial)
	return v, cert, key, nil
}

const verifierColumns = "id, name, category, members, cert_serial, created_at, removed_at, removed_note"

func scanVerifier(row scanner) (*Verifier, error) {
	var v Verifier
	var cat, members string
	var created int64
	var removed sql.NullInt64
	var note sql.NullString
	if err := row.Scan(&v.ID, &v.Name, &cat, &members, &v.Serial, &created, &removed, &note); err != nil {
		return nil, err
	}
	v.Category = VerifierCategory(cat)
	if err := json.Unmarshal([]byte(members), &v.Members); err != nil {
		return nil, fmt.Errorf("refca: verifier %d members: %w", v.ID, err)
	}
	v.CreatedAt = time.Unix(created, 0).UTC()
	if removed.Valid {
		v.RemovedAt = time.Unix(removed.Int64, 0).UTC()
		v.RemovedNote = note.String
	}
	return &v, nil
}

// Verifiers lists every verifier ever registered, removed ones included.
func (ca *CA) Verifiers(ctx context.Context) ([]*Verifier, error) {
	rows, err := ca.store.db.QueryContext(ctx, "SELECT "+verifierColumns+" FROM verifiers ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Verifier
	for rows.Next() {
		v, err := scanVerifier(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// verifierBySerial returns the verifier holding the access certificate
// with the given serial, or nil.
func (ca *CA) verifierBySerial(ctx context.Context, serial string) (*Verifier, error) {
	st, err := ca.store.prepared(ctx, "SELECT "+verifierColumns+" FROM verifiers WHERE cert_serial = ?")
	if err != nil {
		return nil, err
	}
	v, err := scanVerifier(st.QueryRowContext(ctx, serial))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

// verifierAccessBySerial is verifierBySerial with only what an access
// check needs (id, name, removal), for the hot path.
func (ca *CA) verifierAccessBySerial(ctx context.Context, serial string) (*Verifier, error) {
	st, err := ca.store.prepared(ctx, "SELECT id, name, removed_at FROM verifiers WHERE cert_serial = ?")
	if err != nil {
		return nil, err
	}
	var v Verifier
	var removed sql.NullInt64
	err = st.QueryRowContext(ctx, serial).Scan(&v.ID, &v.Name, &removed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if removed.Valid {
		v.RemovedAt = time.Unix(removed.Int64, 0).UTC()
	}
	return &v, nil
}

// ErrUnknownVerifier is returned by RemoveVerifier for an unknown id.
var ErrUnknownVerifier = errors.New("refca: no such verifier")

// RemoveVerifier ends a verifier's registration: its access certificate is
// refused from the next request on, in every process sharing the store.
func (ca *CA) RemoveVerifier(ctx context.Context, id int64, note string) error {
	err := ca.store.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE verifiers SET removed_at = ?, removed_note = ? WHERE id = ? AND removed_at IS NULL",
			ca.now().Unix(), note, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrUnknownVerifier
		}
		return nil
	})
	if err == nil {
		ca.log.Info("verifier removed", "id", id)
	}
	return err
}

// isVerifierCert reports whether cert carries VerifierPolicyOID.
func isVerifierCert(cert *x509.Certificate) bool {
	for _, p := range cert.Policies {
		if p.Equal(verifierPolicy) {
			return true
		}
	}
	return false
}
