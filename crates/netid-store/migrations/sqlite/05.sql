-- 5: issue 8, the CA inside the service. `ca_certificates` holds the certificates the CA
-- stands on (the offline root, the issuing CA, the OCSP responder); `certificates` every
-- certificate the issuing CA issued, with its revocation.
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
