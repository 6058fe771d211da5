package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"madoguchi/app/audit"
	"madoguchi/app/config"
	"madoguchi/app/prefecture"
	"madoguchi/app/prefecture/refca"
	"madoguchi/app/privfile"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/app/store"
	"madoguchi/cardio"
	"madoguchi/forms"
	"madoguchi/keygen"
)

// DemoResidents is the size of the embedded default's demo registry.
const DemoResidents = 500

// DemoSeed is the seed of the embedded default's demo registry.
const DemoSeed = 1

// Options adjust a Counter; the zero value is right for the application.
type Options struct {
	// DemoResidents overrides the demo registry's size (DemoResidents).
	DemoResidents int
	// StaffParams overrides the argon2id cost (tests use a cheap one).
	StaffParams *staff.Params
	// Hooks are passed to the session manager, for crash tests.
	Hooks session.Hooks
	// Algorithm is the key algorithm generated on cards (RSA-2048).
	Algorithm keygen.Algorithm
	// Logger receives operational messages; nil discards them. Nothing
	// personal or secret is logged.
	Logger *slog.Logger
}

// Counter is one counter terminal: its database, registry, staff, session
// manager, prefecture CA link and card reader, opened from a configuration.
// The UI signs staff in with SignIn and works through the returned Desk.
// A Counter is safe for concurrent use.
type Counter struct {
	cfg      config.Config
	opt      Options
	log      *slog.Logger
	db       *store.DB
	staff    *staff.Store
	registry *registry.Registry
	sessions *session.Manager
	ca       prefecture.Client
	embedded *refca.Embedded
	emu      *cardio.EmulatedReader // the demo's reader, nil with PC/SC
	anchor   *audit.Anchor          // the audit head kept outside the database
	notices  *noticeRunner          // the background sender of change notices

	readerMu sync.Mutex
	reader   cardio.Reader
}

