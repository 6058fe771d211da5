package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Dialect is the SQL database behind a DB.
type Dialect int

// The dialects.
const (
	SQLite   Dialect = iota // an embedded file (the default and the demo)
	Postgres                // a PostgreSQL server shared by the office's counters
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// IsURL reports whether target names a PostgreSQL database
// (postgres://… or postgresql://…) rather than a SQLite file.
func IsURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// Redact returns target with any password replaced by "xxxxx", for
// messages and logs.
func Redact(target string) string {
	if !IsURL(target) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "postgres://(URL not readable)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// writerLockKey is the first key of the advisory lock that every write
// transaction on PostgreSQL takes (the second is the schema's hash): it
// gives the office database SQLite's single-writer semantics, so that the
// stores' read-then-write transactions (the audit chain's head, session
// numbers of the day, lock-out counters) stay correct with many counters
// writing at once.
const writerLockKey = 0x6d61646f // "mado"

// migrateLockKey serialises migrations of one schema across processes.
const migrateLockKey = 0x6d696772 // "migr"

// openPostgres opens the PostgreSQL database at rawURL through pgx's
// database/sql driver, with '?' placeholders rewritten to $n.
func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	shown := Redact(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, &OpenError{Path: shown, Err: errors.New("the database URL cannot be read")}
	}
	// Plan every statement for its values: a generic plan of a prefix
	// range (kana_key >= $1 AND kana_key < $2) cannot know how narrow it
	// is and may scan the whole registry.
	//
	// A transaction left idle by a counter that hung (or lost its network
	// without the server noticing) is ended by the server, so that it does
	// not hold the office's writer lock; and a write waits for that lock at
	// most lock_timeout (a registry import holds it for its duration) and
	// then fails with BusyError instead of hanging the counter.
	for k, v := range map[string]string{
		"plan_cache_mode":                     "force_custom_plan",
		"idle_in_transaction_session_timeout": "300000", // ms
		"lock_timeout":                        "180000", // ms
	} {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	sdb := sql.OpenDB(&rebindConnector{inner: stdlib.GetConnector(*cfg, pingIdle)})
	// A counter needs few connections; an office of a few dozen counters
	// stays within PostgreSQL's max_connections (100 by default: 12 counters) only if
	// each keeps its pool small.
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(2)
	db := &DB{DB: sdb, path: shown, dialect: Postgres, terminal: cfg.RuntimeParams["application_name"]}
	if err := db.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, &OpenError{Path: shown, Err: err}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		sdb.Close()
		return nil, &OpenError{Path: shown, Err: err}
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?, hashtext(current_schema()))", migrateLockKey); err != nil {
		sdb.Close()
		return nil, &OpenError{Path: shown, Err: err}
	}
	err = db.migrate(ctx)
	if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?, hashtext(current_schema()))", migrateLockKey); uerr != nil && err == nil {
		err = &OpenError{Path: shown, Err: uerr}
	}
	if err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Dialect is the database behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// lockWriter takes the office-wide writer lock in tx (PostgreSQL only; it
// is released when tx ends).
func (db *DB) lockWriter(ctx context.Context, tx *sql.Tx) error {
	if db.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))", writerLockKey)
	return err
}

// WithPgx runs fn with the pgx connection under one of db's connections
// (PostgreSQL only), for what database/sql cannot do, such as COPY.
func (db *DB) WithPgx(ctx context.Context, fn func(*pgx.Conn) error) error {
	if db.dialect != Postgres {
		return errors.New("store: not a PostgreSQL database")
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*rebindConn)
		if !ok {
			return fmt.Errorf("store: unexpected driver connection %T", dc)
		}
		return fn(c.inner.Conn())
	})
}

// Rebind rewrites the '?' placeholders of query to PostgreSQL's $1, $2, …,
// leaving string literals, quoted identifiers and comments alone.
func Rebind(query string) string {
	if strings.IndexByte(query, '?') < 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(query) {
				j = len(query) - 1
			}
			b.WriteString(query[i : j+1])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := len(query) - 1
			if j >= 0 {
				end = i + 2 + j + 1
			}
			b.WriteString(query[i : end+1])
			i = end
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// rebindConnector hands out rebindConns.
type rebindConnector struct{ inner driver.Connector }

func (c *rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("store: unexpected pgx connection %T", dc)
	}
	return &rebindConn{inner: sc}, nil
}

func (c *rebindConnector) Driver() driver.Driver { return c.inner.Driver() }

// rebindConn is pgx's database/sql connection with the statements' '?'
// placeholders rewritten, and bools sent as 0/1 (the schema keeps flags in
// integer columns, as SQLite does).
type rebindConn struct{ inner *stdlib.Conn }

func (c *rebindConn) Prepare(q string) (driver.Stmt, error) { return c.inner.Prepare(Rebind(q)) }
func (c *rebindConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, Rebind(q))
}
func (c *rebindConn) Close() error              { return c.inner.Close() }
func (c *rebindConn) Begin() (driver.Tx, error) { return c.inner.Begin() } //nolint:staticcheck // driver.Conn needs it
func (c *rebindConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, o)
}
func (c *rebindConn) ExecContext(ctx context.Context, q string, a []driver.NamedValue) (driver.Result, error) {
	return c.inner.ExecContext(ctx, Rebind(q), a)
}
func (c *rebindConn) QueryContext(ctx context.Context, q string, a []driver.NamedValue) (driver.Rows, error) {
	return c.inner.QueryContext(ctx, Rebind(q), a)
}
func (c *rebindConn) Ping(ctx context.Context) error         { return c.inner.Ping(ctx) }
func (c *rebindConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }
func (c *rebindConn) IsValid() bool                          { return !c.inner.Conn().IsClosed() }

