-- PostgreSQL: as migrations/0004_security.sql.
-- Sign-in failures per attempted staff ID, whether or not an account has
-- that ID, so that an unknown ID is answered, counted and locked exactly
-- like a real one (staff IDs cannot be discovered by trying them). The
-- staff table's failed_attempts and locked_until are no longer used.
CREATE TABLE signin_failures (
    id           TEXT PRIMARY KEY NOT NULL,
    failed       INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT NOT NULL DEFAULT '',
    last_at      TEXT NOT NULL
);
INSERT INTO signin_failures (id, failed, locked_until, last_at)
    SELECT id, failed_attempts, locked_until, password_changed_at FROM staff
    WHERE failed_attempts > 0 OR locked_until <> '';
UPDATE staff SET failed_attempts = 0, locked_until = '';

-- Set when a supervisor resets a password to a temporary one: the staff
-- member must choose a new password at the next sign-in.
ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
