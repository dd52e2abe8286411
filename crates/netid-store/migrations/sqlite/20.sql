-- 20: named operators with one role each, the acts a second operator approves (issue 23),
-- and the end of the anonymous bearer credential.
CREATE TABLE operators (
    operator_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    public_key TEXT NOT NULL,
    key_thumbprint TEXT NOT NULL UNIQUE,
    added_at INTEGER NOT NULL,
    retired_at INTEGER
) STRICT;
CREATE TABLE operator_acts (
    request_id TEXT PRIMARY KEY,
    act TEXT NOT NULL,
    sealed_body BLOB NOT NULL,
    requested_by TEXT NOT NULL REFERENCES operators (operator_id),
    requested_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT REFERENCES operators (operator_id),
    decided_at INTEGER,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX operator_acts_requested_at ON operator_acts (requested_at);
DROP TABLE operator_credentials;
