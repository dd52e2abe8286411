-- 12: platforms' OpenID Connect client settings.
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY REFERENCES platforms(client_id),
    redirect_uris TEXT NOT NULL,
    jwks TEXT NOT NULL,
    id_token_alg TEXT NOT NULL CHECK (id_token_alg IN ('ES256', 'SM2SM3')),
    updated_at INTEGER NOT NULL
) STRICT;
