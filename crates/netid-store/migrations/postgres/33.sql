-- 33: signals to platforms (see the SQLite script).
CREATE TABLE signal_streams (
    client_id TEXT CONSTRAINT signal_streams_pkey PRIMARY KEY REFERENCES platforms (client_id),
    stream_id TEXT NOT NULL CONSTRAINT signal_streams_stream_id_key UNIQUE,
    delivery TEXT NOT NULL CONSTRAINT signal_streams_delivery_check
        CHECK (delivery IN ('push', 'poll')),
    endpoint_url TEXT,
    sealed_authorization BYTEA,
    events_requested TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL CONSTRAINT signal_streams_status_check
        CHECK (status IN ('enabled', 'paused', 'disabled')),
    updated_at BIGINT NOT NULL
);
CREATE TABLE signals (
    jti TEXT CONSTRAINT signals_pkey PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES platforms (client_id),
    holder_id BIGINT REFERENCES holders (id),
    event TEXT NOT NULL,
    token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT
);
CREATE INDEX signals_due ON signals (next_attempt_at);
CREATE INDEX signals_by_platform ON signals (client_id, created_at);
CREATE INDEX signals_holder ON signals (holder_id);
