-- 26: the notice a holder accepted (issue 24, Art. 10): its version and when. Enrollment
-- records it; a holder accepts a new version before their Net ID is used again. Holders
-- enrolled before have none, and accept the current notice on their next use.
ALTER TABLE holders ADD COLUMN notice_version TEXT;
ALTER TABLE holders ADD COLUMN notice_accepted_at INTEGER;
