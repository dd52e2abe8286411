-- 2: the issue date of each authority's loaded roster, so an older roster cannot be
-- replayed over a newer one.
ALTER TABLE authorities ADD COLUMN roster_issued_at TEXT;
