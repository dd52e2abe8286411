-- 14: how an OpenID Connect client authenticates: its one registered method (RFC 8705 §2).
ALTER TABLE oidc_clients ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'private_key_jwt'
    CHECK (auth_method IN ('private_key_jwt', 'tls_client_auth'));
