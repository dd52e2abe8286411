-- 25: a centre that forgets (see the SQLite script).
ALTER TABLE log_entries ADD COLUMN linked_until BIGINT;
CREATE INDEX log_entries_linked_until ON log_entries(linked_until)
    WHERE linked_until IS NOT NULL;
CREATE TABLE use_link_keys (
    forget_at BIGINT CONSTRAINT use_link_keys_pkey PRIMARY KEY,
    sealed BYTEA NOT NULL
);
