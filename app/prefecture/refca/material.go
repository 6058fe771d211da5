package refca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"madoguchi/app/privfile"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	appstore "madoguchi/app/store"
)

// Files in a CA directory. Private keys are PKCS#8 PEM files readable by
// the owner only.
const (
	FileSettings     = "refca.toml"   // Settings
	FileDatabase     = "refca.db"     // the issued-certificate store
	FileCACert       = "ca.pem"       // the prefecture CA's root: pin this in the app
	FileCAKey        = "ca.key"       //
	FileRARootCert   = "ra-root.pem"  // the root of terminal (RA) certificates
	FileRARootKey    = "ra-root.key"  //
	FileServerCert   = "server.pem"   // the CA's TLS server certificate, issued by the CA root
	FileServerKey    = "server.key"   //
	FileTerminalCert = "terminal.pem" // the first terminal's RA certificate
	FileTerminalKey  = "terminal.key" //
)

// OIDCMCRA is the extended key usage id-kp-cmcRA (RFC 6402), which every
// terminal (RA) certificate must carry.
var OIDCMCRA = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 28}

// DefaultPolicyOID is the certificate policy written into issued
// certificates unless Settings.PolicyOID says otherwise: the policy OID
// seen in JPKI signing certificates. Set your prefecture's own.
const DefaultPolicyOID = "1.2.392.200149.8.5.1.1.10"

// Validity rules for Settings.Validity.
const (
	ValidityFifthBirthday = "5th-birthday" // until the 5th birthday after issue (today's rule)
	ValidityThreeYears    = "3y"           // three years, as the 2006 service issued
)

// Settings are the CA's persistent settings, kept in refca.toml.
type Settings struct {
	// Prefecture is written as the first L= of issued certificates; terminal
	// certificates must name the same prefecture.
	Prefecture string `toml:"prefecture"`
	// URL is the CA's public base URL ("https://host:port"), used for the
	// CRL distribution points. Empty means the address it listens on.
	URL string `toml:"url"`
	// Listen is the address the standalone server listens on by default.
	Listen string `toml:"listen"`
	// Validity is ValidityFifthBirthday or ValidityThreeYears.
	Validity string `toml:"validity"`
	// PolicyOID is the certificate policy of issued certificates.
	PolicyOID string `toml:"policy_oid"`
	// AllowP256 also accepts P-256 keys besides RSA-2048.
	AllowP256 bool `toml:"allow_p256"`
	// CRLLifetime is the distance from thisUpdate to nextUpdate, e.g. "24h".
	CRLLifetime string `toml:"crl_lifetime"`
	// RevocationURL is the stable base ("http://host", no path) written
	// into certificates' CRL distribution points (RevocationURL +
	// "/crl/<code>/<shard>.crl"), freshest-CRL pointers and OCSP access
	// locations. The same paths are served to registered verifiers over
	// mutual TLS. Empty means "http://" + the host of URL, or
	// http://127.0.0.1.
	RevocationURL string `toml:"revocation_url,omitempty"`
	// CRLShards is the number of serial shards a municipality's CRL is
	// split into, fixed when the municipality first has a certificate
	// issued. Zero means DefaultCRLShards.
	CRLShards int `toml:"crl_shards,omitempty"`
	// DatabaseURL, when set (postgres://…), keeps the CA's store in that
	// PostgreSQL database instead of the directory's SQLite file, so that
	// several CA processes share it. Its search_path may name a schema.
	DatabaseURL string `toml:"database_url,omitempty"`
}

// SetupOptions describe a new CA directory.
type SetupOptions struct {
	Prefecture       string   // e.g. 東京都
	Municipality     string   // the first terminal's municipality, e.g. 千代田区
	MunicipalityCode string   // its local-government code, e.g. 131016
	Terminal         string   // the first terminal's name, e.g. madoguchi-01
	Hosts            []string // extra names or IPs for the TLS certificate (127.0.0.1, ::1 and localhost are always in)
	URL              string   // Settings.URL
	Listen           string   // Settings.Listen; default 127.0.0.1:8443
	Validity         string   // Settings.Validity; default ValidityFifthBirthday
	AllowP256        bool     // Settings.AllowP256
	RevocationURL    string   // Settings.RevocationURL
	CRLShards        int      // Settings.CRLShards
	DatabaseURL      string   // Settings.DatabaseURL; default the directory's SQLite file
}

// ErrExists is returned by Setup when dir already holds a CA.
var ErrExists = errors.New("refca: the directory already holds a CA")

// Exists reports whether dir holds a CA created by Setup.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, FileCACert))
	return err == nil
}

