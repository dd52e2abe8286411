-- 13: holders' passkeys for the web app.
CREATE TABLE passkeys (
    credential_id BYTEA CONSTRAINT passkeys_pkey PRIMARY KEY,
    holder_id BIGINT NOT NULL REFERENCES holders(id),
    spki BYTEA NOT NULL,
    sign_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX passkeys_by_holder ON passkeys(holder_id);
