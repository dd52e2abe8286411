ALTER TABLE consents ADD COLUMN end_reason TEXT
    CONSTRAINT consents_end_reason_check
    CHECK (end_reason IN ('withdrawn', 'terms_changed', 'field_refused'));
