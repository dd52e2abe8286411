ALTER TABLE oidc_clients ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'private_key_jwt'
    CONSTRAINT oidc_clients_auth_method_check
    CHECK (auth_method IN ('private_key_jwt', 'tls_client_auth'));
