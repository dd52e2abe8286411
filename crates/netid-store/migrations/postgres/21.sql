-- 21: security events (see the SQLite script). `seq` is set by the store to the last plus one
-- under the writers' lock, as the chain needs: an identity column would skip values.
CREATE TABLE security_events (
    seq BIGINT CONSTRAINT security_events_pkey PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);
CREATE INDEX security_events_at ON security_events (at);
