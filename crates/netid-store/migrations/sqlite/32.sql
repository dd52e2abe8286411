-- 32: complaints about platforms (issue 25; the Electronic Certification Service Measures'
-- complaint mechanism). What the holder wrote is sealed under the master key; a system
-- administrator handles it (status, resolution, action). On the holder's deletion their link
-- and their words go; the complaint stays counted.
CREATE TABLE complaints (
    reference TEXT PRIMARY KEY,
    holder_id INTEGER REFERENCES holders (id),
    client_id TEXT NOT NULL REFERENCES platforms (client_id),
    category TEXT NOT NULL CHECK (category IN ('extra_plaintext', 'refused_without_net_id',
        'kept_past_retention', 'other')),
    sealed_text BLOB,
    status TEXT NOT NULL CHECK (status IN ('received', 'investigating', 'upheld', 'dismissed')),
    resolution TEXT,
    action TEXT CHECK (action IN ('none', 'warning', 'suspension', 'removal')),
    handled_by TEXT,
    filed_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX complaints_holder ON complaints (holder_id);
CREATE INDEX complaints_by_time ON complaints (filed_at);
