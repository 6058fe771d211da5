-- 0004: the database itself enforces "one valid certificate per holder"
-- (the issuing transaction revokes the previous one as superseded before
-- it inserts the new one). It replaces the plain index on the same rows.
DROP INDEX IF EXISTS certificates_valid_by_holder;
CREATE UNIQUE INDEX certificates_one_valid_per_holder ON certificates (holder) WHERE revoked_at IS NULL;
