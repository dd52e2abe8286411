//! High availability with what PostgreSQL offers: netid writes to a primary with a synchronous
//! standby; the primary dies without warning; the standby is promoted; netid, pointed at it,
//! has every write it acknowledged. Runs with the PostgreSQL tests (`NETID_TEST_DATABASE_URL`
//! set, so Debian's PostgreSQL is installed); it starts its own two servers on loopback.

use std::path::{Path, PathBuf};
use std::process::Command;

use netid_proto::HolderLogResponse;
use netid_testkit::{TestServer, Wallet};
use reqwest::StatusCode;

use crate::client::{Client, People};

/// PostgreSQL's server programs (the newest installed version).
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap()
        .map(|entry| entry.unwrap().path().join("bin"))
        .filter(|bin| bin.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop().expect("PostgreSQL's server programs")
}

/// Runs a PostgreSQL program; as root, as the `postgres` user (PostgreSQL refuses root).
fn pg(program: &str, args: &[&str]) {
    let path = bin_dir().join(program);
    let output = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&path)
            .args(args)
            .output()
    } else {
        Command::new(&path).args(args).output()
    }
    .unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A cluster directory the server's user owns.
fn cluster_dir(root: &Path, name: &str) -> String {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    if is_root() {
        let owned = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(root)
            .status()
            .unwrap();
        assert!(owned.success());
    }
    dir.to_str().unwrap().to_owned()
}

fn start(dir: &str, port: u16, extra: &str) {
    let options = format!("-p {port} -k {dir} -c listen_addresses=127.0.0.1 {extra}");
    // The log beside the cluster, not in it (a base backup would copy it).
    let log = format!("{dir}.log");
    if is_root() {
        std::fs::write(&log, b"").unwrap();
        let owned = Command::new("chown")
            .args(["postgres:postgres", &log])
            .status()
            .unwrap();
        assert!(owned.success());
    }
    let started = std::panic::catch_unwind(|| {
        pg(
            "pg_ctl",
            &["-D", dir, "-w", "-l", &log, "-o", &options, "start"],
        );
    });
    assert!(
        started.is_ok(),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

#[tokio::test]
async fn every_acknowledged_write_survives_a_failover_to_the_synchronous_standby() {
    if std::env::var("NETID_TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: runs with the PostgreSQL tests (NETID_TEST_DATABASE_URL)");
        return;
    }
    // Cluster directories under /tmp: the postgres user must be able to reach them.
    let root = tempfile::Builder::new()
        .prefix("netid-ha-")
        .tempdir_in("/tmp")
        .unwrap();
    if is_root() {
        std::fs::set_permissions(
            root.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
    }
    let primary = cluster_dir(root.path(), "primary");
    // pg_basebackup makes the standby's directory itself, owner-only as PostgreSQL wants.
    let standby = root.path().join("standby").to_str().unwrap().to_owned();
    let (primary_port, standby_port) = (free_port(), free_port());
    pg(
        "initdb",
        &["-D", &primary, "-U", "netid", "-A", "trust", "--no-sync"],
    );
    // Commits wait until the standby has flushed them: what netid acknowledged is on both.
    start(
        &primary,
        primary_port,
        "-c synchronous_standby_names=standby1 -c synchronous_commit=on",
    );
    let primary_conn =
        format!("host=127.0.0.1 port={primary_port} user=netid application_name=standby1");
    pg(
        "pg_basebackup",
        &["-d", &primary_conn, "-D", &standby, "-R", "--no-sync"],
    );
    start(&standby, standby_port, "");
    // The standby is attached and synchronous before netid writes anything.
    let mut attached = String::new();
    for _ in 0..100 {
        let state = Command::new("psql")
            .args([
                &format!("postgres://netid@127.0.0.1:{primary_port}/postgres"),
                "-Atc",
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
            ])
            .output()
            .unwrap();
        attached = String::from_utf8_lossy(&state.stdout).trim().to_owned();
        if attached == "sync" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(attached, "sync");
    let create = Command::new("psql")
        .args([
            &format!("postgres://netid@127.0.0.1:{primary_port}/postgres"),
            "-qc",
            "CREATE DATABASE netid_ha",
        ])
        .output()
        .unwrap();
    assert!(create.status.success(), "{create:?}");

    // netid on the primary: an authority, a roster, holders and platforms, all acknowledged.
    let data = tempfile::tempdir().unwrap();
    let on = |port: u16| {
        vec![(
            "NETID_DATABASE_URL".to_owned(),
            format!("postgres://netid@127.0.0.1:{port}/netid_ha"),
        )]
    };
    let server = TestServer::start_with_env(data.path(), on(primary_port))
        .await
        .unwrap();
    let client = Client::new(&server);
    let authority = netid_testkit::Authority::generate("ha-authority");
    assert_eq!(
        client.register_authority(&authority).await.status,
        StatusCode::OK
    );
    let people = People::new();
    assert_eq!(
        client
            .load_roster(&authority.sign(people.all()))
            .await
            .status,
        StatusCode::OK
    );
    let wallets = [Wallet::generate(), Wallet::generate()];
    for (wallet, person) in wallets.iter().zip([&people.adult, &people.guardian]) {
        client.enroll_ok(&wallet.enroll_request(person)).await;
    }
    let mut platforms = Vec::new();
    for n in 0..10 {
        platforms.push(client.register_platform(&format!("ha-{n}")).await.client_id);
    }
    // The primary dies without a checkpoint or a goodbye; netid goes with it.
    pg("pg_ctl", &["-D", &primary, "-m", "immediate", "stop"]);
    server.stop().await;

    // The standby takes over; netid, pointed at it, has everything it acknowledged.
    pg("pg_ctl", &["-D", &standby, "-w", "promote"]);
    let server = TestServer::start_with_env(data.path(), on(standby_port))
        .await
        .unwrap();
    let promoted = Client {
        operator: client.operator.clone(),
        ..Client::new(&server)
    };
    for client_id in &platforms {
        let answer = promoted
            .get(&format!("/v1/platforms/{client_id}/profile"))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{client_id}: {}",
            answer.body
        );
    }
    for wallet in &wallets {
        let history: HolderLogResponse = promoted
            .post("/v1/holders/log", None, &wallet.log_request())
            .await
            .json();
        assert_eq!(history.entries.len(), 1, "the enrollment entry");
    }
    // And it goes on writing there.
    promoted.register_platform("after-failover").await;
    server.stop().await;
    pg("pg_ctl", &["-D", &standby, "-m", "fast", "stop"]);
}
