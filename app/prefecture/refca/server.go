package refca

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"madoguchi/app/prefecture"
)

// Server is a CA serving HTTPS on one listener.
type Server struct {
	ca   *CA
	ln   net.Listener
	http *http.Server
	url  string
	// stopSchedule ends the full-CRL schedule.
	stopSchedule context.CancelFunc
}

// Listen binds addr (host:port; port 0 picks a free one) for the CA. The
// CA's base URL for CRL distribution points becomes https://<bound
// address> unless its settings fix one. Call Serve to answer requests.
func (ca *CA) Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	u := "https://" + ln.Addr().String()
	ca.setDefaultBaseURL(u)
	s := &Server{
		ca:  ca,
		ln:  ln,
		url: u,
		http: &http.Server{
			Handler:           ca.Handler(),
			TLSConfig:         ca.TLSConfig(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      90 * time.Second,
			IdleTimeout:       60 * time.Second,
			ErrorLog:          slog.NewLogLogger(ca.log.Handler(), slog.LevelDebug),
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stopSchedule = func() { cancel(); <-done }
	go func() { defer close(done); ca.scheduleCRLs(ctx) }()
	return s, nil
}

// URL returns https://<listening address>.
func (s *Server) URL() string { return s.url }

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers requests until Close or Shutdown; it then returns nil.
func (s *Server) Serve() error {
	err := s.http.ServeTLS(s.ln, "", "")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for requests in progress.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopSchedule()
	return s.http.Shutdown(ctx)
}

// Close stops the server at once.
func (s *Server) Close() error {
	s.stopSchedule()
	return s.http.Close()
}

// EmbeddedOptions describe the CA that StartEmbedded creates on first use.
type EmbeddedOptions struct {
	Prefecture       string // default 東京都
	Municipality     string // default 窓口市
	MunicipalityCode string // default 999999
	Terminal         string // default madoguchi-demo
	Validity         string // default ValidityFifthBirthday
	AllowP256        bool
	Logger           *slog.Logger
}

// Embedded is a reference CA running in-process on 127.0.0.1, for the
// app's embedded default and for tests.
type Embedded struct {
	// URL is the CA's base URL, https://127.0.0.1:<port>.
	URL string
	// Root is the CA root to pin; Roots holds it as a pool.
	Root  *x509.Certificate
	Roots *x509.CertPool
	// RA is the terminal's RA certificate and key for mutual TLS.
	RA tls.Certificate
	// CA is the running CA.
	CA *CA

	srv  *Server
	done chan struct{}
	stop context.CancelFunc
}

// StartEmbedded runs the CA in dir, creating it first (with one terminal)
// if dir holds none, on a free port of 127.0.0.1 with real TLS. It stops
// when ctx is done or Close is called.
func StartEmbedded(ctx context.Context, dir string, o EmbeddedOptions) (*Embedded, error) {
	if !Exists(dir) {
		so := SetupOptions{
			Prefecture:       o.Prefecture,
			Municipality:     o.Municipality,
			MunicipalityCode: o.MunicipalityCode,
			Terminal:         o.Terminal,
			Validity:         o.Validity,
			AllowP256:        o.AllowP256,
		}
		def := func(p *string, v string) {
			if *p == "" {
				*p = v
			}
		}
		def(&so.Prefecture, "東京都")
		def(&so.Municipality, "窓口市")
		def(&so.MunicipalityCode, "999999")
		def(&so.Terminal, "madoguchi-demo")
		if err := Setup(dir, so); err != nil {
			return nil, err
		}
	}
	ca, err := Open(ctx, dir, Options{Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	ra, err := LoadTerminal(filepath.Join(dir, FileTerminalCert), filepath.Join(dir, FileTerminalKey))
	if err != nil {
		ca.Close()
		return nil, err
	}
	srv, err := ca.Listen("127.0.0.1:0")
	if err != nil {
		ca.Close()
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root())
	ctx, stop := context.WithCancel(ctx)
	e := &Embedded{URL: srv.URL(), Root: ca.Root(), Roots: roots, RA: ra, CA: ca, srv: srv, done: make(chan struct{}), stop: stop}
	go func() {
		if err := srv.Serve(); err != nil {
			ca.log.Error("embedded CA stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
		ca.Close()
		close(e.done)
	}()
	return e, nil
}

// Client returns an EST client for the embedded CA, authenticated as its
// terminal.
func (e *Embedded) Client() (*prefecture.ESTClient, error) {
	return prefecture.NewEST(prefecture.Config{
		URL:         e.URL + prefecture.ESTPath,
		Roots:       []*x509.Certificate{e.Root},
		Certificate: e.RA,
	})
}

// Close stops the server and closes the store.
func (e *Embedded) Close() error {
	e.stop()
	<-e.done
	return nil
}

// String describes the embedded CA.
func (e *Embedded) String() string { return fmt.Sprintf("reference prefecture CA at %s", e.URL) }

// MaxBodySize bounds the body of any request the CA reads. An EST
// enrolment (a base64 PKCS#10 of an RSA-2048 key) is a few kilobytes and a
// signed RA request at most prefecture.MaxSignedRequestSize.
const MaxBodySize = 64 << 10

// limitBodies answers 413 Request Entity Too Large to a request whose body
// exceeds MaxBodySize, announced (Content-Length) or not (chunked), before
// the EST router or an RA endpoint sees it. A body within the bound is
// read into memory and handed on, so a handler never meets a
// half-consumed body.
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		tooLarge := func() {
			w.Header().Set("Connection", "close")
			refuse(http.StatusRequestEntityTooLarge, prefecture.RefusalBadRequest,
				fmt.Sprintf("request body larger than %d bytes", MaxBodySize),
				"要求が大きすぎます").write(w)
		}
		if r.ContentLength > MaxBodySize {
			tooLarge()
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			tooLarge()
			return
		case err != nil:
			refuse(http.StatusBadRequest, prefecture.RefusalBadRequest, "reading the request: "+err.Error(), "要求を読み取れません").write(w)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
