-- 6: issue 8, foreign CAs the operator recognises, with their documentation and the
-- scenarios their certificates are recognised for; withdrawal keeps the row.
CREATE TABLE foreign_cas (
    name TEXT PRIMARY KEY,
    der BLOB NOT NULL,
    qualification TEXT NOT NULL,
    certificate_type TEXT NOT NULL,
    technical_standard TEXT NOT NULL,
    scenarios TEXT NOT NULL,
    recognised_at INTEGER NOT NULL,
    withdrawn_at INTEGER
) STRICT;
