-- 33: signals to platforms (issue 25; OpenID Shared Signals Framework 1.0). One stream per
-- platform: push (RFC 8935, to its endpoint) or poll (RFC 8936). Each signal is a signed
-- Security Event Token addressed by the platform's own pseudonym, kept until the platform
-- acknowledges it or its time runs out, then removed.
CREATE TABLE signal_streams (
    client_id TEXT PRIMARY KEY REFERENCES platforms (client_id),
    stream_id TEXT NOT NULL UNIQUE,
    delivery TEXT NOT NULL CHECK (delivery IN ('push', 'poll')),
    endpoint_url TEXT,
    sealed_authorization BLOB,
    events_requested TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL CHECK (status IN ('enabled', 'paused', 'disabled')),
    updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE signals (
    jti TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES platforms (client_id),
    holder_id INTEGER REFERENCES holders (id),
    event TEXT NOT NULL,
    token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_until INTEGER
) STRICT;
CREATE INDEX signals_due ON signals (next_attempt_at);
CREATE INDEX signals_by_platform ON signals (client_id, created_at);
CREATE INDEX signals_holder ON signals (holder_id);
