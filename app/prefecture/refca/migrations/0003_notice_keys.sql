-- 0003: idempotency keys of change notices. A notice sent again with the
-- same key (a terminal retrying after a lost answer or a crash) gets the
-- first answer back and is not applied, nor recorded, a second time.
CREATE TABLE IF NOT EXISTS notice_keys (
    municipality  TEXT    NOT NULL,  -- the sending RA's municipality code
    key           TEXT    NOT NULL,  -- prefecture.Request.Key
    serial        TEXT    NOT NULL,  -- the certificate the notice named
    kind          TEXT    NOT NULL,  -- prefecture.NoticeKind wire name
    response      BLOB    NOT NULL,  -- the JSON answer given the first time
    received_at   INTEGER NOT NULL,
    PRIMARY KEY (municipality, key)
) STRICT;
