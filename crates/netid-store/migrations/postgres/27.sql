-- 27: corrections a holder asks the document authority for (see the SQLite script).
CREATE TABLE correction_requests (
    reference TEXT CONSTRAINT correction_requests_pkey PRIMARY KEY,
    holder_id BIGINT NOT NULL REFERENCES holders (id),
    authority TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    asked_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX correction_requests_holder ON correction_requests (holder_id);
CREATE INDEX correction_requests_open ON correction_requests (authority) WHERE closed_at IS NULL;
