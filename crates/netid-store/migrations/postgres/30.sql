-- 30: when the holder's alert of an operator read was sent (see the SQLite script).
ALTER TABLE operator_reads ADD COLUMN alerted_at BIGINT;
