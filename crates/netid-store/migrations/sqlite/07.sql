-- 7: issue 8, issuer-key rollover and orderly exit. Each issuing CA the service answers
-- for is a generation: its own current one, its retired ones, a predecessor's it took
-- over, or its own once handed over. The CA of schema 6 becomes the current generation.
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
