-- 23: operators' second factor (see the SQLite script).
CREATE TABLE operator_passkeys (
    credential_id BYTEA CONSTRAINT operator_passkeys_pkey PRIMARY KEY,
    operator_id TEXT NOT NULL CONSTRAINT operator_passkeys_operator_id_fkey
        REFERENCES operators (operator_id),
    spki BYTEA NOT NULL,
    sign_count BIGINT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX operator_passkeys_operator ON operator_passkeys (operator_id);
CREATE TABLE operator_second_factors (
    operator_id TEXT CONSTRAINT operator_second_factors_pkey PRIMARY KEY
        CONSTRAINT operator_second_factors_operator_id_fkey REFERENCES operators (operator_id),
    challenge TEXT,
    challenge_expires_at BIGINT,
    code_digest TEXT,
    code_expires_at BIGINT,
    verified_until BIGINT NOT NULL
);
