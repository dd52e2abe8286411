-- 31: a platform's standing, its Art. 7 commitments, and each approved field's end date (see
-- the SQLite script).
ALTER TABLE platforms ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CONSTRAINT platforms_status_check CHECK (status IN ('active', 'suspended', 'removed'));
ALTER TABLE platforms ADD COLUMN status_since BIGINT;
ALTER TABLE platforms ADD COLUMN status_reason TEXT;
ALTER TABLE platforms ADD COLUMN commitments_at BIGINT;
ALTER TABLE platform_fields ADD COLUMN approved_until BIGINT;
UPDATE platform_fields SET approved_until = changed_at + 94608000 WHERE status = 'approved';
ALTER TABLE consents DROP CONSTRAINT consents_end_reason_check;
ALTER TABLE consents ADD CONSTRAINT consents_end_reason_check
    CHECK (end_reason IN ('withdrawn', 'terms_changed', 'field_refused', 'platform_removed'));
