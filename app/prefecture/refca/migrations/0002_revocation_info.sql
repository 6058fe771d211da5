-- Revocation information (失効情報) for registered verifiers: the
-- partitioned revocation index behind the CRLs, OCSP and 現況確認, the
-- verifier registry (届出) and the fetch log.

-- Every municipality that has certificates, with the number of serial
-- shards its CRL is split into. Fixed at the municipality's first
-- issuance: certificates name their partition in their CRL distribution
-- point, so a municipality's shard count never changes.
CREATE TABLE crl_municipalities (
    code    TEXT    PRIMARY KEY,
    shards  INTEGER NOT NULL CHECK (shards BETWEEN 1 AND 4096)
) STRICT;

-- One row per revoked certificate, clustered by partition so that a full
-- CRL run reads the table in one pass. seq orders the changes (delta CRLs,
-- changes since a time).
CREATE TABLE revocations (
    municipality  TEXT    NOT NULL,
    shard         INTEGER NOT NULL,
    serial        TEXT    NOT NULL,        -- lowercase hex
    revoked_at    INTEGER NOT NULL,
    reason        TEXT    NOT NULL,        -- prefecture.Reason wire name
    not_after     INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    PRIMARY KEY (municipality, shard, serial)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX revocations_by_serial ON revocations (serial);
CREATE INDEX revocations_by_seq ON revocations (seq);
CREATE INDEX revocations_by_time ON revocations (revoked_at);

-- Certificates issued before this migration name the municipality CRL;
-- they are indexed in shard 0 of a one-shard partitioning.
INSERT INTO crl_municipalities (code, shards)
    SELECT DISTINCT municipality, 1 FROM certificates;
INSERT INTO revocations (municipality, shard, serial, revoked_at, reason, not_after, seq)
    SELECT municipality, 0, serial, revoked_at, reason, not_after,
           row_number() OVER (ORDER BY revoked_at, serial)
    FROM certificates WHERE revoked_at IS NOT NULL;

-- The last full CRL run: every partition's complete CRL carries its number
-- and covers the changes up to seq.
CREATE TABLE crl_runs (
    number       INTEGER PRIMARY KEY,
    this_update  INTEGER NOT NULL,
    next_update  INTEGER NOT NULL,
    seq          INTEGER NOT NULL
) STRICT;

-- Registered verifiers (失効情報の提供を受ける者, art. 17).
CREATE TABLE verifiers (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    members      TEXT    NOT NULL DEFAULT '[]',  -- JSON array, for federations (art. 17(5))
    cert_serial  TEXT    NOT NULL UNIQUE,        -- the access certificate's serial, lowercase hex
    cert_der     BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    removed_at   INTEGER,
    removed_note TEXT
) STRICT;

-- Every request for revocation information, granted or refused.
CREATE TABLE fetch_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,  -- Unix milliseconds
    verifier_id  INTEGER,           -- NULL when the client is not a registered verifier
    client       TEXT    NOT NULL,  -- verifier name or the client certificate's subject
    what         TEXT    NOT NULL,
    granted      INTEGER NOT NULL,
    detail       TEXT    NOT NULL
) STRICT;

CREATE INDEX fetch_log_by_time ON fetch_log (at);
