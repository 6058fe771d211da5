-- 0003: idempotency keys of change notices, as ../0003_notice_keys.sql.
CREATE TABLE IF NOT EXISTS notice_keys (
    municipality  TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    serial        TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    response      BYTEA   NOT NULL,
    received_at   BIGINT  NOT NULL,
    PRIMARY KEY (municipality, key)
);
