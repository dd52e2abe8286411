-- 1: issue 4, the first schema.
CREATE TABLE service_keys (
    name TEXT PRIMARY KEY,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE operator_credentials (
    id INTEGER PRIMARY KEY,
    credential_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE authorities (
    name TEXT PRIMARY KEY,
    suite TEXT NOT NULL,
    public_key_spki BLOB NOT NULL,
    registered_at INTEGER NOT NULL
) STRICT;
CREATE TABLE roster_records (
    document_index BLOB PRIMARY KEY,
    authority TEXT NOT NULL REFERENCES authorities(name),
    person_index BLOB NOT NULL,
    sealed BLOB NOT NULL,
    loaded_at INTEGER NOT NULL
) STRICT;
CREATE INDEX roster_records_by_authority ON roster_records(authority);
CREATE TABLE holders (
    id INTEGER PRIMARY KEY,
    net_id TEXT NOT NULL UNIQUE,
    person_index BLOB NOT NULL UNIQUE,
    wallet_key_fingerprint BLOB NOT NULL UNIQUE,
    wallet_key_spki BLOB NOT NULL,
    wallet_key_suite TEXT NOT NULL,
    wrapped_data_key BLOB NOT NULL,
    sealed_personal BLOB NOT NULL,
    enrolled_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE TABLE retired_wallet_keys (
    holder_id INTEGER NOT NULL REFERENCES holders(id),
    wallet_key_fingerprint BLOB NOT NULL,
    wallet_key_spki BLOB NOT NULL,
    wallet_key_suite TEXT NOT NULL,
    retired_at INTEGER NOT NULL,
    PRIMARY KEY (holder_id, wallet_key_fingerprint)
) STRICT;
CREATE TABLE guardianships (
    minor_id INTEGER NOT NULL REFERENCES holders(id),
    guardian_id INTEGER NOT NULL REFERENCES holders(id),
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (minor_id, guardian_id)
) STRICT;
CREATE TABLE platforms (
    client_id TEXT PRIMARY KEY,
    credential_hash BLOB NOT NULL,
    sector TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    registered_at INTEGER NOT NULL
) STRICT;
CREATE TABLE used_enrollment_codes (
    code_index BLOB PRIMARY KEY,
    person_index BLOB NOT NULL,
    used_at INTEGER NOT NULL
) STRICT;
CREATE TABLE used_presentation_nonces (
    client_id TEXT NOT NULL REFERENCES platforms(client_id),
    nonce_index BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, nonce_index)
) STRICT;
CREATE INDEX used_presentation_nonces_by_expiry ON used_presentation_nonces(expires_at);
