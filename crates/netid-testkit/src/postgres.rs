//! PostgreSQL for the integration tests: with `NETID_TEST_DATABASE_URL` naming a server
//! (`scripts/postgres-for-tests` starts one), each test data directory gets a database of its
//! own on it, created on first use and named in a file in the directory, so that a restarted
//! server finds its data again. The databases live as long as the throwaway cluster does.

use std::path::Path;

/// The variable naming the PostgreSQL server the tests may use.
pub(crate) const TEST_DATABASE_URL: &str = "NETID_TEST_DATABASE_URL";
/// The file in a data directory that names its test database.
const DATABASE_FILE: &str = "test-database-url";

/// The URL of `data_dir`'s test database, created if needed; `None` when the tests run on
/// SQLite (no `NETID_TEST_DATABASE_URL`).
pub fn database_for(data_dir: &Path) -> Option<String> {
    let admin_url = std::env::var(TEST_DATABASE_URL).ok()?;
    let file = data_dir.join(DATABASE_FILE);
    if let Ok(url) = std::fs::read_to_string(&file) {
        return Some(url);
    }
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).unwrap();
    let name = format!(
        "netid_it_{}",
        random
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let statement = format!("CREATE DATABASE {name}");
    let admin = admin_url.clone();
    // The synchronous client runs a runtime of its own: not on a thread inside the test's.
    std::thread::spawn(move || {
        postgres::Client::connect(&admin, postgres::NoTls)
            .and_then(|mut client| client.batch_execute(&statement))
    })
    .join()
    .unwrap()
    .unwrap_or_else(|error| panic!("creating a test database on {TEST_DATABASE_URL}: {error}"));
    let url = with_database(&admin_url, &name);
    std::fs::create_dir_all(data_dir).unwrap();
    std::fs::write(&file, &url).unwrap();
    Some(url)
}

/// Copies a stopped server's data directory `from` to `to`, and its PostgreSQL database with
/// it (the copy gets a database of its own, cloned), so that the two may diverge.
pub fn copy_data_dir(from: &Path, to: &Path) {
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(copied.success());
    let (Ok(admin_url), Ok(url)) = (
        std::env::var(TEST_DATABASE_URL),
        std::fs::read_to_string(to.join(DATABASE_FILE)),
    ) else {
        return;
    };
    let original = url
        .rsplit('/')
        .next()
        .and_then(|tail| tail.split('?').next())
        .unwrap()
        .to_owned();
    let name = format!("{original}_copy");
    let statement = format!("CREATE DATABASE {name} TEMPLATE {original}");
    on_postgres(&admin_url, move |client| {
        client.batch_execute(&statement).unwrap();
    });
    std::fs::write(to.join(DATABASE_FILE), with_database(&admin_url, &name)).unwrap();
}

/// `admin_url` with its database replaced by `name` (URL form).
fn with_database(admin_url: &str, name: &str) -> String {
    let scheme_end = admin_url.find("://").map_or(0, |at| at + 3);
    let (base, query) = admin_url.split_at(admin_url.find('?').unwrap_or(admin_url.len()));
    let authority_end = base
        .get(scheme_end..)
        .and_then(|rest| rest.find('/'))
        .map_or(base.len(), |at| scheme_end + at);
    format!(
        "{}/{name}{query}",
        base.get(..authority_end).unwrap_or(base)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_database_of_the_url_is_replaced() {
        assert_eq!(
            with_database("postgres://netid@127.0.0.1:55432/postgres", "x"),
            "postgres://netid@127.0.0.1:55432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}

/// Direct SQL on a test server's store, behind the service's back: for tests that tamper with
/// what is stored or check what is left. It runs on whichever backend the data directory uses.
#[derive(Debug, Clone)]
pub enum RawStore {
    /// The SQLite file.
    Sqlite(std::path::PathBuf),
    /// The PostgreSQL database's URL.
    Postgres(String),
}

impl RawStore {
    /// The store of the server whose data directory is `data_dir`.
    pub fn of(data_dir: &Path) -> Self {
        match std::fs::read_to_string(data_dir.join(DATABASE_FILE)) {
            Ok(url) => Self::Postgres(url),
            Err(_) => Self::Sqlite(data_dir.join(netid_server::keys::DATABASE_FILE)),
        }
    }

    /// Whether it is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// Runs a statement; returns the rows it changed.
    pub fn execute(&self, sql: &str) -> u64 {
        match self {
            Self::Sqlite(path) => {
                let changed = rusqlite::Connection::open(path).unwrap().execute(sql, []);
                u64::try_from(changed.unwrap()).unwrap()
            }
            Self::Postgres(url) => {
                let sql = sql.to_owned();
                on_postgres(url, move |client| client.execute(&sql, &[]).unwrap())
            }
        }
    }

    /// The first column of the first row of `sql`, an integer (`COUNT(*)`, an id).
    pub fn integer(&self, sql: &str) -> i64 {
        match self {
            Self::Sqlite(path) => rusqlite::Connection::open(path)
                .unwrap()
                .query_row(sql, [], |row| row.get(0))
                .unwrap(),
            Self::Postgres(url) => {
                let sql = sql.to_owned();
                on_postgres(url, move |client| {
                    client.query_one(&sql, &[]).unwrap().get(0)
                })
            }
        }
    }

    /// The columns of the first row of `sql`, each bytes (a NULL is empty).
    pub fn blobs(&self, sql: &str, columns: usize) -> Vec<Vec<u8>> {
        match self {
            Self::Sqlite(path) => rusqlite::Connection::open(path)
                .unwrap()
                .query_row(sql, [], |row| {
                    (0..columns)
                        .map(|at| Ok(row.get::<_, Option<Vec<u8>>>(at)?.unwrap_or_default()))
                        .collect()
                })
                .unwrap(),
            Self::Postgres(url) => {
                let sql = sql.to_owned();
                on_postgres(url, move |client| {
                    let row = client.query_one(&sql, &[]).unwrap();
                    (0..columns)
                        .map(|at| row.get::<_, Option<Vec<u8>>>(at).unwrap_or_default())
                        .collect()
                })
            }
        }
    }
}

/// Runs `call` with a client of `url`, on a thread of its own (the synchronous client runs a
/// runtime of its own, which cannot start inside a test's).
fn on_postgres<T: Send + 'static>(
    url: &str,
    call: impl FnOnce(&mut postgres::Client) -> T + Send + 'static,
) -> T {
    let url = url.to_owned();
    std::thread::spawn(move || call(&mut postgres::Client::connect(&url, postgres::NoTls).unwrap()))
        .join()
        .unwrap()
}

/// The configuration of a test server on `data_dir` with `env` (and its PostgreSQL database
/// when the tests run on PostgreSQL), for tests that open the service without serving it.
pub fn test_config(data_dir: &Path, mut env: Vec<(String, String)>) -> netid_server::Config {
    if let Some(url) = database_for(data_dir) {
        env.push(("NETID_DATABASE_URL".to_owned(), url));
    }
    netid_server::Config::load(
        env,
        netid_server::Overrides {
            listen: None,
            data_dir: Some(data_dir.to_owned()),
        },
    )
    .unwrap()
}
