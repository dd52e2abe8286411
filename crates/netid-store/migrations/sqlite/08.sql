-- 8: issue 5, Net Certificates. Only what status needs: which holder's, where in its
-- suite's status list, until when, and whether revoked. The credentials themselves are
-- the holder's; the service keeps no copy.
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
