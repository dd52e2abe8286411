-- 19: the transparency log without a global lock (issue 22). A counter row hands out entry
-- indexes (moved once per transaction, as its last statement for grouped writes), the tree is
-- kept as C2SP tiles, and one integrator at a time (a lease, made safe by a compare-and-swap
-- on `size`) extends the tiles and signs checkpoints.
CREATE TABLE log_sequence (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    next INTEGER NOT NULL
) STRICT;
INSERT INTO log_sequence (id, next) SELECT 0, COALESCE(MAX(idx) + 1, 0) FROM log_entries;
CREATE TABLE log_tiles (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT;
CREATE TABLE log_integration (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    size INTEGER NOT NULL,
    lease_holder TEXT,
    lease_until INTEGER NOT NULL
) STRICT;
INSERT INTO log_integration (id, size, lease_until) VALUES (0, 0, 0);
