//! Schema migrations of both backends, applied in order on open (SQLite) or connect
//! (PostgreSQL); `schema_version` records how far a database is, with the same numbers on
//! both. The scripts are in `migrations/sqlite/` and `migrations/postgres/` beside `src/`,
//! one file a version. Append only: never edit a migration that has shipped; a new one is
//! added to both under the same number.
//!
//! PostgreSQL came in at SQLite's version 11 and has no legacy databases, so its versions 1
//! to 10 are not separate scripts: its script 11 creates the schema SQLite has after its 11
//! migrations (same tables, columns, keys, checks and indexes; BYTEA for BLOB, BIGINT for
//! INTEGER). What else PostgreSQL's schema does differently:
//! - constraints are named, so a unique violation can be told apart by its constraint's name
//!   (SQLite's message names the column instead);
//! - `retired_wallet_keys.seq` stands in for SQLite's implicit `rowid`, which orders retired
//!   keys of the same second by insertion;
//! - `operator_credentials.id` (until 20) and `ca_generations.id` are plain keys that the store sets to
//!   `MAX(id) + 1` under the writers' lock, as SQLite picks a row id: an identity column would
//!   skip the values of rolled-back inserts, and generation ids are seen by callers;
//! - `holders.id` comes from the sequence `holders_id_seq` (since 19): enrollments are grouped
//!   writes, which two nodes run at once, so `MAX(id) + 1` would collide. A rolled-back
//!   enrollment skips an id; nothing outside the store sees holder ids.

/// SQLite's scripts: entry `i` migrates version `i` to `i + 1`.
pub(crate) const SQLITE: &[&str] = &[
    include_str!("../migrations/sqlite/01.sql"),
    include_str!("../migrations/sqlite/02.sql"),
    include_str!("../migrations/sqlite/03.sql"),
    include_str!("../migrations/sqlite/04.sql"),
    include_str!("../migrations/sqlite/05.sql"),
    include_str!("../migrations/sqlite/06.sql"),
    include_str!("../migrations/sqlite/07.sql"),
    include_str!("../migrations/sqlite/08.sql"),
    include_str!("../migrations/sqlite/09.sql"),
    include_str!("../migrations/sqlite/10.sql"),
    include_str!("../migrations/sqlite/11.sql"),
    include_str!("../migrations/sqlite/12.sql"),
    include_str!("../migrations/sqlite/13.sql"),
    include_str!("../migrations/sqlite/14.sql"),
    include_str!("../migrations/sqlite/15.sql"),
    include_str!("../migrations/sqlite/16.sql"),
    include_str!("../migrations/sqlite/17.sql"),
    include_str!("../migrations/sqlite/18.sql"),
    include_str!("../migrations/sqlite/19.sql"),
    include_str!("../migrations/sqlite/20.sql"),
    include_str!("../migrations/sqlite/21.sql"),
    include_str!("../migrations/sqlite/22.sql"),
    include_str!("../migrations/sqlite/23.sql"),
    include_str!("../migrations/sqlite/24.sql"),
    include_str!("../migrations/sqlite/25.sql"),
    include_str!("../migrations/sqlite/26.sql"),
    include_str!("../migrations/sqlite/27.sql"),
    include_str!("../migrations/sqlite/28.sql"),
    include_str!("../migrations/sqlite/29.sql"),
    include_str!("../migrations/sqlite/30.sql"),
    include_str!("../migrations/sqlite/31.sql"),
    include_str!("../migrations/sqlite/32.sql"),
    include_str!("../migrations/sqlite/33.sql"),
    include_str!("../migrations/sqlite/34.sql"),
    include_str!("../migrations/sqlite/35.sql"),
];

/// PostgreSQL's scripts, each with the version it migrates to.
pub(crate) const POSTGRES: &[(u32, &str)] = &[
    (11, include_str!("../migrations/postgres/11.sql")),
    (12, include_str!("../migrations/postgres/12.sql")),
    (13, include_str!("../migrations/postgres/13.sql")),
    (14, include_str!("../migrations/postgres/14.sql")),
    (15, include_str!("../migrations/postgres/15.sql")),
    (16, include_str!("../migrations/postgres/16.sql")),
    (17, include_str!("../migrations/postgres/17.sql")),
    (18, include_str!("../migrations/postgres/18.sql")),
    (19, include_str!("../migrations/postgres/19.sql")),
    (20, include_str!("../migrations/postgres/20.sql")),
    (21, include_str!("../migrations/postgres/21.sql")),
    (22, include_str!("../migrations/postgres/22.sql")),
    (23, include_str!("../migrations/postgres/23.sql")),
    (24, include_str!("../migrations/postgres/24.sql")),
    (25, include_str!("../migrations/postgres/25.sql")),
    (26, include_str!("../migrations/postgres/26.sql")),
    (27, include_str!("../migrations/postgres/27.sql")),
    (28, include_str!("../migrations/postgres/28.sql")),
    (29, include_str!("../migrations/postgres/29.sql")),
    (30, include_str!("../migrations/postgres/30.sql")),
    (31, include_str!("../migrations/postgres/31.sql")),
    (32, include_str!("../migrations/postgres/32.sql")),
    (33, include_str!("../migrations/postgres/33.sql")),
    (34, include_str!("../migrations/postgres/34.sql")),
    (35, include_str!("../migrations/postgres/35.sql")),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Both backends know the same newest version, so a future migration is not forgotten in
    /// one of them.
    #[test]
    fn postgres_and_sqlite_know_the_same_newest_version() {
        let sqlite = u32::try_from(SQLITE.len()).unwrap();
        assert_eq!(POSTGRES.last().map(|(version, _)| *version), Some(sqlite));
        assert!(POSTGRES.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }
}
