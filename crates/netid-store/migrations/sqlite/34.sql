-- 34: receipts of deletion (issue 25). When a platform acknowledges a signal that asks it to
-- delete (a deletion, a withdrawn consent), a slot waits for its receipt: what it says it
-- deleted. Linked to the holder while they exist (their record shows it); a deletion's is
-- found by its reference alone (the SET's jti, given to the holder with their deletion).
-- Kept as long as a use stays linked, then dropped.
CREATE TABLE signal_receipts (
    reference TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES platforms (client_id),
    holder_id INTEGER REFERENCES holders (id),
    event TEXT NOT NULL,
    acknowledged_at INTEGER NOT NULL,
    deleted TEXT,
    received_at INTEGER,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX signal_receipts_holder ON signal_receipts (holder_id);
CREATE INDEX signal_receipts_expiry ON signal_receipts (expires_at);
