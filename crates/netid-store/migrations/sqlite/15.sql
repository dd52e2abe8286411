-- 15: wallet-signed requests used, each refused a second time until it could not be fresh.
CREATE TABLE used_wallet_requests (
    request_index BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX used_wallet_requests_by_expiry ON used_wallet_requests(expires_at);
