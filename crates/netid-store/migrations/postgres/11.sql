-- 11: SQLite's migrations 1 to 11 in one (see the module documentation).
CREATE TABLE service_keys (
    name TEXT CONSTRAINT service_keys_pkey PRIMARY KEY,
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE operator_credentials (
    id BIGINT CONSTRAINT operator_credentials_pkey PRIMARY KEY,
    credential_hash BYTEA NOT NULL CONSTRAINT operator_credentials_credential_hash_key UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE authorities (
    name TEXT CONSTRAINT authorities_pkey PRIMARY KEY,
    suite TEXT NOT NULL,
    public_key_spki BYTEA NOT NULL,
    registered_at BIGINT NOT NULL,
    roster_issued_at TEXT
);
CREATE TABLE roster_records (
    document_index BYTEA CONSTRAINT roster_records_pkey PRIMARY KEY,
    authority TEXT NOT NULL REFERENCES authorities(name),
    person_index BYTEA NOT NULL,
    sealed BYTEA NOT NULL,
    loaded_at BIGINT NOT NULL
);
CREATE INDEX roster_records_by_authority ON roster_records(authority);
CREATE TABLE holders (
    id BIGINT CONSTRAINT holders_pkey PRIMARY KEY,
    legacy_net_id TEXT CONSTRAINT holders_legacy_net_id_key UNIQUE,
    net_id_index BYTEA CONSTRAINT holders_net_id_index_key UNIQUE,
    sealed_net_id BYTEA,
    person_index BYTEA NOT NULL CONSTRAINT holders_person_index_key UNIQUE,
    wallet_key_fingerprint BYTEA NOT NULL
        CONSTRAINT holders_wallet_key_fingerprint_key UNIQUE,
    wallet_key_spki BYTEA NOT NULL,
    wallet_key_suite TEXT NOT NULL,
    wrapped_data_key BYTEA NOT NULL,
    sealed_personal BYTEA NOT NULL,
    enrolled_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    CONSTRAINT holders_net_id_sealed_check
        CHECK ((net_id_index IS NULL) = (sealed_net_id IS NULL)),
    CONSTRAINT holders_net_id_present_check
        CHECK (legacy_net_id IS NOT NULL OR net_id_index IS NOT NULL)
);
CREATE TABLE retired_wallet_keys (
    holder_id BIGINT NOT NULL REFERENCES holders(id),
    wallet_key_fingerprint BYTEA NOT NULL,
    wallet_key_spki BYTEA NOT NULL,
    wallet_key_suite TEXT NOT NULL,
    retired_at BIGINT NOT NULL,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    CONSTRAINT retired_wallet_keys_pkey PRIMARY KEY (holder_id, wallet_key_fingerprint)
);
CREATE TABLE guardianships (
    minor_id BIGINT NOT NULL REFERENCES holders(id),
    guardian_id BIGINT NOT NULL REFERENCES holders(id),
    recorded_at BIGINT NOT NULL,
    CONSTRAINT guardianships_pkey PRIMARY KEY (minor_id, guardian_id)
);
CREATE TABLE platforms (
    client_id TEXT CONSTRAINT platforms_pkey PRIMARY KEY,
    credential_hash BYTEA NOT NULL,
    sector TEXT NOT NULL,
    name TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);
CREATE INDEX platforms_by_sector ON platforms(sector);
CREATE TABLE used_enrollment_codes (
    code_index BYTEA CONSTRAINT used_enrollment_codes_pkey PRIMARY KEY,
    person_index BYTEA NOT NULL,
    used_at BIGINT NOT NULL
);
CREATE TABLE used_presentation_nonces (
    client_id TEXT NOT NULL REFERENCES platforms(client_id),
    nonce_index BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT used_presentation_nonces_pkey PRIMARY KEY (client_id, nonce_index)
);
CREATE INDEX used_presentation_nonces_by_expiry ON used_presentation_nonces(expires_at);
CREATE TABLE log_entries (
    idx BIGINT CONSTRAINT log_entries_pkey PRIMARY KEY,
    leaf BYTEA NOT NULL,
    holder_id BIGINT REFERENCES holders(id)
);
CREATE INDEX log_entries_by_holder ON log_entries(holder_id) WHERE holder_id IS NOT NULL;
CREATE TABLE log_checkpoints (
    size BIGINT CONSTRAINT log_checkpoints_pkey PRIMARY KEY,
    note TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);
CREATE TABLE certificates (
    serial BYTEA CONSTRAINT certificates_pkey PRIMARY KEY,
    holder_id BIGINT REFERENCES holders(id),
    profile TEXT NOT NULL,
    der BYTEA NOT NULL,
    not_after BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT,
    reason TEXT,
    CONSTRAINT certificates_revocation_check CHECK ((revoked_at IS NULL) = (reason IS NULL))
);
CREATE INDEX certificates_by_holder ON certificates(holder_id) WHERE holder_id IS NOT NULL;
CREATE INDEX certificates_revoked ON certificates(revoked_at) WHERE revoked_at IS NOT NULL;
CREATE TABLE foreign_cas (
    name TEXT CONSTRAINT foreign_cas_pkey PRIMARY KEY,
    der BYTEA NOT NULL,
    qualification TEXT NOT NULL,
    certificate_type TEXT NOT NULL,
    technical_standard TEXT NOT NULL,
    scenarios TEXT NOT NULL,
    recognised_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE TABLE ca_generations (
    id BIGINT CONSTRAINT ca_generations_pkey PRIMARY KEY,
    key_name TEXT CONSTRAINT ca_generations_key_name_key UNIQUE,
    root BYTEA NOT NULL,
    issuing BYTEA NOT NULL,
    responder BYTEA NOT NULL,
    status TEXT NOT NULL CONSTRAINT ca_generations_status_check
        CHECK (status IN ('current', 'retired', 'inherited', 'handed_over')),
    final_crl BYTEA,
    handover BYTEA,
    changed_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ca_one_current ON ca_generations(status) WHERE status = 'current';
CREATE TABLE credentials (
    suite TEXT NOT NULL CONSTRAINT credentials_suite_check CHECK (suite IN ('gm', 'intl')),
    status_index BIGINT NOT NULL,
    holder_id BIGINT NOT NULL REFERENCES holders(id),
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    CONSTRAINT credentials_pkey PRIMARY KEY (suite, status_index)
);
CREATE INDEX credentials_by_holder ON credentials(holder_id);
CREATE INDEX credentials_revoked ON credentials(suite, expires_at)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX credentials_by_expiry ON credentials(expires_at);
CREATE TABLE platform_fields (
    client_id TEXT NOT NULL REFERENCES platforms(client_id),
    field TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    purpose TEXT NOT NULL,
    retention_days BIGINT NOT NULL,
    status TEXT NOT NULL CONSTRAINT platform_fields_status_check
        CHECK (status IN ('requested', 'approved', 'refused')),
    changed_at BIGINT NOT NULL,
    CONSTRAINT platform_fields_pkey PRIMARY KEY (client_id, field)
);
CREATE TABLE consents (
    holder_id BIGINT NOT NULL REFERENCES holders(id),
    client_id TEXT NOT NULL REFERENCES platforms(client_id),
    field TEXT NOT NULL,
    notice_version TEXT NOT NULL,
    given_at BIGINT NOT NULL,
    withdrawn_at BIGINT,
    signed_at BIGINT NOT NULL,
    CONSTRAINT consents_pkey PRIMARY KEY (holder_id, client_id, field)
);
CREATE TABLE operator_reads (
    log_index BIGINT CONSTRAINT operator_reads_pkey PRIMARY KEY REFERENCES log_entries(idx),
    holder_id BIGINT REFERENCES holders(id),
    fields TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    reference TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    deferral_ground TEXT CONSTRAINT operator_reads_deferral_ground_check
        CHECK (deferral_ground IN ('confidentiality', 'emergency')),
    deferral_basis TEXT,
    deferral_ends_at BIGINT,
    sealed_tag_key BYTEA,
    CONSTRAINT operator_reads_deferral_check
        CHECK ((deferral_ground IS NULL) = (deferral_ends_at IS NULL))
);
CREATE INDEX operator_reads_by_holder ON operator_reads(holder_id)
    WHERE holder_id IS NOT NULL;
