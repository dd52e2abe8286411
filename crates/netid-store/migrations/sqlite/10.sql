-- 10: issue 6, platform grants and consents (Art. 7-10). Each field a platform asks to
-- receive in plaintext, with its legal basis, purpose and retention, and the operator's
-- decision; each holder's separate consent per platform and field, until withdrawn.
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
