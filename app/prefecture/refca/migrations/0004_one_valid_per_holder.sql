-- 0004: the database itself enforces "one valid certificate per holder"
-- (the issuing transaction revokes the previous one as superseded before
-- it inserts the new one). It replaces the plain index on the same rows.
DROP INDEX IF EXISTS certificates_valid_by_holder;
CREATE UNIQUE INDEX certificates_one_valid_per_holder ON certificates (holder) WHERE revoked_at IS NULL;
-- And no revocation sequence number twice: delta CRLs, OCSP refreshes and
-- 現況確認 read the changes in seq order.
DROP INDEX IF EXISTS revocations_by_seq;
CREATE UNIQUE INDEX revocations_by_seq ON revocations (seq);
