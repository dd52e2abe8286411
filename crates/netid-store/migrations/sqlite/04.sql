-- 4: the Net ID leaves the database in clear. `net_id_index` (a blind index) keeps it
-- unique and `sealed_net_id` holds it sealed under the master key. Rows from before keep
-- their Net ID in `legacy_net_id` until the service, which holds the keys, seals it on its
-- next start. SQLite cannot drop a UNIQUE column, so the table is rebuilt (the documented
-- procedure; migrations run with foreign keys off and are checked afterwards).
CREATE TABLE holders_v4 (
    id INTEGER PRIMARY KEY,
    legacy_net_id TEXT UNIQUE,
    net_id_index BLOB UNIQUE,
    sealed_net_id BLOB,
    person_index BLOB NOT NULL UNIQUE,
    wallet_key_fingerprint BLOB NOT NULL UNIQUE,
    wallet_key_spki BLOB NOT NULL,
    wallet_key_suite TEXT NOT NULL,
    wrapped_data_key BLOB NOT NULL,
    sealed_personal BLOB NOT NULL,
    enrolled_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((net_id_index IS NULL) = (sealed_net_id IS NULL)),
    CHECK (legacy_net_id IS NOT NULL OR net_id_index IS NOT NULL)
) STRICT;
INSERT INTO holders_v4 (id, legacy_net_id, person_index, wallet_key_fingerprint,
    wallet_key_spki, wallet_key_suite, wrapped_data_key, sealed_personal, enrolled_at,
    updated_at)
SELECT id, net_id, person_index, wallet_key_fingerprint, wallet_key_spki,
    wallet_key_suite, wrapped_data_key, sealed_personal, enrolled_at, updated_at
FROM holders;
DROP TABLE holders;
ALTER TABLE holders_v4 RENAME TO holders;