func (c *rebindConn) CheckNamedValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case bool:
		if v {
			nv.Value = int64(1)
		} else {
			nv.Value = int64(0)
		}
	case int:
		nv.Value = int64(v)
	}
	return c.inner.CheckNamedValue(nv)
}

// OpenRaw opens the PostgreSQL database at rawURL without migrating it
// (for administration: creating schemas or databases).
func OpenRaw(ctx context.Context, rawURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, &OpenError{Path: Redact(rawURL), Err: errors.New("the database URL cannot be read")}
	}
	sdb := sql.OpenDB(&rebindConnector{inner: stdlib.GetConnector(*cfg)})
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, &OpenError{Path: Redact(rawURL), Err: err}
	}
	return sdb, nil
}

// bulkTxPostgres is BulkTx on PostgreSQL: Tx on a connection that
// CopyFrom finds through the transaction.
func (db *DB) bulkTxPostgres(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := db.lockWriter(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	db.bulkMu.Lock()
	if db.bulk == nil {
		db.bulk = map[*sql.Tx]*sql.Conn{}
	}
	db.bulk[tx] = conn
	db.bulkMu.Unlock()
	if db.terminal != "" {
		txTerminal.Store(tx, db.terminal)
		defer txTerminal.Delete(tx)
	}
	defer func() {
		db.bulkMu.Lock()
		delete(db.bulk, tx)
		db.bulkMu.Unlock()
	}()
	if err := run(tx, fn); err != nil {
		return err
	}
	db.committed()
	return nil
}

// CanCopy reports whether CopyFrom works in tx: a BulkTx transaction on
// PostgreSQL.
func (db *DB) CanCopy(tx *sql.Tx) bool {
	db.bulkMu.Lock()
	defer db.bulkMu.Unlock()
	return db.bulk[tx] != nil
}

// CopyFrom loads rows into table's columns with PostgreSQL's COPY, within
// tx, which must be a BulkTx transaction (CanCopy). It returns the number
// of rows loaded.
func (db *DB) CopyFrom(ctx context.Context, tx *sql.Tx, table string, columns []string, rows [][]any) (int64, error) {
	db.bulkMu.Lock()
	conn := db.bulk[tx]
	db.bulkMu.Unlock()
	if conn == nil {
		return 0, errors.New("store: CopyFrom outside a PostgreSQL BulkTx")
	}
	var n int64
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*rebindConn)
		if !ok {
			return fmt.Errorf("store: unexpected driver connection %T", dc)
		}
		var err error
		n, err = c.inner.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		return err
	})
	return n, err
}

// txTerminal maps the transactions of Tx and BulkTx to their DB's terminal.
var txTerminal sync.Map

// Terminal is the name of this terminal on a shared office database: the
// application_name of the database URL (config's [database] terminal).
// It is "" on a terminal's own SQLite file.
func (db *DB) Terminal() string { return db.terminal }

// TerminalOf is the Terminal of the DB whose Tx or BulkTx runs tx ("" for
// SQLite or another transaction).
func TerminalOf(tx *sql.Tx) string {
	v, _ := txTerminal.Load(tx)
	s, _ := v.(string)
	return s
}

// UnavailableError is a transaction that failed because the connection to
// the office database was lost or refused. Its step can be retried once
// the database answers again: the session steps check the state they start
// from, so a commit that did land before the connection broke is not
// applied twice.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string { return "store: database unavailable: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// UserMessage says what happened in Japanese.
func (e *UnavailableError) UserMessage() string {
	return "データベースサーバーとの接続が切れたため、この操作を記録できませんでした。ネットワークを確認してから、もう一度同じ操作を行ってください。手続はそれまでに完了した段階から続けられます。"
}

// connLost reports whether err means the connection to PostgreSQL is gone
// (rather than the statement being refused).
func connLost(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P01-57P03: the server shut down or
		// terminated the session.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe")
}

// wrapLost turns a lost connection on PostgreSQL into *UnavailableError,
// and a writer lock not obtained in time into *BusyError.
func (db *DB) wrapLost(err error) error {
	if db.dialect != Postgres || err == nil {
		return err
	}
	var ue *UnavailableError
	var be *BusyError
	if errors.As(err, &ue) || errors.As(err, &be) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return &BusyError{Err: err}
	}
	if !connLost(err) {
		return err
	}
	return &UnavailableError{Err: err}
}

// BusyError is a write that waited too long for the office database's
// writer lock (another terminal held it, e.g. for a registry import).
// Nothing of it was committed.
type BusyError struct{ Err error }

func (e *BusyError) Error() string { return "store: database busy: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *BusyError) Unwrap() error { return e.Err }

// UserMessage says what happened in Japanese.
func (e *BusyError) UserMessage() string {
	return "他の端末が住民データの取込などでデータベースを使用中のため、この操作を記録できませんでした。しばらく待ってから、もう一度同じ操作を行ってください。"
}

// pingIdle checks every pooled connection before reuse (one round trip),
// so that one the server or the network dropped meanwhile is replaced
// instead of failing the next statement with a lost-connection error.
var pingIdle = stdlib.OptionShouldPing(func(context.Context, stdlib.ShouldPingParams) bool { return true })
