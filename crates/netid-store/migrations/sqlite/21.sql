-- 21: security events, a hash chain kept for the stated retention (issue 23).
CREATE TABLE security_events (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
) STRICT;
CREATE INDEX security_events_at ON security_events (at);