// Open opens the counter described by cfg. With the embedded default (or
// any configuration in demo mode) it creates what is missing on first
// use: the data folder, a master secret, the demo staff accounts (clerk01
// and super01, password madoguchi-demo), a demo registry of DemoResidents
// residents and the in-process reference prefecture CA. Sessions that an
// earlier run left open are listed by Desk.Interrupted.
func Open(ctx context.Context, cfg config.Config, opt Options) (*Counter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, &config.Error{Path: cfg.Source, Err: err}
	}
	c := &Counter{cfg: cfg, opt: opt, log: opt.Logger}
	staff.SetMessageZone(cfg.Location())
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if err := c.open(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Counter) open(ctx context.Context) (err error) {
	cfg, opt := c.cfg, c.opt
	if err := c.checkSecrets(cfg); err != nil {
		return err
	}
	if cfg.Demo && cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return &SetupError{What: "data folder " + cfg.DataDir, Err: err}
		}
	}
	if c.db, err = store.Open(ctx, cfg.StoreTarget()); err != nil {
		return err
	}
	if err := c.keepAuditAnchor(ctx); err != nil {
		return err
	}
	master, err := loadMaster(cfg.MasterSecretFile, cfg.Demo)
	if err != nil {
		return err
	}
	defer clear(master)

	c.staff = staff.New(c.db)
	if opt.StaffParams != nil {
		c.staff.Params = *opt.StaffParams
	}
	c.registry = registry.New(c.db)
	if cfg.Demo {
		if err := c.staff.EnsureDemo(ctx); err != nil {
			return err
		}
		n := opt.DemoResidents
		if n == 0 {
			n = DemoResidents
		}
		added, err := c.registry.LoadDemo(ctx, "system", registry.DemoOptions{Seed: DemoSeed, Count: n, Prefecture: cfg.Prefecture, Municipality: cfg.Municipality})
		if err != nil {
			return err
		}
		if added > 0 {
			c.log.Info("demo registry created", "residents", added)
		}
		c.checkDemoForms(ctx)
	}

	if err := c.openCA(ctx); err != nil {
		return err
	}
	c.sessions = session.NewManager(c.db, session.Options{CA: c.ca, Master: master, Prefecture: cfg.Prefecture, Municipality: cfg.Municipality, MinAge: cfg.MinAge, Zone: cfg.Location()})
	c.sessions.Hooks = opt.Hooks
	c.startNotices()

	if cfg.Reader.Mode == config.ReaderEmulated {
		c.emu = cardio.NewEmulatedReader("madoguchi 模擬カードリーダー")
		c.reader = c.emu
		if c.persistCards() {
			c.sessions.Hooks = c.savingHooks(opt.Hooks)
			if err := c.restoreCard(); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDemoForms warns when the demo registry's addresses cannot pass the
// form's checks (a prefecture that is not one of the 47 makes every
// application fail), so that the cause is in the log and not only in a
// refused application.
func (c *Counter) checkDemoForms(ctx context.Context) {
	for r := range registry.Demo(registry.DemoOptions{Seed: DemoSeed, Count: 1, Prefecture: c.cfg.Prefecture, Municipality: c.cfg.Municipality}) {
		a := r.Application(forms.KindNew, forms.Today())
		a.Substitutes = registry.SuggestSubstitutes(a)
		if err := a.Validate(); err != nil {
			c.log.Warn("demo applications will not validate; use one of the 47 prefectures in the configuration",
				"prefecture", c.cfg.Prefecture, "err", err)
		}
	}
}

// openCA starts the embedded reference CA or connects to the configured
// one.
func (c *Counter) openCA(ctx context.Context) error {
	switch c.cfg.CA.Mode {
	case config.CAEmbedded:
		dir := filepath.Join(c.dataDir(), "refca")
		// The CA lives as long as the Counter, not as long as ctx.
		e, err := refca.StartEmbedded(context.WithoutCancel(ctx), dir, refca.EmbeddedOptions{
			Prefecture: c.cfg.Prefecture, Municipality: c.cfg.Municipality, Logger: c.log})
		if err != nil {
			return &SetupError{What: "reference prefecture CA in " + dir, Err: err}
		}
		c.embedded = e
		client, err := e.Client()
		if err != nil {
			return &SetupError{What: "reference prefecture CA client", Err: err}
		}
		c.ca = client
	case config.CAEST:
		pc, err := prefecture.ConfigFromFiles(c.cfg.CA.URL, c.cfg.CA.RootCert, c.cfg.CA.RACert, c.cfg.CA.RAKey)
		if err != nil {
			return &SetupError{What: "prefecture CA settings", Err: err}
		}
		client, err := prefecture.NewEST(pc)
		if err != nil {
			return &SetupError{What: "prefecture CA client", Err: err}
		}
		c.ca = client
	}
	return nil
}

// dataDir is where the counter keeps its own files: the configuration's
// data folder, or the database's folder.
func (c *Counter) dataDir() string {
	if c.cfg.DataDir != "" {
		return c.cfg.DataDir
	}
	return filepath.Dir(c.cfg.DatabasePath)
}

// Close stops the embedded CA, wipes the master secret and closes the
// database. Open sessions stay open for the next run.
func (c *Counter) Close() error {
	c.stopNotices()
	if c.emu != nil {
		if err := c.saveCardInReader(); err != nil {
			c.log.Warn("cannot save the emulated card", "err", err)
		}
	}
	if c.sessions != nil {
		c.sessions.Close()
	}
	if closer, ok := c.ca.(interface{ Close() }); ok {
		closer.Close()
	}
	if c.embedded != nil {
		c.embedded.Close()
	}
	if c.db != nil {
		return c.db.Close()
	}
	return nil
}

// Config returns the configuration the counter runs with.
func (c *Counter) Config() config.Config { return c.cfg }

// CA returns the embedded reference CA, or nil when the counter uses a
// real prefecture CA.
func (c *Counter) CA() *refca.Embedded { return c.embedded }

// SignIn checks a staff member's password and opens their Desk. Errors
// (wrong password, locked, disabled) carry UserMessage. The caller wipes
// password.
func (c *Counter) SignIn(ctx context.Context, id string, password []byte) (*Desk, error) {
	acct, err := c.staff.Authenticate(ctx, id, password)
	if err != nil {
		return nil, err
	}
	return &Desk{c: c, acct: acct}, nil
}

// Reader returns the card reader: the emulated one in demo mode, or the
// configured PC/SC reader (the first whose name contains reader.name, or
// the first reader). It fails with ErrNoReader when none is connected.
func (c *Counter) Reader(ctx context.Context) (cardio.Reader, error) {
	c.readerMu.Lock()
	defer c.readerMu.Unlock()
	if c.reader != nil {
		return c.reader, nil
	}
	readers, err := cardio.PCSCReaders(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoReader, err)
	}
	for _, r := range readers {
		if strings.Contains(r.Name(), c.cfg.Reader.Name) {
			c.reader = r
			return r, nil
		}
	}
	return nil, ErrNoReader
}

// EmulatedReader returns the demo's emulated reader, or nil with PC/SC.
// The UI offers "insert a blank card" and "remove the card" with it.
func (c *Counter) EmulatedReader() *cardio.EmulatedReader { return c.emu }

// InsertBlankCard puts a new blank emulated card into the demo reader.
func (c *Counter) InsertBlankCard() (*cardio.Emulator, error) {
	if c.emu == nil {
		return nil, ErrNotEmulated
	}
	card := cardio.NewEmulator(cardio.EmulatorOptions{})
	if err := c.emu.Insert(card); err != nil {
		return nil, err
	}
	return card, c.saveCardInReader()
}

// masterLength is the size of a master secret the demo creates.
const masterLength = 32

// loadMaster reads the municipality's master secret. In demo mode a
// missing file is created with fresh random bytes, readable by the owner
// only.
func loadMaster(path string, demo bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && demo {
		b = make([]byte, masterLength)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, &SetupError{What: "master secret " + path, Err: err}
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, &SetupError{What: "master secret " + path, Err: err}
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return nil, &SetupError{What: "master secret " + path, Err: err}
		}
		if err := f.Close(); err != nil {
			return nil, &SetupError{What: "master secret " + path, Err: err}
		}
		if err := privfile.Protect(path); err != nil { // an owner-only DACL on Windows
			return nil, &SetupError{What: "master secret " + path, Err: err}
		}
		return b, nil
	}
	if err != nil {
		return nil, &SetupError{What: "master secret " + path, Err: err}
	}
	if len(b) < keygen.MinMasterLength {
		clear(b)
		return nil, &SetupError{What: "master secret " + path, Err: fmt.Errorf("%d bytes, at least %d needed", len(b), keygen.MinMasterLength)}
	}
	return b, nil
}
