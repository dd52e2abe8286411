-- 32: complaints about platforms (see the SQLite script).
CREATE TABLE complaints (
    reference TEXT CONSTRAINT complaints_pkey PRIMARY KEY,
    holder_id BIGINT REFERENCES holders (id),
    client_id TEXT NOT NULL REFERENCES platforms (client_id),
    category TEXT NOT NULL CONSTRAINT complaints_category_check
        CHECK (category IN ('extra_plaintext', 'refused_without_net_id', 'kept_past_retention',
            'other')),
    sealed_text BYTEA,
    status TEXT NOT NULL CONSTRAINT complaints_status_check
        CHECK (status IN ('received', 'investigating', 'upheld', 'dismissed')),
    resolution TEXT,
    action TEXT CONSTRAINT complaints_action_check
        CHECK (action IN ('none', 'warning', 'suspension', 'removal')),
    handled_by TEXT,
    filed_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX complaints_holder ON complaints (holder_id);
CREATE INDEX complaints_by_time ON complaints (filed_at);
