-- 28: a guardian's approval of each platform a child under 14 uses (see the SQLite script).
CREATE TABLE platform_approvals (
    minor_id BIGINT NOT NULL REFERENCES holders (id),
    client_id TEXT NOT NULL,
    guardian_id BIGINT NOT NULL REFERENCES holders (id),
    approved_at BIGINT NOT NULL,
    CONSTRAINT platform_approvals_pkey PRIMARY KEY (minor_id, client_id)
);
CREATE INDEX platform_approvals_guardian ON platform_approvals (guardian_id);
