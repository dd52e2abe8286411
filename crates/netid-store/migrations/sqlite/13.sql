-- 13: holders' passkeys for the web app.
CREATE TABLE passkeys (
    credential_id BLOB PRIMARY KEY,
    holder_id INTEGER NOT NULL REFERENCES holders(id),
    spki BLOB NOT NULL,
    sign_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX passkeys_by_holder ON passkeys(holder_id);
