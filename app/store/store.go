// Package store opens the counter's SQLite database (modernc.org/sqlite,
// pure Go) and keeps its schema up to date.
//
// Every connection runs with WAL journaling, foreign keys on,
// synchronous=FULL (a committed transaction survives a power cut) and a
// busy timeout; write transactions begin IMMEDIATE so that two writers
// never deadlock on a lock upgrade. The schema lives in numbered SQL files
// embedded in the binary and is applied in order, each migration in its
// own transaction, at Open.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"madoguchi/app/privfile"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// pgMigrationFiles are the same schema steps in PostgreSQL's dialect,
// with the same version numbers.
//
//go:embed migrations/postgres/*.sql
var pgMigrationFiles embed.FS

// TimeFormat is how times are stored: UTC, fixed width, so that stored
// times sort and compare correctly as text.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// DateFormat is how calendar dates are stored.
const DateFormat = "2006-01-02"

// FormatTime renders t in TimeFormat (UTC). The zero time becomes "".
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

// ParseTime reads a time written by FormatTime; "" is the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(TimeFormat, s)
}

// DB is an open counter database.
type DB struct {
	*sql.DB
	path     string
	dialect  Dialect
	terminal string // PostgreSQL: the application_name naming this terminal

	hookMu sync.Mutex
	hooks  []func()

	// TxHook, for tests, runs inside every Tx right after it began (a
	// connection cut in the middle of a step).
	TxHook func()

	bulkMu sync.Mutex
	bulk   map[*sql.Tx]*sql.Conn // PostgreSQL: BulkTx transactions' connections, for COPY
}

// AfterCommit registers fn to run after every transaction that Tx or
// BulkTx commits, in the committing goroutine (the audit package keeps
// its anchor file up to date with it). fn must not start a transaction.
func (db *DB) AfterCommit(fn func()) {
	db.hookMu.Lock()
	defer db.hookMu.Unlock()
	db.hooks = append(db.hooks, fn)
}

// committed runs the AfterCommit functions.
func (db *DB) committed() {
	db.hookMu.Lock()
	hooks := db.hooks
	db.hookMu.Unlock()
	for _, fn := range hooks {
		fn()
	}
}

// Migration is one embedded schema step.
type Migration struct {
	Version int    // from the file name, 0001_xxx.sql → 1
	Name    string // the file name
	SQL     string
}

// Migrations returns the embedded SQLite migrations in version order.
func Migrations() ([]Migration, error) {
	return MigrationsFor(SQLite)
}

// MigrationsFor returns the embedded migrations of dialect d in version
// order.
func MigrationsFor(d Dialect) ([]Migration, error) {
	files, dir := fs.FS(migrationFiles), "migrations"
	if d == Postgres {
		files, dir = pgMigrationFiles, "migrations/postgres"
	}
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(files, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	// Versions are unique and increasing; a gap is allowed (parallel
	// branches each claim a number) and filled when its file arrives,
	// since Open applies every version not yet applied.
	for i, m := range ms {
		if i > 0 && m.Version == ms[i-1].Version {
			return nil, fmt.Errorf("store: migrations %s and %s have the same version", ms[i-1].Name, m.Name)
		}
	}
	return ms, nil
}

// dsn builds the driver's data source name for a file path.
func dsn(p string) string {
	return p + "?_txlock=immediate" +
		"&_busy_timeout=10000" +
		"&_journal_mode=WAL" +
		"&_synchronous=FULL" +
		"&_foreign_keys=1"
}

// Open opens (creating if needed) the database file at p and applies any
// pending migrations. The directory must exist. The file and its WAL and
// shared-memory files are readable by their owner only (mode 0600).
//
// A p of the form postgres://… opens that PostgreSQL database instead (the
// office's shared store), migrating it the same way.
func Open(ctx context.Context, p string) (*DB, error) {
	if IsURL(p) {
		return openPostgres(ctx, p)
	}
	if p == "" || strings.ContainsAny(p, "?#") {
		return nil, &OpenError{Path: p, Err: errors.New("path is empty or holds '?' or '#'")}
	}
	// Owner-only before SQLite touches it: the file holds personal data,
	// password hashes and the audit trail, and SQLite gives its -wal and
	// -shm files the database file's mode.
	if err := privfile.PrepareSQLite(p); err != nil {
		return nil, &OpenError{Path: p, Err: err}
	}
	sdb, err := sql.Open("sqlite", dsn(p))
	if err != nil {
		return nil, &OpenError{Path: p, Err: err}
	}
	db := &DB{DB: sdb, path: p}
	if err := db.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, &OpenError{Path: p, Err: err}
	}
	if err := db.check(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Path is the database file's path (for PostgreSQL, its URL without the
// password).
func (db *DB) Path() string { return db.path }

// check confirms that the pragmas took effect on a connection.
func (db *DB) check(ctx context.Context) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return &OpenError{Path: db.path, Err: err}
	}
	defer conn.Close()
	var mode string
	var fk, sync int
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return &OpenError{Path: db.path, Err: err}
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return &OpenError{Path: db.path, Err: err}
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return &OpenError{Path: db.path, Err: err}
	}
	if !strings.EqualFold(mode, "wal") || fk != 1 || sync != 2 {
		return &OpenError{Path: db.path, Err: fmt.Errorf("pragmas not applied: journal_mode=%s foreign_keys=%d synchronous=%d", mode, fk, sync)}
	}
	return nil
}

