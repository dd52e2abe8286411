-- 17: consents that end are kept, with why they ended (rows withdrawn before have none).
ALTER TABLE consents ADD COLUMN end_reason TEXT
    CHECK (end_reason IN ('withdrawn', 'terms_changed', 'field_refused'));
