-- 35: OpenID for Verifiable Credential Issuance (issue 26). Two more kinds of short-lived
-- values: a credential offer's pre-authorized code, and the access token it is exchanged for.
-- SQLite cannot change a CHECK constraint, so the table is made anew with its rows.
CREATE TABLE pending_values_35 (
    kind TEXT NOT NULL CHECK (kind IN ('oidc_request', 'oidc_code', 'oidc_token',
        'web_challenge', 'web_link', 'web_session', 'vci_offer', 'vci_token')),
    pending_key TEXT NOT NULL,
    owner TEXT NOT NULL,
    holder_id INTEGER,
    value BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kind, pending_key)
) STRICT;
INSERT INTO pending_values_35 (kind, pending_key, owner, holder_id, value, expires_at)
    SELECT kind, pending_key, owner, holder_id, value, expires_at FROM pending_values;
DROP TABLE pending_values;
ALTER TABLE pending_values_35 RENAME TO pending_values;
CREATE INDEX pending_values_owner ON pending_values (kind, owner, expires_at);
CREATE INDEX pending_values_holder ON pending_values (holder_id) WHERE holder_id IS NOT NULL;
CREATE INDEX pending_values_expiry ON pending_values (expires_at);
