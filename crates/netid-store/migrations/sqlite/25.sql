-- 25: a centre that forgets (issue 24). A verification's and a disclosure's entries stay
-- linked to their holder (holder_id) only until linked_until; then the link goes and the key
-- their tags were made with is destroyed: the public entry stays, no one can tell whose.
-- use_link_keys holds one random key a day (sealed under the master key), for the entries
-- whose link ends at forget_at.
ALTER TABLE log_entries ADD COLUMN linked_until INTEGER;
CREATE INDEX log_entries_linked_until ON log_entries(linked_until)
    WHERE linked_until IS NOT NULL;
CREATE TABLE use_link_keys (
    forget_at INTEGER PRIMARY KEY,
    sealed BLOB NOT NULL
);
