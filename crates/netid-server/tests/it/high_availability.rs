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
async fn a_running_node_answers_503_during_a_failover_and_then_has_every_acknowledged_write() {
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

    // netid on the primary through a multi-host URL that asks for the writable server: an
    // authority, a roster, holders and platforms, all acknowledged.
    let data = tempfile::tempdir().unwrap();
    let url = format!(
        "postgres://netid@127.0.0.1:{primary_port},127.0.0.1:{standby_port}/netid_ha\
         ?target_session_attrs=read-write"
    );
    let server =
        TestServer::start_with_env(data.path(), vec![("NETID_DATABASE_URL".to_owned(), url)])
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

    // The primary dies without a checkpoint or a goodbye. netid keeps running: until the
    // standby is promoted it answers 503 with Retry-After, never a 500 or a wrong answer.
    pg("pg_ctl", &["-D", &primary, "-m", "immediate", "stop"]);
    let bearer = client.bearer();
    let register = |name: String| {
        let (client, bearer) = (&client, &bearer);
        async move {
            let request = netid_proto::RegisterPlatformRequest {
                name,
                sector_of: None,
            };
            client
                .post("/v1/operator/platforms", Some(bearer), &request)
                .await
        }
    };
    for attempt in 0..3 {
        let answer = register(format!("while-down-{attempt}")).await;
        let problem = answer.problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        assert!(
            problem.detail.contains("send the request again"),
            "{}",
            answer.body
        );
    }

    // The standby takes over; the same netid, without a restart, finds it and has everything
    // it acknowledged.
    pg("pg_ctl", &["-D", &standby, "-w", "promote"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let answer = register("after-failover".to_owned()).await;
        if answer.status == StatusCode::CREATED {
            break;
        }
        answer.problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        assert!(
            std::time::Instant::now() < deadline,
            "a writable server is found"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    for client_id in &platforms {
        // Another node may not have found the new primary yet: it says so, and then answers.
        let path = format!("/v1/platforms/{client_id}/profile");
        let mut answer = client.get(&path).await;
        while answer.status == StatusCode::SERVICE_UNAVAILABLE
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            answer = client.get(&path).await;
        }
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{client_id}: {}",
            answer.body
        );
    }
    for wallet in &wallets {
        let history: HolderLogResponse = client
            .post("/v1/holders/log", None, &wallet.log_request())
            .await
            .json();
        assert_eq!(history.entries.len(), 1, "the enrollment entry");
    }
    // It took its claim on the database again and serves on.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
    server.stop().await;
    pg("pg_ctl", &["-D", &standby, "-m", "fast", "stop"]);
}
