-- 31: platforms answer for what they do (issue 25). A platform's standing (active,
-- suspended, removed) as two system administrators set it, since when and why (public in its
-- profile); when it declared the commitments of Art. 7; and each approved field's end date
-- (at most three years; a renewal is a new approval). Fields approved before this migration
-- end three years after their approval.
ALTER TABLE platforms ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'suspended', 'removed'));
ALTER TABLE platforms ADD COLUMN status_since INTEGER;
ALTER TABLE platforms ADD COLUMN status_reason TEXT;
ALTER TABLE platforms ADD COLUMN commitments_at INTEGER;
ALTER TABLE platform_fields ADD COLUMN approved_until INTEGER;
UPDATE platform_fields SET approved_until = changed_at + 94608000 WHERE status = 'approved';
-- A removed platform's consents end, kept with that reason: SQLite changes a CHECK only by
-- rebuilding the table (foreign keys are off while migrations run).
CREATE TABLE consents_31 (
    holder_id INTEGER NOT NULL REFERENCES holders(id),
    client_id TEXT NOT NULL REFERENCES platforms(client_id),
    field TEXT NOT NULL,
    notice_version TEXT NOT NULL,
    given_at INTEGER NOT NULL,
    withdrawn_at INTEGER,
    signed_at INTEGER NOT NULL,
    end_reason TEXT
        CHECK (end_reason IN ('withdrawn', 'terms_changed', 'field_refused', 'platform_removed')),
    PRIMARY KEY (holder_id, client_id, field)
) STRICT;
INSERT INTO consents_31 (holder_id, client_id, field, notice_version, given_at, withdrawn_at,
    signed_at, end_reason)
    SELECT holder_id, client_id, field, notice_version, given_at, withdrawn_at, signed_at,
        end_reason FROM consents;
DROP TABLE consents;
ALTER TABLE consents_31 RENAME TO consents;
