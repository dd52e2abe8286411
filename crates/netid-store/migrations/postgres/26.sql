-- 26: the notice a holder accepted (see the SQLite script).
ALTER TABLE holders ADD COLUMN notice_version TEXT;
ALTER TABLE holders ADD COLUMN notice_accepted_at BIGINT;
