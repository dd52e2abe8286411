-- 12: platforms' OpenID Connect client settings.
CREATE TABLE oidc_clients (
    client_id TEXT CONSTRAINT oidc_clients_pkey PRIMARY KEY
        CONSTRAINT oidc_clients_client_id_fkey REFERENCES platforms(client_id),
    redirect_uris TEXT NOT NULL,
    jwks TEXT NOT NULL,
    id_token_alg TEXT NOT NULL CONSTRAINT oidc_clients_id_token_alg_check
        CHECK (id_token_alg IN ('ES256', 'SM2SM3')),
    updated_at BIGINT NOT NULL
);
