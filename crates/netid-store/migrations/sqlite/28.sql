-- 28: a guardian's approval of each platform a child under 14 uses (issue 24, Art. 5): no
-- verification or sign-in of the child at a platform without one. Gone with the child's or
-- the guardian's deletion.
CREATE TABLE platform_approvals (
    minor_id INTEGER NOT NULL REFERENCES holders (id),
    client_id TEXT NOT NULL,
    guardian_id INTEGER NOT NULL REFERENCES holders (id),
    approved_at INTEGER NOT NULL,
    PRIMARY KEY (minor_id, client_id)
) STRICT;
CREATE INDEX platform_approvals_guardian ON platform_approvals (guardian_id);
