CREATE TABLE enrollment_code_failures (
    document_index BYTEA NOT NULL CONSTRAINT enrollment_code_failures_pkey PRIMARY KEY,
    code_index BYTEA NOT NULL,
    failures BIGINT NOT NULL
);
