//! Schema migrations, applied in order on open; `schema_version` records how far a database is.

/// Each entry migrates from version `index` to `index + 1`. Append only: never edit a
/// migration that has shipped.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: issue 4, the first schema.
    r#"
    CREATE TABLE service_keys (
        name TEXT PRIMARY KEY,
        sealed BLOB NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE operator_credentials (
        id INTEGER PRIMARY KEY,
        credential_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE authorities (
        name TEXT PRIMARY KEY,
        suite TEXT NOT NULL,
        public_key_spki BLOB NOT NULL,
        registered_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE roster_records (
        document_index BLOB PRIMARY KEY,
        authority TEXT NOT NULL REFERENCES authorities(name),
        person_index BLOB NOT NULL,
        sealed BLOB NOT NULL,
        loaded_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX roster_records_by_authority ON roster_records(authority);
    CREATE TABLE holders (
        id INTEGER PRIMARY KEY,
        net_id TEXT NOT NULL UNIQUE,
        person_index BLOB NOT NULL UNIQUE,
        wallet_key_fingerprint BLOB NOT NULL UNIQUE,
        wallet_key_spki BLOB NOT NULL,
        wallet_key_suite TEXT NOT NULL,
        wrapped_data_key BLOB NOT NULL,
        sealed_personal BLOB NOT NULL,
        enrolled_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE retired_wallet_keys (
        holder_id INTEGER NOT NULL REFERENCES holders(id),
        wallet_key_fingerprint BLOB NOT NULL,
        wallet_key_spki BLOB NOT NULL,
        wallet_key_suite TEXT NOT NULL,
        retired_at INTEGER NOT NULL,
        PRIMARY KEY (holder_id, wallet_key_fingerprint)
    ) STRICT;
    CREATE TABLE guardianships (
        minor_id INTEGER NOT NULL REFERENCES holders(id),
        guardian_id INTEGER NOT NULL REFERENCES holders(id),
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (minor_id, guardian_id)
    ) STRICT;
    CREATE TABLE platforms (
        client_id TEXT PRIMARY KEY,
        credential_hash BLOB NOT NULL,
        sector TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        registered_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE used_enrollment_codes (
        code_index BLOB PRIMARY KEY,
        person_index BLOB NOT NULL,
        used_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE used_presentation_nonces (
        client_id TEXT NOT NULL REFERENCES platforms(client_id),
        nonce_index BLOB NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, nonce_index)
    ) STRICT;
    CREATE INDEX used_presentation_nonces_by_expiry ON used_presentation_nonces(expires_at);
    "#,
    // 2: the issue date of each authority's loaded roster, so an older roster cannot be
    // replayed over a newer one.
    r#"
    ALTER TABLE authorities ADD COLUMN roster_issued_at TEXT;
    "#,
    // 3: issue 7, the transparency log. `idx` is the leaf index (from 0, no gaps: appends
    // take MAX + 1 inside the writing transaction). `holder_id` lets the service find a
    // holder's own entries for them; it is not part of the leaf, which carries only a tag.
    r#"
    CREATE TABLE log_entries (
        idx INTEGER PRIMARY KEY,
        leaf BLOB NOT NULL,
        holder_id INTEGER REFERENCES holders(id)
    ) STRICT;
    CREATE INDEX log_entries_by_holder ON log_entries(holder_id) WHERE holder_id IS NOT NULL;
    CREATE TABLE log_checkpoints (
        size INTEGER PRIMARY KEY,
        note TEXT NOT NULL,
        signed_at INTEGER NOT NULL
    ) STRICT;
    "#,
    // 4: the Net ID leaves the database in clear. `net_id_index` (a blind index) keeps it
    // unique and `sealed_net_id` holds it sealed under the master key. Rows from before keep
    // their Net ID in `legacy_net_id` until the service, which holds the keys, seals it on its
    // next start. SQLite cannot drop a UNIQUE column, so the table is rebuilt (the documented
    // procedure; migrations run with foreign keys off and are checked afterwards).
    r#"
    CREATE TABLE holders_v4 (
        id INTEGER PRIMARY KEY,
        legacy_net_id TEXT UNIQUE,
        net_id_index BLOB UNIQUE,
        sealed_net_id BLOB,
        person_index BLOB NOT NULL UNIQUE,
        wallet_key_fingerprint BLOB NOT NULL UNIQUE,
        wallet_key_spki BLOB NOT NULL,
        wallet_key_suite TEXT NOT NULL,
        wrapped_data_key BLOB NOT NULL,
        sealed_personal BLOB NOT NULL,
        enrolled_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        CHECK ((net_id_index IS NULL) = (sealed_net_id IS NULL)),
        CHECK (legacy_net_id IS NOT NULL OR net_id_index IS NOT NULL)
    ) STRICT;
    INSERT INTO holders_v4 (id, legacy_net_id, person_index, wallet_key_fingerprint,
        wallet_key_spki, wallet_key_suite, wrapped_data_key, sealed_personal, enrolled_at,
        updated_at)
    SELECT id, net_id, person_index, wallet_key_fingerprint, wallet_key_spki,
        wallet_key_suite, wrapped_data_key, sealed_personal, enrolled_at, updated_at
    FROM holders;
    DROP TABLE holders;
    ALTER TABLE holders_v4 RENAME TO holders;
    "#,
    // 5: issue 8, the CA inside the service. `ca_certificates` holds the certificates the CA
    // stands on (the offline root, the issuing CA, the OCSP responder); `certificates` every
    // certificate the issuing CA issued, with its revocation.
    r#"
    CREATE TABLE ca_certificates (
        role TEXT PRIMARY KEY,
        der BLOB NOT NULL,
        installed_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE certificates (
        serial BLOB PRIMARY KEY,
        holder_id INTEGER REFERENCES holders(id),
        profile TEXT NOT NULL,
        der BLOB NOT NULL,
        not_after INTEGER NOT NULL,
        issued_at INTEGER NOT NULL,
        revoked_at INTEGER,
        reason TEXT,
        CHECK ((revoked_at IS NULL) = (reason IS NULL))
    ) STRICT;
    CREATE INDEX certificates_by_holder ON certificates(holder_id) WHERE holder_id IS NOT NULL;
    CREATE INDEX certificates_revoked ON certificates(revoked_at) WHERE revoked_at IS NOT NULL;
    "#,
    // 6: issue 8, foreign CAs the operator recognises, with their documentation and the
    // scenarios their certificates are recognised for; withdrawal keeps the row.
    r#"
    CREATE TABLE foreign_cas (
        name TEXT PRIMARY KEY,
        der BLOB NOT NULL,
        qualification TEXT NOT NULL,
        certificate_type TEXT NOT NULL,
        technical_standard TEXT NOT NULL,
        scenarios TEXT NOT NULL,
        recognised_at INTEGER NOT NULL,
        withdrawn_at INTEGER
    ) STRICT;
    "#,
    // 7: issue 8, issuer-key rollover and orderly exit. Each issuing CA the service answers
    // for is a generation: its own current one, its retired ones, a predecessor's it took
    // over, or its own once handed over. The CA of schema 6 becomes the current generation.
    r#"
    CREATE TABLE ca_generations (
        id INTEGER PRIMARY KEY,
        key_name TEXT UNIQUE,
        root BLOB NOT NULL,
        issuing BLOB NOT NULL,
        responder BLOB NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('current', 'retired', 'inherited', 'handed_over')),
        final_crl BLOB,
        handover BLOB,
        changed_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX ca_one_current ON ca_generations(status) WHERE status = 'current';
    INSERT INTO ca_generations (key_name, root, issuing, responder, status, changed_at)
        SELECT NULL, root.der, issuing.der, responder.der, 'current', issuing.installed_at
        FROM ca_certificates AS root, ca_certificates AS issuing, ca_certificates AS responder
        WHERE root.role = 'root' AND issuing.role = 'issuing'
            AND responder.role = 'ocsp-responder';
    DROP TABLE ca_certificates;
    "#,
    // 8: issue 5, Net Certificates. Only what status needs: which holder's, where in its
    // suite's status list, until when, and whether revoked. The credentials themselves are
    // the holder's; the service keeps no copy.
    r#"
    CREATE TABLE credentials (
        suite TEXT NOT NULL CHECK (suite IN ('gm', 'intl')),
        status_index INTEGER NOT NULL,
        holder_id INTEGER NOT NULL REFERENCES holders(id),
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        PRIMARY KEY (suite, status_index)
    ) STRICT;
    CREATE INDEX credentials_by_holder ON credentials(holder_id);
    CREATE INDEX credentials_revoked ON credentials(suite, expires_at) WHERE revoked_at IS NOT NULL;
    CREATE INDEX credentials_by_expiry ON credentials(expires_at);
    "#,
    // 9: issue 6, deletion (Art. 9). A deleted holder's row stays, emptied: its blind Net ID
    // index keeps the Net ID from ever being issued again; everything else is overwritten.
    r#"
    ALTER TABLE holders ADD COLUMN deleted_at INTEGER;
    "#,
    // 10: issue 6, platform grants and consents (Art. 7-10). Each field a platform asks to
    // receive in plaintext, with its legal basis, purpose and retention, and the operator's
    // decision; each holder's separate consent per platform and field, until withdrawn.
    r#"
    CREATE TABLE platform_fields (
        client_id TEXT NOT NULL REFERENCES platforms(client_id),
        field TEXT NOT NULL,
        legal_basis TEXT NOT NULL,
        purpose TEXT NOT NULL,
        retention_days INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused')),
        changed_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, field)
    ) STRICT;
    CREATE TABLE consents (
        holder_id INTEGER NOT NULL REFERENCES holders(id),
        client_id TEXT NOT NULL REFERENCES platforms(client_id),
        field TEXT NOT NULL,
        notice_version TEXT NOT NULL,
        given_at INTEGER NOT NULL,
        withdrawn_at INTEGER,
        signed_at INTEGER NOT NULL,
        PRIMARY KEY (holder_id, client_id, field)
    ) STRICT;
    "#,
    // 11: issue 6, the operator's audited reads of personal data, and deferred notices
    // (Art. 11). A read is kept with its log entry's index; a deferral with its ground, basis,
    // end and the one-off key its entry was tagged with (sealed), revealed to the holder once
    // it ends. `holder_id` is cleared when the holder deletes their data. Platforms may share
    // a declared sector (one pseudonym across a group of platforms): `platforms.sector` is no
    // longer unique, so the table is rebuilt by SQLite's documented procedure (foreign keys
    // are off while migrations run and checked after).
    r#"
    CREATE TABLE platforms_v11 (
        client_id TEXT PRIMARY KEY,
        credential_hash BLOB NOT NULL,
        sector TEXT NOT NULL,
        name TEXT NOT NULL,
        registered_at INTEGER NOT NULL
    ) STRICT;
    INSERT INTO platforms_v11 (client_id, credential_hash, sector, name, registered_at)
        SELECT client_id, credential_hash, sector, name, registered_at FROM platforms;
    DROP TABLE platforms;
    ALTER TABLE platforms_v11 RENAME TO platforms;
    CREATE INDEX platforms_by_sector ON platforms(sector);
    CREATE TABLE operator_reads (
        log_index INTEGER PRIMARY KEY REFERENCES log_entries(idx),
        holder_id INTEGER REFERENCES holders(id),
        fields TEXT NOT NULL,
        legal_basis TEXT NOT NULL,
        reference TEXT NOT NULL,
        read_at INTEGER NOT NULL,
        deferral_ground TEXT CHECK (deferral_ground IN ('confidentiality', 'emergency')),
        deferral_basis TEXT,
        deferral_ends_at INTEGER,
        sealed_tag_key BLOB,
        CHECK ((deferral_ground IS NULL) = (deferral_ends_at IS NULL))
    ) STRICT;
    CREATE INDEX operator_reads_by_holder ON operator_reads(holder_id) WHERE holder_id IS NOT NULL;
    "#,
    // 12: platforms' OpenID Connect client settings.
    r#"
    CREATE TABLE oidc_clients (
        client_id TEXT PRIMARY KEY REFERENCES platforms(client_id),
        redirect_uris TEXT NOT NULL,
        jwks TEXT NOT NULL,
        id_token_alg TEXT NOT NULL CHECK (id_token_alg IN ('ES256', 'SM2SM3')),
        updated_at INTEGER NOT NULL
    ) STRICT;
    "#,
    // 13: holders' passkeys for the web app.
    r#"
    CREATE TABLE passkeys (
        credential_id BLOB PRIMARY KEY,
        holder_id INTEGER NOT NULL REFERENCES holders(id),
        spki BLOB NOT NULL,
        sign_count INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX passkeys_by_holder ON passkeys(holder_id);
    "#,
    // 14: how an OpenID Connect client authenticates: its one registered method (RFC 8705 §2).
    r#"
    ALTER TABLE oidc_clients ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'private_key_jwt'
        CHECK (auth_method IN ('private_key_jwt', 'tls_client_auth'));
    "#,
    // 15: wallet-signed requests used, each refused a second time until it could not be fresh.
    r#"
    CREATE TABLE used_wallet_requests (
        request_index BLOB PRIMARY KEY,
        expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX used_wallet_requests_by_expiry ON used_wallet_requests(expires_at);
    "#,
    // 16: wrong enrollment codes guessed at each roster record, against the code then current;
    // kept across roster loads, so that only a new code unlocks a record.
    r#"
    CREATE TABLE enrollment_code_failures (
        document_index BLOB PRIMARY KEY,
        code_index BLOB NOT NULL,
        failures INTEGER NOT NULL
    ) STRICT;
    "#,
    // 17: consents that end are kept, with why they ended (rows withdrawn before have none).
    r#"
    ALTER TABLE consents ADD COLUMN end_reason TEXT
        CHECK (end_reason IN ('withdrawn', 'terms_changed', 'field_refused'));
    "#,
];
