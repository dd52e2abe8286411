-- 11: issue 6, the operator's audited reads of personal data, and deferred notices
-- (Art. 11). A read is kept with its log entry's index; a deferral with its ground, basis,
-- end and the one-off key its entry was tagged with (sealed), revealed to the holder once
-- it ends. `holder_id` is cleared when the holder deletes their data. Platforms may share
-- a declared sector (one pseudonym across a group of platforms): `platforms.sector` is no
-- longer unique, so the table is rebuilt by SQLite's documented procedure (foreign keys
-- are off while migrations run and checked after).
CREATE TABLE platforms_v11 (
    client_id TEXT PRIMARY KEY,
    credential_hash BLOB NOT NULL,
    sector TEXT NOT NULL,
    name TEXT NOT NULL,
    registered_at INTEGER NOT NULL
) STRICT;
INSERT INTO platforms_v11 (client_id, credential_hash, sector, name, registered_at)
    SELECT client_id, credential_hash, sector, name, registered_at FROM platforms;
DROP TABLE platforms;
ALTER TABLE platforms_v11 RENAME TO platforms;
CREATE INDEX platforms_by_sector ON platforms(sector);
CREATE TABLE operator_reads (
    log_index INTEGER PRIMARY KEY REFERENCES log_entries(idx),
    holder_id INTEGER REFERENCES holders(id),
    fields TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    reference TEXT NOT NULL,
    read_at INTEGER NOT NULL,
    deferral_ground TEXT CHECK (deferral_ground IN ('confidentiality', 'emergency')),
    deferral_basis TEXT,
    deferral_ends_at INTEGER,
    sealed_tag_key BLOB,
    CHECK ((deferral_ground IS NULL) = (deferral_ends_at IS NULL))
) STRICT;
CREATE INDEX operator_reads_by_holder ON operator_reads(holder_id) WHERE holder_id IS NOT NULL;
