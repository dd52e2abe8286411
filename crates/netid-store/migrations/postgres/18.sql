-- 18: the short-lived values of flows, shared by every node (see the SQLite script).
CREATE TABLE pending_values (
    kind TEXT NOT NULL CONSTRAINT pending_values_kind_check CHECK (kind IN ('oidc_request',
        'oidc_code', 'oidc_token', 'web_challenge', 'web_link', 'web_session')),
    pending_key TEXT NOT NULL,
    owner TEXT NOT NULL,
    holder_id BIGINT,
    value BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT pending_values_pkey PRIMARY KEY (kind, pending_key)
);
CREATE INDEX pending_values_owner ON pending_values (kind, owner, expires_at);
CREATE INDEX pending_values_holder ON pending_values (holder_id) WHERE holder_id IS NOT NULL;
CREATE INDEX pending_values_expiry ON pending_values (expires_at);
