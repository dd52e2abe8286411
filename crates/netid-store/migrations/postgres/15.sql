CREATE TABLE used_wallet_requests (
    request_index BYTEA NOT NULL CONSTRAINT used_wallet_requests_pkey PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_wallet_requests_by_expiry ON used_wallet_requests(expires_at);