// Version returns the schema version of the database (0 if empty).
func (db *DB) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

func (db *DB) migrate(ctx context.Context) error {
	ms, err := MigrationsFor(db.dialect)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY NOT NULL,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return &OpenError{Path: db.path, Err: err}
	}
	cur, err := db.Version(ctx)
	if err != nil {
		return &OpenError{Path: db.path, Err: err}
	}
	if know := ms[len(ms)-1].Version; cur > know {
		return &SchemaTooNewError{Path: db.path, Have: cur, Know: know}
	}
	applied := make(map[int]bool)
	rows, err := db.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return &OpenError{Path: db.path, Err: err}
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return &OpenError{Path: db.path, Err: err}
		}
		applied[v] = true
	}
	rows.Close()
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			// Another process may have migrated meanwhile: re-check inside
			// the write lock.
			var done int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, FormatTime(time.Now()))
			return err
		})
		if err != nil {
			return &OpenError{Path: db.path, Err: fmt.Errorf("migration %s: %w", m.Name, err)}
		}
	}
	return nil
}

// Tx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it if fn
// returns nil; otherwise, or if fn panics, it rolls back.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	defer func() { err = db.wrapLost(err) }()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := db.lockWriter(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if db.terminal != "" {
		txTerminal.Store(tx, db.terminal)
		defer txTerminal.Delete(tx)
	}
	if db.TxHook != nil {
		db.TxHook()
	}
	if err := run(tx, fn); err != nil {
		return err
	}
	db.committed()
	return nil
}

// run runs fn in tx and commits it if fn returns nil; otherwise, or if fn
// panics, it rolls back.
func run(tx *sql.Tx, fn func(*sql.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// BulkTx is Tx for large writes (a registry import): it runs on a
// connection of its own whose page cache may grow to cacheMiB mebibytes,
// so that a transaction touching many pages does not spill to the WAL and
// read them back. The connection's cache goes back to the default after.
//
// On PostgreSQL it is Tx on a connection of its own, so that CopyFrom can
// load rows within the transaction.
func (db *DB) BulkTx(ctx context.Context, cacheMiB int, fn func(*sql.Tx) error) (err error) {
	if db.dialect == Postgres {
		return db.bulkTxPostgres(ctx, fn)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var def int
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&def); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -cacheMiB*1024)); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", def))
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := run(tx, fn); err != nil {
		return err
	}
	db.committed()
	return nil
}

// OpenError is returned when the database cannot be opened or migrated.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string { return fmt.Sprintf("store: open %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *OpenError) Unwrap() error { return e.Err }

// UserMessage says what happened in Japanese.
func (e *OpenError) UserMessage() string {
	return "データベース（" + e.Path + "）を開けませんでした。ファイルの場所と書き込み権限を確認し、解決しない場合はシステム管理者に連絡してください。"
}

// SchemaTooNewError is returned when the file was written by a newer
// version of the application.
type SchemaTooNewError struct {
	Path       string
	Have, Know int
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("store: %s has schema version %d, this build knows up to %d", e.Path, e.Have, e.Know)
}

// UserMessage says what happened in Japanese.
func (e *SchemaTooNewError) UserMessage() string {
	return "データベースが新しい版のアプリケーションで作成されています。アプリケーションを最新版に更新してください。"
}
