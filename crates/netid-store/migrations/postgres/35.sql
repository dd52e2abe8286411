-- 35: OpenID for Verifiable Credential Issuance (see the SQLite script).
ALTER TABLE pending_values DROP CONSTRAINT pending_values_kind_check;
ALTER TABLE pending_values ADD CONSTRAINT pending_values_kind_check CHECK (kind IN (
    'oidc_request', 'oidc_code', 'oidc_token', 'web_challenge', 'web_link', 'web_session',
    'vci_offer', 'vci_token'));
