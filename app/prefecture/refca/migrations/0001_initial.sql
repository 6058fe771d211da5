-- The reference CA's store: every issued certificate, revoked terminals,
-- the nonces of RA-signed requests, change notices, and counters.
-- Times are Unix seconds (UTC); serials are lowercase hexadecimal.

CREATE TABLE certificates (
    serial        TEXT    PRIMARY KEY,
    spki_sha256   BLOB    NOT NULL UNIQUE,  -- one certificate per public key
    items_sha256  BLOB    NOT NULL,         -- the six subjectAltName items
    holder        BLOB    NOT NULL,         -- the four basic items: one valid certificate per holder
    municipality  TEXT    NOT NULL,         -- the issuing RA's municipality code
    terminal      TEXT    NOT NULL,         -- the issuing RA's terminal name
    ra_serial     TEXT    NOT NULL,
    issued_at     INTEGER NOT NULL,
    not_after     INTEGER NOT NULL,
    der           BLOB    NOT NULL,
    revoked_at    INTEGER,
    reason        TEXT,                     -- prefecture.Reason wire name
    revoked_by    TEXT                      -- RA serial, or 'ca'
) STRICT;

CREATE INDEX certificates_valid_by_holder ON certificates (holder) WHERE revoked_at IS NULL;
CREATE INDEX certificates_revoked ON certificates (municipality, not_after) WHERE revoked_at IS NOT NULL;

CREATE TABLE revoked_terminals (
    serial      TEXT    PRIMARY KEY,        -- RA certificate serial
    revoked_at  INTEGER NOT NULL,
    note        TEXT    NOT NULL
) STRICT;

CREATE TABLE nonces (
    ra_serial    TEXT    NOT NULL,
    nonce        TEXT    NOT NULL,
    body_sha256  BLOB    NOT NULL,
    seen_at      INTEGER NOT NULL,
    PRIMARY KEY (ra_serial, nonce)
) STRICT;

CREATE TABLE notices (
    id           INTEGER PRIMARY KEY,
    received_at  INTEGER NOT NULL,
    ra_serial    TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    serial       TEXT    NOT NULL
) STRICT;

CREATE TABLE counters (
    name   TEXT    PRIMARY KEY,
    value  INTEGER NOT NULL
) STRICT;

INSERT INTO counters (name, value) VALUES ('crl_number', 0);