// Setup creates a CA in dir (created if needed): the CA root (RSA-2048),
// the RA root, the TLS server certificate, one terminal's RA certificate,
// and the settings file. It refuses a directory that already holds a CA.
func Setup(dir string, o SetupOptions) error {
	if Exists(dir) {
		return ErrExists
	}
	if o.Prefecture == "" || o.Municipality == "" || o.MunicipalityCode == "" || o.Terminal == "" {
		return errors.New("refca: setup needs the prefecture, the municipality, its code and a terminal name")
	}
	if !validCode(o.MunicipalityCode) {
		return fmt.Errorf("refca: municipality code %q is not 1-16 ASCII letters or digits", o.MunicipalityCode)
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:8443"
	}
	if o.Validity == "" {
		o.Validity = ValidityFifthBirthday
	}
	s := Settings{
		Prefecture:    o.Prefecture,
		URL:           o.URL,
		Listen:        o.Listen,
		Validity:      o.Validity,
		PolicyOID:     DefaultPolicyOID,
		AllowP256:     o.AllowP256,
		CRLLifetime:   "24h",
		RevocationURL: o.RevocationURL,
		CRLShards:     o.CRLShards,
		DatabaseURL:   o.DatabaseURL,
	}
	if err := s.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	now := time.Now()

	// The CA root: signs residents' certificates, CRLs and the TLS server
	// certificate.
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	caCert, err := selfSign(rootTemplate(o.Prefecture, "JPKI signing CA (reference)", now), caKey)
	if err != nil {
		return err
	}

	// The RA root: signs terminal certificates.
	raKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	raCert, err := selfSign(rootTemplate(o.Prefecture, "Terminal (RA) root (reference)", now), raKey)
	if err != nil {
		return err
	}

	// The TLS server certificate.
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{Country: []string{"JP"}, CommonName: "reference prefecture CA server"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		SubjectKeyId: keyID(srvKey.Public()),
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			srvTmpl.IPAddresses = append(srvTmpl.IPAddresses, ip)
		} else if h != "" {
			srvTmpl.DNSNames = append(srvTmpl.DNSNames, h)
		}
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, srvKey.Public(), caKey)
	if err != nil {
		return err
	}

	termCert, termKey, err := NewTerminal(raCert, raKey, TerminalOptions{
		Prefecture:       o.Prefecture,
		Municipality:     o.Municipality,
		MunicipalityCode: o.MunicipalityCode,
		Terminal:         o.Terminal,
	})
	if err != nil {
		return err
	}

	files := []struct {
		name string
		data []byte
		key  bool
	}{
		{FileCAKey, mustPKCS8(caKey), true},
		{FileRARootKey, mustPKCS8(raKey), true},
		{FileServerKey, mustPKCS8(srvKey), true},
		{FileTerminalKey, mustPKCS8(termKey), true},
		{FileRARootCert, certPEM(raCert.Raw), false},
		{FileServerCert, certPEM(srvDER), false},
		{FileTerminalCert, certPEM(termCert.Raw), false},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.data, f.key); err != nil {
			return err
		}
	}
	if err := saveSettings(dir, s); err != nil {
		return err
	}
	// The CA certificate last: its presence marks a complete directory.
	return writeFile(filepath.Join(dir, FileCACert), certPEM(caCert.Raw), false)
}

// TerminalOptions describe a terminal (RA) certificate.
type TerminalOptions struct {
	Prefecture       string
	Municipality     string
	MunicipalityCode string
	Terminal         string
	// Validity is how long the certificate is valid; zero means 5 years.
	Validity time.Duration
	// OmitCMCRA leaves id-kp-cmcRA out (for tests of the CA's refusal).
	OmitCMCRA bool
}

