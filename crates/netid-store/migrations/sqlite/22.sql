-- 22: the kind of legal basis of each operator read, from a fixed catalogue, for the public
-- counts per basis (NULL for reads from before it).
ALTER TABLE operator_reads ADD COLUMN basis_kind TEXT;
