-- PostgreSQL: as migrations/0006_terminal.sql, except that a new row
-- names its terminal by default: the connection's application_name, which
-- store.Open sets to the terminal's name (rows already there keep '').
ALTER TABLE sessions ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ALTER COLUMN terminal SET DEFAULT current_setting('application_name');
ALTER TABLE session_steps ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE session_steps ALTER COLUMN terminal SET DEFAULT current_setting('application_name');
ALTER TABLE certificates ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE certificates ALTER COLUMN terminal SET DEFAULT current_setting('application_name');
ALTER TABLE audit_log ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ALTER COLUMN terminal SET DEFAULT current_setting('application_name');
ALTER TABLE notices ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ALTER COLUMN terminal SET DEFAULT current_setting('application_name');
ALTER TABLE signin_failures ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE signin_failures ALTER COLUMN terminal SET DEFAULT current_setting('application_name');
ALTER TABLE sessions ADD COLUMN lease_terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_terminal ON sessions (terminal, created_at);