// NewTerminal issues a terminal's RA certificate with a new P-256 key,
// signed by the RA root. The subject is C=JP, L=<prefecture>,
// L=<municipality>, OU=<municipality code>, CN=<terminal>; the extended key
// usages are clientAuth and id-kp-cmcRA.
func NewTerminal(raRoot *x509.Certificate, raKey crypto.Signer, o TerminalOptions) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	if !validCode(o.MunicipalityCode) {
		return nil, nil, fmt.Errorf("refca: municipality code %q is not 1-16 ASCII letters or digits", o.MunicipalityCode)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	subject, err := asn1.Marshal(pkix.RDNSequence{
		{{Type: oidCountry, Value: "JP"}},
		{{Type: oidLocality, Value: o.Prefecture}},
		{{Type: oidLocality, Value: o.Municipality}},
		{{Type: oidOrgUnit, Value: o.MunicipalityCode}},
		{{Type: oidCommonName, Value: o.Terminal}},
	})
	if err != nil {
		return nil, nil, err
	}
	validity := o.Validity
	if validity == 0 {
		validity = 5 * 365 * 24 * time.Hour
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		RawSubject:   subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		SubjectKeyId: keyID(key.Public()),
	}
	if !o.OmitCMCRA {
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{OIDCMCRA}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, raRoot, key.Public(), raKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// AddTerminal issues another terminal's RA certificate from the RA root in
// dir and writes it as certFile and keyFile.
func AddTerminal(dir string, o TerminalOptions, certFile, keyFile string) error {
	raRoot, raKey, err := loadPair(filepath.Join(dir, FileRARootCert), filepath.Join(dir, FileRARootKey))
	if err != nil {
		return err
	}
	cert, key, err := NewTerminal(raRoot, raKey, o)
	if err != nil {
		return err
	}
	if err := writeFile(keyFile, mustPKCS8(key), true); err != nil {
		return err
	}
	return writeFile(certFile, certPEM(cert.Raw), false)
}

// LoadTerminal reads a terminal's RA certificate and key as written by
// Setup or AddTerminal.
func LoadTerminal(certFile, keyFile string) (tls.Certificate, error) {
	return tls.LoadX509KeyPair(certFile, keyFile)
}

var (
	oidCountry    = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidLocality   = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidOrgUnit    = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}
)

func validCode(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// randomSerial returns a random positive serial of at most 63 bits.
func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n.Add(n, big.NewInt(1))
}

// keyID is the subject key identifier of pub: the SHA-1 of the
// subjectPublicKey bits (RFC 5280 4.2.1.2, method 1).
func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:]
}

func selfSign(tmpl *x509.Certificate, key crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func mustPKCS8(key crypto.Signer) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err) // only called with RSA and ECDSA keys
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// writeFile writes data to a new file, owner-only for keys.
func writeFile(path string, data []byte, secret bool) error {
	mode := os.FileMode(0o644)
	if secret {
		mode = 0o600
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if secret {
		return privfile.Protect(path) // an owner-only DACL on Windows
	}
	return nil
}

// loadPair reads a PEM certificate and its PKCS#8 (or SEC1/PKCS#1) key.
func loadPair(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("refca: %s: %w", certFile, err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("refca: %s: the key cannot sign", keyFile)
	}
	return pair.Leaf, signer, nil
}

// LoadSettings reads dir/refca.toml.
func LoadSettings(dir string) (Settings, error) {
	var s Settings
	md, err := toml.DecodeFile(filepath.Join(dir, FileSettings), &s)
	if err != nil {
		return Settings{}, fmt.Errorf("refca: settings: %w", err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		keys := make([]string, len(u))
		for i, k := range u {
			keys[i] = k.String()
		}
		return Settings{}, fmt.Errorf("refca: settings: unknown keys %s", strings.Join(keys, ", "))
	}
	return s, s.check()
}

func saveSettings(dir string, s Settings) error {
	var b strings.Builder
	b.WriteString("# Settings of the madoguchi reference prefecture CA.\n")
	if err := toml.NewEncoder(&b).Encode(s); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, FileSettings), []byte(b.String()), false)
}

func (s Settings) check() error {
	var errs []error
	if s.Prefecture == "" {
		errs = append(errs, errors.New("prefecture is required"))
	}
	switch s.Validity {
	case ValidityFifthBirthday, ValidityThreeYears:
	default:
		errs = append(errs, fmt.Errorf("validity %q is not %q or %q", s.Validity, ValidityFifthBirthday, ValidityThreeYears))
	}
	if _, err := x509.ParseOID(s.PolicyOID); err != nil {
		errs = append(errs, fmt.Errorf("policy_oid %q: %v", s.PolicyOID, err))
	}
	if d, err := time.ParseDuration(s.CRLLifetime); err != nil || d < time.Minute {
		errs = append(errs, fmt.Errorf("crl_lifetime %q is not a duration of at least 1m", s.CRLLifetime))
	}
	if s.URL != "" && !strings.HasPrefix(s.URL, "https://") {
		errs = append(errs, fmt.Errorf("url %q must be https", s.URL))
	}
	if s.DatabaseURL != "" && !appstore.IsURL(s.DatabaseURL) {
		errs = append(errs, fmt.Errorf("database_url %q is not postgres://…", appstore.Redact(s.DatabaseURL)))
	}
	errs = append(errs, s.checkRevocation()...)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("refca: settings: %w", err)
	}
	return nil
}

// rootTemplate is a self-signed root of the reference CA, valid for 20
// years, that signs one level of certificates and CRLs.
func rootTemplate(prefecture, commonName string, now time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject: pkix.Name{
			Country:            []string{"JP"},
			Organization:       []string{"madoguchi reference prefecture CA"},
			OrganizationalUnit: []string{prefecture},
			CommonName:         commonName,
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
}
