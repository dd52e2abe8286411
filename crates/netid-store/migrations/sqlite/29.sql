-- 29: the push subscriptions a holder gives for alerts of each use (issue 24): each sealed
-- (the push service's endpoint and the browser's keys) under a service key; gone with the
-- holder's deletion or when the push service says the subscription is gone.
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    holder_id INTEGER NOT NULL REFERENCES holders (id),
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX push_subscriptions_holder ON push_subscriptions (holder_id);
