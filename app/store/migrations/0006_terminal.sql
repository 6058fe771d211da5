-- 0006: which terminal wrote each row, for an office database shared by
-- several counters (on a terminal's own SQLite file it stays ''), and the
-- lease of an open session: the terminal working on it and until when
-- (store.TimeFormat); another terminal takes it over only after that time
-- or with a supervisor's confirmation.
ALTER TABLE sessions ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN lease_terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
ALTER TABLE session_steps ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE certificates ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE signin_failures ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_terminal ON sessions (terminal, created_at);
