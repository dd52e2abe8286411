-- 18: the short-lived values of flows (OpenID Connect requests, codes and tokens; the web
-- app's sign-in challenges, passkey links and sessions), kept in the database with their
-- expiry so that any node answers any step. Each is held for an owner (a platform, a holder,
-- a source address), who may hold only so many; holder_id links a holder's values so that
-- deletion and recovery remove them.
CREATE TABLE pending_values (
    kind TEXT NOT NULL CHECK (kind IN ('oidc_request', 'oidc_code', 'oidc_token',
        'web_challenge', 'web_link', 'web_session')),
    pending_key TEXT NOT NULL,
    owner TEXT NOT NULL,
    holder_id INTEGER,
    value BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kind, pending_key)
) STRICT;
CREATE INDEX pending_values_owner ON pending_values (kind, owner, expires_at);
CREATE INDEX pending_values_holder ON pending_values (holder_id) WHERE holder_id IS NOT NULL;
CREATE INDEX pending_values_expiry ON pending_values (expires_at);
