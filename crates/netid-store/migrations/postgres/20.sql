-- 20: named operators and the acts a second operator approves (see the SQLite script).
CREATE TABLE operators (
    operator_id TEXT CONSTRAINT operators_pkey PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    public_key TEXT NOT NULL,
    key_thumbprint TEXT NOT NULL CONSTRAINT operators_key_thumbprint_key UNIQUE,
    added_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE TABLE operator_acts (
    request_id TEXT CONSTRAINT operator_acts_pkey PRIMARY KEY,
    act TEXT NOT NULL,
    sealed_body BYTEA NOT NULL,
    requested_by TEXT NOT NULL CONSTRAINT operator_acts_requested_by_fkey REFERENCES operators (operator_id),
    requested_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT CONSTRAINT operator_acts_decided_by_fkey REFERENCES operators (operator_id),
    decided_at BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX operator_acts_requested_at ON operator_acts (requested_at);
DROP TABLE operator_credentials;
