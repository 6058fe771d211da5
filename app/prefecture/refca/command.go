package refca

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"madoguchi/app/config"
	"madoguchi/app/prefecture"
	"madoguchi/app/privfile"
)

// FileAppConfig is the app configuration that the setup command writes into
// the CA directory.
const FileAppConfig = "madoguchi.toml"

// CommandUsage describes the subcommands of Command.
const CommandUsage = `usage:
  madoguchi refca setup -dir DIR [-prefecture P] [-municipality M] [-code C] [-terminal T]
                        [-addr HOST:PORT] [-host NAME]... [-validity 5th-birthday|3y] [-p256]
                        [-reader pcsc|emulated]
      create a CA, an RA certificate for one terminal, and DIR/madoguchi.toml for the app
  madoguchi refca serve -dir DIR [-addr HOST:PORT] [-http-addr HOST:PORT]
      serve the CA (EST, revocation, change notices, CRLs) over TLS 1.3
  madoguchi refca add-terminal -dir DIR -municipality M -code C -terminal T -out PREFIX
      issue another terminal's RA certificate as PREFIX.pem and PREFIX.key
  madoguchi refca revoke-terminal -dir DIR -cert FILE [-note TEXT]
      revoke a terminal's RA certificate
` + RevocationUsage

// Command runs the reference CA's subcommands (see CommandUsage). serve
// runs until ctx is done.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, CommandUsage)
		return errors.New("no subcommand")
	}
	switch args[0] {
	case "setup":
		return cmdSetup(args[1:], stdout, stderr)
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "add-terminal":
		return cmdAddTerminal(args[1:], stdout, stderr)
	case "revoke-terminal":
		return cmdRevokeTerminal(ctx, args[1:], stdout, stderr)
	case "add-verifier", "list-verifiers", "remove-verifier", "fetch-log", "regenerate-crls":
		return revocationCommand(ctx, args[0], args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, CommandUsage)
		return nil
	}
	fmt.Fprint(stderr, CommandUsage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("refca "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func cmdSetup(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("setup", stderr)
	dir := fs.String("dir", "", "directory for the CA (created)")
	pref := fs.String("prefecture", "東京都", "prefecture (都道府県)")
	muni := fs.String("municipality", "窓口市", "the terminal's municipality (市区町村)")
	code := fs.String("code", "999999", "the municipality's local-government code")
	term := fs.String("terminal", "madoguchi-01", "the terminal's name")
	addr := fs.String("addr", "127.0.0.1:8443", "address the CA will listen on")
	validity := fs.String("validity", ValidityFifthBirthday, "validity rule: 5th-birthday or 3y")
	p256 := fs.Bool("p256", false, "also accept P-256 keys")
	revURL := fs.String("revocation-url", "", "stable http://host base for CRL distribution points and OCSP (default http://<addr host>)")
	reader := fs.String("reader", config.ReaderPCSC, "card reader mode written to the app config: pcsc or emulated")
	dbURL := fs.String("database-url", "", "PostgreSQL database for the CA's store, written to the settings (postgres://…, password in ~/.pgpass; default: the directory's SQLite file)")
	var hosts multiFlag
	fs.Var(&hosts, "host", "extra host name or IP for the TLS certificate (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return errors.New("setup: -dir is required and no arguments are taken")
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("setup: -addr: %w", err)
	}
	urlHost := host
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		urlHost = "127.0.0.1"
	}
	base := "https://" + net.JoinHostPort(urlHost, port)
	if err := Setup(*dir, SetupOptions{
		Prefecture:       *pref,
		Municipality:     *muni,
		MunicipalityCode: *code,
		Terminal:         *term,
		Hosts:            append(hosts, host),
		URL:              base,
		Listen:           *addr,
		Validity:         *validity,
		AllowP256:        *p256,
		RevocationURL:    *revURL,
		DatabaseURL:      *dbURL,
	}); err != nil {
		return err
	}
	cfg := config.Config{
		DatabasePath:     "madoguchi.db",
		Municipality:     *muni,
		Prefecture:       *pref,
		MasterSecretFile: "master-secret.key",
		Reader:           config.Reader{Mode: *reader},
		CA: config.CA{
			Mode:     config.CAEST,
			URL:      base + prefecture.ESTPath,
			RootCert: FileCACert,
			RACert:   FileTerminalCert,
			RAKey:    FileTerminalKey,
		},
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("setup: app configuration: %w", err)
	}
	appConfig := filepath.Join(*dir, FileAppConfig)
	if err := config.Write(appConfig, cfg); err != nil {
		return err
	}
	if err := createMasterSecret(filepath.Join(*dir, cfg.MasterSecretFile)); err != nil {
		return fmt.Errorf("setup: master secret: %w", err)
	}
	fmt.Fprintf(stdout, "reference prefecture CA created in %s\n", *dir)
	fmt.Fprintf(stdout, "  CA root (pin this):   %s\n", filepath.Join(*dir, FileCACert))
	fmt.Fprintf(stdout, "  terminal certificate: %s (key %s)\n", filepath.Join(*dir, FileTerminalCert), FileTerminalKey)
	fmt.Fprintf(stdout, "  app configuration:    %s\n", appConfig)
	fmt.Fprintf(stdout, "  master secret:        %s (derives per-card keys and PUKs; keep it safe)\n", filepath.Join(*dir, cfg.MasterSecretFile))
	fmt.Fprintf(stdout, "serve it:  madoguchi refca serve -dir %s\n", *dir)
	fmt.Fprintf(stdout, "first supervisor: madoguchi staff add -config %s -id super01 -name 監督者 -role supervisor\n", appConfig)
	fmt.Fprintf(stdout, "use it:    madoguchi -config %s\n", appConfig)
	return nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	dir := fs.String("dir", "", "the CA directory made by setup")
	addr := fs.String("addr", "", "listen address (default: the one given at setup)")
	httpAddr := fs.String("http-addr", "", "also answer plain http here (the revocation URL certificates name) with a 403 pointing to mutual TLS")
	dbURL := databaseURLFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return errors.New("serve: -dir is required and no arguments are taken")
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ca, err := Open(ctx, *dir, Options{Logger: logger, DatabaseURL: *dbURL})
	if err != nil {
		return err
	}
	defer ca.Close()
	listen := *addr
	if listen == "" {
		listen = ca.Settings().Listen
	}
	if listen == "" {
		listen = "127.0.0.1:8443"
	}
	srv, err := ca.Listen(listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reference prefecture CA listening on %s (EST at %s%s; revocation information for registered verifiers at %s%s and %s%s, named %s)\n",
		srv.URL(), ca.BaseURL(), prefecture.ESTPath, ca.BaseURL(), CRLPrefix, ca.BaseURL(), OCSPPath, ca.RevocationURL())
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve() }()
	if *httpAddr != "" {
		plain := &http.Server{Addr: *httpAddr, Handler: ca.PlainHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := plain.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		defer plain.Close()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		srv.Close()
		<-errc
		return nil
	}
}

func cmdAddTerminal(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("add-terminal", stderr)
	dir := fs.String("dir", "", "the CA directory")
	muni := fs.String("municipality", "", "the terminal's municipality (市区町村)")
	code := fs.String("code", "", "the municipality's local-government code")
	term := fs.String("terminal", "", "the terminal's name")
	out := fs.String("out", "", "output prefix: writes PREFIX.pem and PREFIX.key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *muni == "" || *code == "" || *term == "" || *out == "" || fs.NArg() > 0 {
		return errors.New("add-terminal: -dir, -municipality, -code, -terminal and -out are required")
	}
	s, err := LoadSettings(*dir)
	if err != nil {
		return err
	}
	if err := AddTerminal(*dir, TerminalOptions{Prefecture: s.Prefecture, Municipality: *muni, MunicipalityCode: *code, Terminal: *term},
		*out+".pem", *out+".key"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "terminal certificate written to %s.pem (key %s.key)\n", *out, *out)
	return nil
}

func cmdRevokeTerminal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("revoke-terminal", stderr)
	dir := fs.String("dir", "", "the CA directory")
	certFile := fs.String("cert", "", "the terminal certificate (PEM)")
	note := fs.String("note", "revoked by the administrator", "why")
	dbURL := databaseURLFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *certFile == "" || fs.NArg() > 0 {
		return errors.New("revoke-terminal: -dir and -cert are required")
	}
	data, err := os.ReadFile(*certFile)
	if err != nil {
		return err
	}
	certs, err := prefecture.ParseCertificatesPEM(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *certFile, err)
	}
	ca, err := Open(ctx, *dir, Options{DatabaseURL: *dbURL})
	if err != nil {
		return err
	}
	defer ca.Close()
	// Checked at its start of validity, so that an expired certificate can
	// still be revoked.
	opts := x509.VerifyOptions{Roots: ca.raRoots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: certs[0].NotBefore.Add(time.Second)}
	if _, err := certs[0].Verify(opts); err != nil {
		return fmt.Errorf("%s is not a terminal certificate of this CA: %w", *certFile, err)
	}
	if err := ca.RevokeTerminal(ctx, certs[0], *note); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "terminal certificate %s revoked\n", prefecture.FormatSerial(certs[0].SerialNumber))
	return nil
}

// createMasterSecret writes 32 random bytes to path (owner-only) unless the
// file exists: a development terminal's master secret, from which the app
// derives each card's management key and PUK.
func createMasterSecret(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	defer clear(secret)
	if _, err := rand.Read(secret); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(secret); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return privfile.Protect(path) // an owner-only DACL on Windows
}

// databaseURLFlag adds -database-url, which keeps the CA's store in a
// PostgreSQL database shared by several CA processes (overriding the
// settings' database_url).
func databaseURLFlag(fs *flag.FlagSet) *string {
	return fs.String("database-url", "", "PostgreSQL database holding the CA's store, shared by several CA processes (postgres://…; default: the settings' database_url, else the directory's SQLite file)")
}
