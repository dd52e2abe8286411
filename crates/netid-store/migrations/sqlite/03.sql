-- 3: issue 7, the transparency log. `idx` is the leaf index (from 0, no gaps: appends
-- take MAX + 1 inside the writing transaction). `holder_id` lets the service find a
-- holder's own entries for them; it is not part of the leaf, which carries only a tag.
CREATE TABLE log_entries (
    idx INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL,
    holder_id INTEGER REFERENCES holders(id)
) STRICT;
CREATE INDEX log_entries_by_holder ON log_entries(holder_id) WHERE holder_id IS NOT NULL;
CREATE TABLE log_checkpoints (
    size INTEGER PRIMARY KEY,
    note TEXT NOT NULL,
    signed_at INTEGER NOT NULL
) STRICT;
