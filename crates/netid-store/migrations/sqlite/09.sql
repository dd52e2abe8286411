-- 9: issue 6, deletion (Art. 9). A deleted holder's row stays, emptied: its blind Net ID
-- index keeps the Net ID from ever being issued again; everything else is overwritten.
ALTER TABLE holders ADD COLUMN deleted_at INTEGER;
