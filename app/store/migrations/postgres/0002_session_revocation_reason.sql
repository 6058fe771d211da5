-- PostgreSQL: as migrations/0002_session_revocation_reason.sql.
-- 0002: the reason a revocation session asks for, kept so that a
-- revocation interrupted after it was sent is resent with the same reason.
ALTER TABLE sessions ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';
