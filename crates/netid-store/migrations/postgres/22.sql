-- 22: the kind of legal basis of each operator read (see the SQLite script).
ALTER TABLE operator_reads ADD COLUMN basis_kind TEXT;
