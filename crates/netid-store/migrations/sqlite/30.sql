-- 30: when the holder's alert of an operator read was sent (issue 24): a deferred read is
-- alerted once, when its notice comes due, by whichever node sees it first.
ALTER TABLE operator_reads ADD COLUMN alerted_at INTEGER;
