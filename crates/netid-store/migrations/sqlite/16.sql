-- 16: wrong enrollment codes guessed at each roster record, against the code then current;
-- kept across roster loads, so that only a new code unlocks a record.
CREATE TABLE enrollment_code_failures (
    document_index BLOB PRIMARY KEY,
    code_index BLOB NOT NULL,
    failures INTEGER NOT NULL
) STRICT;
