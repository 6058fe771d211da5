package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"madoguchi/app/verify"
)

func init() {
	register("verify", "verify a signed application (CMS or PDF) and print a report", runVerify)
	register("verifier", "the signature verifier's service: `madoguchi verifier serve` (HTTPS API)", runVerifier)
}

// verifierFlags are the verifier's configuration: pinned roots and the
// registered access to revocation information.
type verifierFlags struct {
	roots, inter         string
	cert, key, serviceCA string
	ocspURL, crlURL      string
	serviceURL           string
}

func (f *verifierFlags) add(fl *flag.FlagSet) {
	fl.StringVar(&f.roots, "roots", os.Getenv("MADOGUCHI_VERIFY_ROOTS"), "PEM `file` of the pinned prefecture root certificates (several generations allowed)")
	fl.StringVar(&f.inter, "intermediates", "", "PEM `file` of issuing CA certificates to use besides those in the signature")
	fl.StringVar(&f.cert, "verifier-cert", os.Getenv("MADOGUCHI_VERIFIER_CERT"), "PEM `file` of this verifier's registered certificate (mutual TLS to the revocation service)")
	fl.StringVar(&f.key, "verifier-key", os.Getenv("MADOGUCHI_VERIFIER_KEY"), "PEM `file` of the verifier certificate's key")
	fl.StringVar(&f.serviceCA, "service-ca", os.Getenv("MADOGUCHI_VERIFIER_SERVICE_CA"), "PEM `file` trusted for the revocation service's TLS certificate")
	fl.StringVar(&f.serviceURL, "revocation-url", os.Getenv("MADOGUCHI_REVOCATION_URL"), "base `URL` (https://host:port) of the prefecture's revocation service; the OCSP and CRL paths the certificates name are fetched there over mutual TLS")
	fl.StringVar(&f.ocspURL, "ocsp", "", "OCSP `URL` (default: the certificate's)")
	fl.StringVar(&f.crlURL, "crl", "", "CRL `URL` (default: the certificate's distribution point)")
}

// verifier builds the Verifier. Without a verifier certificate the
// revocation check refuses every signature, saying why.
func (f *verifierFlags) verifier() (*verify.Verifier, error) {
	if f.roots == "" {
		return nil, errors.New("-roots is required: the prefecture root certificates to trust")
	}
	roots, err := readCertsPEM(f.roots)
	if err != nil {
		return nil, err
	}
	opts := verify.Options{Roots: roots}
	if f.inter != "" {
		if opts.Intermediates, err = readCertsPEM(f.inter); err != nil {
			return nil, err
		}
	}
	if f.cert != "" || f.key != "" {
		pair, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return nil, fmt.Errorf("verifier certificate: %w", err)
		}
		var pool *x509.CertPool
		if f.serviceCA != "" {
			cas, err := readCertsPEM(f.serviceCA)
			if err != nil {
				return nil, err
			}
			pool = x509.NewCertPool()
			for _, c := range cas {
				pool.AddCert(c)
			}
		}
		remote := verify.NewRemote(pair, pool)
		remote.ServiceURL, remote.OCSPURL, remote.CRLURL = f.serviceURL, f.ocspURL, f.crlURL
		opts.Revocation = remote
	}
	return verify.New(opts)
}

// runVerify verifies FILE: a signed PDF, or a CMS signature (DER or PEM)
// whose document is -content or -form (the form JSON is the signed
// document of an online application) or is attached.
func runVerify(args []string) error {
	fl := flag.NewFlagSet("verify", flag.ContinueOnError)
	var vf verifierFlags
	vf.add(fl)
	formFile := fl.String("form", "", "application form JSON `file` (氏名, 住所, 生年月日, 性別) compared with the certificate; for a CMS it is also the signed document unless -content is given")
	contentFile := fl.String("content", "", "signed document `file` of a detached CMS signature")
	asJSON := fl.Bool("json", false, "print the report as JSON")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return errors.New("usage: madoguchi verify -roots ROOTS.pem [-form FORM.json] [-json] FILE")
	}
	v, err := vf.verifier()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(fl.Arg(0))
	if err != nil {
		return err
	}
	var formBytes, content []byte
	var form *verify.Form
	if *formFile != "" {
		if formBytes, err = os.ReadFile(*formFile); err != nil {
			return err
		}
		if form, err = verify.ParseForm(formBytes); err != nil {
			return err
		}
	}
	if *contentFile != "" {
		if content, err = os.ReadFile(*contentFile); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rep *verify.Report
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		rep = v.VerifyPDF(ctx, data, form)
	} else {
		if b, _ := pem.Decode(data); b != nil {
			data = b.Bytes
		}
		if content == nil {
			content = formBytes
		}
		if sd, err := verify.ParseCMS(data); err == nil && sd.Content != nil && content != nil && *contentFile == "" && !bytes.Equal(sd.Content, content) {
			content = nil // an attached application; -form is compared only
		}
		rep = v.VerifyCMS(ctx, data, content, form)
		if form == nil && rep.Content != nil {
			if f, err := verify.ParseForm(rep.Content); err == nil {
				rep = v.VerifyCMS(ctx, data, nil, f) // the attached form itself
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Print(rep.Text())
	}
	if !rep.OK {
		return errors.New("署名を検証できませんでした")
	}
	return nil
}

// runVerifier runs `madoguchi verifier serve`: the verification API over
// HTTPS on a loopback address.
func runVerifier(args []string) error {
	if len(args) == 0 || args[0] != "serve" {
		return errors.New("usage: madoguchi verifier serve -roots ROOTS.pem [-verifier-cert C -verifier-key K -service-ca CA] [-addr 127.0.0.1:8444]")
	}
	fl := flag.NewFlagSet("verifier serve", flag.ContinueOnError)
	var vf verifierFlags
	vf.add(fl)
	addr := fl.String("addr", "127.0.0.1:8444", "listen `address`")
	tlsCert := fl.String("tls-cert", "", "PEM `file` of the API's TLS certificate (default: a new self-signed one, its fingerprint printed)")
	tlsKey := fl.String("tls-key", "", "PEM `file` of the API's TLS key")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	v, err := vf.verifier()
	if err != nil {
		return err
	}
	if vf.cert == "" {
		fmt.Fprintln(os.Stderr, "verifier: no -verifier-cert: every signature is refused at the revocation check (not registered)")
	}
	var pair tls.Certificate
	if *tlsCert != "" {
		if pair, err = tls.LoadX509KeyPair(*tlsCert, *tlsKey); err != nil {
			return err
		}
	} else if pair, err = selfSignedTLS(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveVerifier(ctx, ln, v, pair)
}

// serveVerifier serves the verification API over TLS on ln until ctx
// ends.
func serveVerifier(ctx context.Context, ln net.Listener, v *verify.Verifier, pair tls.Certificate) error {
	srv := &http.Server{
		Handler:           verify.Handler(v),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
	}
	sum := sha256.Sum256(pair.Certificate[0])
	fmt.Fprintf(os.Stderr, "verifier: https://%s/v1/verify (TLS certificate SHA-256 %x)\n", ln.Addr(), sum)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // exiting anyway
	}()
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// selfSignedTLS makes a P-256 certificate for 127.0.0.1 and localhost.
func selfSignedTLS() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "madoguchi verifier"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().AddDate(0, 0, 30),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
