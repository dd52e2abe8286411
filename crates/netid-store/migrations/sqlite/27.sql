-- 27: corrections a holder asks the document authority for (issue 24). What the holder says,
-- with the record the centre holds, sealed under the roster key; the holder's link goes with
-- their deletion (the row too). Closed when a roster load changes the holder's record.
CREATE TABLE correction_requests (
    reference TEXT PRIMARY KEY,
    holder_id INTEGER NOT NULL REFERENCES holders (id),
    authority TEXT NOT NULL,
    sealed BLOB NOT NULL,
    asked_at INTEGER NOT NULL,
    closed_at INTEGER
) STRICT;
CREATE INDEX correction_requests_holder ON correction_requests (holder_id);
CREATE INDEX correction_requests_open ON correction_requests (authority) WHERE closed_at IS NULL;
