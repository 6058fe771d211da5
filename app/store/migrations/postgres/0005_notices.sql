-- PostgreSQL: as migrations/0005_notices.sql.
-- 0005: the outbox of change notices (異動等情報) to the prefecture CA. A
-- registry import writes one row per certificate its changes revoke, in
-- the import's own transaction; the background sender delivers it.
CREATE TABLE notices (
    id              TEXT PRIMARY KEY NOT NULL,  -- random; the idempotency key sent to the CA
    serial          TEXT NOT NULL UNIQUE,       -- the certificate (lower-case hex): one notice per certificate
    resident_code   TEXT NOT NULL,
    kind            TEXT NOT NULL,              -- prefecture.NoticeKind wire name
    cause           TEXT NOT NULL DEFAULT '',   -- what changed, in Japanese (never the new values)
    changed_on      TEXT NOT NULL DEFAULT '',   -- 異動日, YYYY-MM-DD, if the file gave one
    import_sha256   TEXT NOT NULL DEFAULT '',   -- the import that found the change
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    sent_at         TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',   -- the CA's reason, or why it could not be reached
    result          TEXT NOT NULL DEFAULT ''    -- revoked serials and reasons: "serial:reason ..."
);
CREATE INDEX notices_due ON notices (state, next_attempt_at);
CREATE INDEX notices_created ON notices (created_at);
