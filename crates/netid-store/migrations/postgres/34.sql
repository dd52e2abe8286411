-- 34: receipts of deletion (see the SQLite script).
CREATE TABLE signal_receipts (
    reference TEXT CONSTRAINT signal_receipts_pkey PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES platforms (client_id),
    holder_id BIGINT REFERENCES holders (id),
    event TEXT NOT NULL,
    acknowledged_at BIGINT NOT NULL,
    deleted TEXT,
    received_at BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX signal_receipts_holder ON signal_receipts (holder_id);
CREATE INDEX signal_receipts_expiry ON signal_receipts (expires_at);
