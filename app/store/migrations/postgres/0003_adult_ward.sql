-- PostgreSQL: as migrations/0003_adult_ward.sql.
-- 0003: 成年被後見人 as the registry carries it (1 = under adult
-- guardianship), for the signing certificate's eligibility. Registries
-- that do not carry it leave 0.
ALTER TABLE residents ADD COLUMN adult_ward INTEGER NOT NULL DEFAULT 0 CHECK (adult_ward IN (0, 1));
