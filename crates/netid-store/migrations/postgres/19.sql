-- 19: the transparency log without a global lock (see the SQLite script), and holder ids
-- from a sequence: enrollments of two nodes run at once, so `MAX(id) + 1` would collide.
CREATE TABLE log_sequence (
    id INTEGER CONSTRAINT log_sequence_pkey PRIMARY KEY CONSTRAINT log_sequence_id_check CHECK (id = 0),
    next BIGINT NOT NULL
);
INSERT INTO log_sequence (id, next) SELECT 0, COALESCE(MAX(idx) + 1, 0) FROM log_entries;
CREATE TABLE log_tiles (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hashes BYTEA NOT NULL,
    CONSTRAINT log_tiles_pkey PRIMARY KEY (level, idx)
);
CREATE TABLE log_integration (
    id INTEGER CONSTRAINT log_integration_pkey PRIMARY KEY CONSTRAINT log_integration_id_check CHECK (id = 0),
    size BIGINT NOT NULL,
    lease_holder TEXT,
    lease_until BIGINT NOT NULL
);
INSERT INTO log_integration (id, size, lease_until) VALUES (0, 0, 0);
CREATE SEQUENCE holders_id_seq;
SELECT setval('holders_id_seq', COALESCE((SELECT MAX(id) FROM holders), 0) + 1, false);
