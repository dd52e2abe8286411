-- 24: a holder's lock (issue 24): while locked_at is set, the holder's Net ID is used for no
-- verification, sign-in, consent or issuance.
ALTER TABLE holders ADD COLUMN locked_at INTEGER;
