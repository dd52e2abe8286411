-- 23: operators' second factor (issue 23): passkeys, the one challenge an operator has at a
-- time, a one-time enrollment code a security administrator gives for a first passkey, and
-- until when the operator's last passkey confirmation holds.
CREATE TABLE operator_passkeys (
    credential_id BLOB PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (operator_id),
    spki BLOB NOT NULL,
    sign_count INTEGER NOT NULL,
    added_at INTEGER NOT NULL
) STRICT;
CREATE INDEX operator_passkeys_operator ON operator_passkeys (operator_id);
CREATE TABLE operator_second_factors (
    operator_id TEXT PRIMARY KEY REFERENCES operators (operator_id),
    challenge TEXT,
    challenge_expires_at INTEGER,
    code_digest TEXT,
    code_expires_at INTEGER,
    verified_until INTEGER NOT NULL
) STRICT;
