-- 29: the push subscriptions a holder gives for alerts of each use (see the SQLite script).
CREATE TABLE push_subscriptions (
    id TEXT CONSTRAINT push_subscriptions_pkey PRIMARY KEY,
    holder_id BIGINT NOT NULL REFERENCES holders (id),
    sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_holder ON push_subscriptions (holder_id);
