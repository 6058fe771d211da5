-- 0001 (PostgreSQL): the initial schema, as migrations/0001_initial.sql
-- with PostgreSQL types; the search keys sort bytewise (COLLATE "C") so
-- that prefix ranges mean what they mean on SQLite.
-- Times are UTC text in store.TimeFormat (fixed
-- width, so they sort and compare as strings); dates are YYYY-MM-DD.

-- The resident registry (住民基本台帳), as imported from the municipal system.
CREATE TABLE residents (
    code              TEXT COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(code) = 11), -- 住民コード
    family_name       TEXT NOT NULL,                                       -- 氏
    given_name        TEXT NOT NULL,                                       -- 名
    family_kana       TEXT NOT NULL,                                       -- 氏 ふりがな
    given_kana        TEXT NOT NULL,                                       -- 名 ふりがな
    birth             TEXT COLLATE "C" NOT NULL,                                       -- 生年月日
    sex               INTEGER NOT NULL CHECK (sex IN (1, 2, 3)),           -- 性別
    address           TEXT NOT NULL,                                       -- 住所
    status            INTEGER NOT NULL CHECK (status BETWEEN 1 AND 4),     -- 住民/転出/死亡/消除
    registered_on     TEXT NOT NULL DEFAULT '',                            -- 住民となった日
    status_changed_on TEXT NOT NULL DEFAULT '',                            -- 異動日
    kana_key          TEXT COLLATE "C" NOT NULL, -- family+given ふりがな, normalised, no spaces
    given_kana_key    TEXT COLLATE "C" NOT NULL, -- given ふりがな, normalised (a filter, not indexed)
    name_key          TEXT COLLATE "C" NOT NULL, -- family+given, normalised, variants folded
    updated_at        TEXT NOT NULL
);
-- Unlike SQLite's WITHOUT ROWID tables, an index here does not carry the
-- primary key: code is added so that each gives the searches' ORDER BY
-- (key, code) and the LIMIT stops the scan early.
CREATE INDEX residents_kana ON residents (kana_key, code);
CREATE INDEX residents_birth ON residents (birth, kana_key, code);
CREATE INDEX residents_name ON residents (name_key, code);

-- Staff accounts. Passwords are argon2id hashes in PHC string form.
CREATE TABLE staff (
    id                  TEXT PRIMARY KEY NOT NULL,
    display_name        TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor')),
    password_hash       TEXT NOT NULL,
    failed_attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until        TEXT NOT NULL DEFAULT '',
    disabled            INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

-- Counter sessions (issuance, renewal, revocation, PIN reset): the durable
-- state of the state machine. Nothing secret is stored here.
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    resident_code   TEXT NOT NULL REFERENCES residents (code),
    clerk           TEXT NOT NULL REFERENCES staff (id),
    state           TEXT NOT NULL,
    outcome         TEXT NOT NULL DEFAULT '', -- '', completed, abandoned, failed
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT NOT NULL DEFAULT '',
    application     TEXT NOT NULL DEFAULT '', -- JSON of the form
    identity        TEXT NOT NULL DEFAULT '', -- JSON of the identity check (masked numbers)
    card_id         TEXT NOT NULL DEFAULT '',
    public_key      BYTEA,                     -- PKIX DER of the on-card key
    csr             BYTEA,                     -- PKCS#10 DER, signed on the card
    cert_serial     TEXT NOT NULL DEFAULT '', -- the certificate this session issued
    target_serial   TEXT NOT NULL DEFAULT '', -- the certificate it revokes or resets
    reason          TEXT NOT NULL DEFAULT ''  -- why it was abandoned or failed
);
CREATE INDEX sessions_open ON sessions (outcome, updated_at);
CREATE INDEX sessions_created ON sessions (created_at);
CREATE INDEX sessions_resident ON sessions (resident_code);

-- The step journal: one row per committed transition.
CREATE TABLE session_steps (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    seq        INTEGER NOT NULL,
    state      TEXT NOT NULL,
    at         TEXT NOT NULL,
    staff      TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (session_id, seq)
);

-- Certificates issued by the prefecture through this counter.
CREATE TABLE certificates (
    serial            TEXT PRIMARY KEY NOT NULL, -- lower-case hex
    resident_code     TEXT NOT NULL REFERENCES residents (code),
    session_id        TEXT NOT NULL REFERENCES sessions (id),
    clerk             TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('issued', 'valid', 'revoked')),
    issued_at         TEXT NOT NULL,
    not_before        TEXT NOT NULL,
    not_after         TEXT NOT NULL,
    delivered_at      TEXT NOT NULL DEFAULT '',
    revoked_at        TEXT NOT NULL DEFAULT '',
    revoke_reason     TEXT NOT NULL DEFAULT '',
    der               BYTEA NOT NULL,
    chain             BYTEA                       -- concatenated DER of the issuer chain
);
CREATE INDEX certificates_resident ON certificates (resident_code, status);
CREATE INDEX certificates_issued ON certificates (issued_at);

-- The audit trail: append-only, each row chained to the previous by SHA-256.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY NOT NULL,
    at         TEXT NOT NULL,
    staff      TEXT NOT NULL,
    action     TEXT NOT NULL,
    session_id TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    prev_hash  BYTEA NOT NULL,
    hash       BYTEA NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
-- audit_head holds the last row's sequence number and hash, so that rows
-- cut off the end of the log are detected too.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
