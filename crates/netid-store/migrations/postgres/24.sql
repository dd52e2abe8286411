-- 24: a holder's lock (see the SQLite script).
ALTER TABLE holders ADD COLUMN locked_at BIGINT;
