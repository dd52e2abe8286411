//! `netid-load`: drives a running netid server over HTTP on loopback and reports throughput
//! and latency percentiles. Synthetic people only (sequence codes 998/999, names 测试…).
//!
//! Phases: set-up (an authority, its signed rosters, a platform; not timed), enrollments
//! (each a fresh wallet, `--concurrency` at a time), then online verifications
//! (`POST /v1/platform/verify`) of presentations signed before the phase starts, so that the
//! client's own signing does not eat the server's CPU during the timed run; then, with
//! `--oidc-sign-ins`, OpenID Connect sign-ins, each a pushed request, the holder's answer with
//! their wallet and the token request (client assertions and DPoP proofs made in advance; the
//! wallet signs its answer during the run, since it names the `request_uri`); then, with
//! `--presentations`, Net Certificates issued to up to 1,000 holders (`POST
//! /v1/holders/net-certificates`, timed) and their presentations verified offline by the SDK
//! (`netid-verify`, one verifier per core, the issuer's keys and status list fetched from the
//! server first; presentations made in advance). Prints one JSON object per phase. `scripts/load` starts a release server and runs this against it.
//!
//! While the verifications run, a probe measures how long an acknowledged act waits for a
//! published checkpoint (phase `checkpoint_latency`): see [`Probe`].

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64ct::{Base64, Encoding};
use clap::Parser;
use netid_core::Date;
use netid_crypto::Suite;
use netid_proto::{
    NetCertificateResponse, OidcDecisionResponse, Predicate, RegisterAuthorityRequest,
    RegisterPlatformRequest, RegisterPlatformResponse, RosterEntry, VerifyRequest,
};
use netid_sdjwt::Binding;
use netid_testkit::oidc::{RelyingParty, query, random};
use netid_testkit::{Authority, Wallet};
use netid_verify::{Policy, Request, Verifier};

/// Load generator for a running netid server.
#[derive(Debug, Parser)]
struct Args {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Another node of the same service (on the same database), repeatable: enrollments and
    /// online verifications go to `--server` and these in turn.
    #[arg(long)]
    also_server: Vec<String>,
    /// The service's administration listener, where the operator endpoints are (default:
    /// `--server`, as before there was one).
    #[arg(long, env = "NETID_ADMIN_SERVER")]
    admin: Option<String>,
    /// A system administrator's key (PKCS#8 PEM), to register the authorities and the
    /// platforms: every operator request is signed with it.
    #[arg(long, env = "NETID_OPERATOR_KEY")]
    operator_key: std::path::PathBuf,
    /// How many people enroll.
    #[arg(long, default_value_t = 2000)]
    enrollments: usize,
    /// How many online verifications.
    #[arg(long, default_value_t = 20_000)]
    verifications: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The holders' wallet keys: `gm` (SM2) or `intl` (P-256).
    #[arg(long, default_value = "gm", value_parser = ["gm", "intl"])]
    suite: String,
    /// How many OpenID Connect sign-ins (after the verifications; 0 skips the phase). Their
    /// DPoP proofs are made first and live a minute: keep the phase shorter.
    #[arg(long, default_value_t = 0)]
    oidc_sign_ins: usize,
    /// How many Net Certificate presentations the SDK verifies (after the other phases; 0
    /// skips the phase).
    #[arg(long, default_value_t = 0)]
    presentations: usize,
    /// How many refused enrollments of each kind to time, one at a time, after the
    /// enrollments (0 skips the phase): a document on no roster, and a listed one with a wrong
    /// code. Without the right code the two should take the same time (no oracle).
    #[arg(long, default_value_t = 0)]
    refusals: usize,
}

impl Args {
    /// Where the operator endpoints are.
    fn admin(&self) -> &str {
        self.admin
            .as_deref()
            .filter(|admin| !admin.is_empty())
            .unwrap_or(&self.server)
    }

    /// `path` on every node.
    fn nodes(&self, path: &str) -> Vec<String> {
        std::iter::once(&self.server)
            .chain(&self.also_server)
            .map(|server| format!("{server}{path}"))
            .collect()
    }
}

/// The most holders given a Net Certificate for the SDK phase.
const CERTIFIED_HOLDERS: usize = 1000;

/// The most records in one roster (the body limit is 1 MiB).
const ROSTER_BATCH: usize = 1000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let operator = Operator::load(&args.operator_key)?;

    // Set-up: authorities with their rosters of synthetic people, and a platform.
    let people = synthetic_people(args.enrollments);
    for (batch, records) in people.chunks(ROSTER_BATCH).enumerate() {
        let authority = Authority::generate(&format!("load-authority-{batch}"));
        operator
            .post(
                &http,
                &args,
                "/v1/operator/authorities",
                &RegisterAuthorityRequest {
                    name: authority.name.clone(),
                    public_key: authority.public_key(),
                },
            )
            .await?;
        operator
            .post(
                &http,
                &args,
                "/v1/operator/rosters",
                &authority.sign(records.to_vec()),
            )
            .await?;
    }
    let platform = register_platform(&http, &args, &operator, "load platform").await?;

    // Enrollments: the wallets and their signed requests are made first.
    let suite = if args.suite == "intl" {
        Suite::intl()
    } else {
        Suite::gm()
    };
    let wallets: Vec<Wallet> = people.iter().map(|_| Wallet::generate_in(&suite)).collect();
    let requests: Vec<serde_json::Value> = people
        .iter()
        .zip(&wallets)
        .map(|(person, wallet)| serde_json::to_value(wallet.enroll_request(person)))
        .collect::<Result<_, _>>()?;
    let report = run(
        &http,
        &args.nodes("/v1/holders/enroll"),
        None,
        requests,
        args.concurrency,
    )
    .await?;
    println!("{}", report.json("enrollments"));

    if args.refusals > 0 {
        refusals(&http, &args.server, &people, args.refusals).await?;
    }

    // Online verifications: presentations signed and sealed in advance, spread over the holders.
    let basic = basic_auth(&platform);
    let service_key = netid_testkit::presentation_key(&args.server).await;
    let requests: Vec<serde_json::Value> = (0..args.verifications)
        .map(|n| {
            let wallet = wallets
                .get(n % wallets.len())
                .context("at least one enrollment is needed")?;
            let presentation = wallet.present(
                &service_key,
                &platform.client_id,
                &format!("load-nonce-{n:012}"),
                &[Predicate::AgeOver18],
            );
            Ok(serde_json::to_value(VerifyRequest { presentation })?)
        })
        .collect::<anyhow::Result<_>>()?;
    let wallets = std::sync::Arc::new(wallets);
    let probe = Probe::start(&http, &args, &operator, &wallets, &service_key).await?;
    let before = group_commits(&http, &args.nodes("")).await?;
    // On stderr, for a profiler waiting for the timed run (scripts/flamegraph).
    eprintln!(
        "netid-load: verifications started ({} requests)",
        requests.len()
    );
    let urls = args.nodes("/v1/platform/verify");
    let report = run(&http, &urls, Some(&basic), requests, args.concurrency).await?;
    println!("{}", report.json("verifications"));
    println!("{}", probe.finish().await?);
    // How many verifications shared each commit during the phase, from the server's metrics.
    // And how long, on average, a commit that appended to the log held its counter.
    let after = group_commits(&http, &args.nodes("")).await?;
    let mut during = after;
    for (counter, earlier) in during.iter_mut().zip(before) {
        *counter -= earlier;
    }
    let [commits, writes, holds, held] = during;
    println!(
        "{}",
        serde_json::json!({
            "phase": "verifications_group_commit",
            "commits": commits,
            "writes": writes,
            "writes_per_commit": writes / commits.max(1.0),
            "log_counter_held_ms_average": held * 1000.0 / holds.max(1.0),
            "log_counter_held_share": held / report.elapsed.as_secs_f64(),
        })
    );

    if args.oidc_sign_ins > 0 {
        let rp = RelyingParty::register_with(
            http.clone(),
            &args.server,
            &platform.client_id,
            &platform.credential,
            "http://127.0.0.1:9/callback",
        )
        .await;
        if wallets.is_empty() {
            bail!("at least one enrollment is needed");
        }
        let sign_ins: Vec<SignIn> = (0..args.oidc_sign_ins)
            .map(|n| SignIn::prepare(&rp, std::sync::Arc::clone(&wallets), n % wallets.len()))
            .collect();
        let rp = std::sync::Arc::new(rp);
        let report = drive(sign_ins, args.concurrency, move |sign_in| {
            let rp = std::sync::Arc::clone(&rp);
            async move { sign_in.run(&rp).await.is_ok() }
        })
        .await?;
        println!("{}", report.json("oidc_sign_ins"));
    }
    if args.presentations > 0 {
        sdk_presentations(&http, &args, &suite, &wallets, &platform.client_id).await?;
    }
    Ok(())
}

/// The SDK phase: Net Certificates issued to the first holders over HTTP (timed), then
/// `args.presentations` presentations of them verified offline with `netid-verify`.
async fn sdk_presentations(
    http: &reqwest::Client,
    args: &Args,
    suite: &Suite,
    wallets: &[Wallet],
    audience: &str,
) -> anyhow::Result<()> {
    let certified = wallets.get(..CERTIFIED_HOLDERS).unwrap_or(wallets);
    if certified.is_empty() {
        bail!("at least one enrollment is needed");
    }
    let holder_keys = certified
        .iter()
        .map(|_| suite.generate_signing_key())
        .collect::<Result<Vec<_>, _>>()?;
    // Issuance, timed; each answer kept for the SDK's presentations.
    let issued = std::sync::Arc::new(std::sync::Mutex::new(vec![None; certified.len()]));
    let requests: Vec<(usize, serde_json::Value)> = certified
        .iter()
        .zip(&holder_keys)
        .enumerate()
        .map(|(at, (wallet, key))| {
            let request = wallet.net_certificate_request(std::slice::from_ref(key));
            Ok((at, serde_json::to_value(request)?))
        })
        .collect::<anyhow::Result<_>>()?;
    let url = format!("{}/v1/holders/net-certificates", args.server);
    let (client, keep) = (http.clone(), std::sync::Arc::clone(&issued));
    let report = drive(requests, args.concurrency, move |(at, body)| {
        let (request, keep) = (client.post(&url).json(&body), std::sync::Arc::clone(&keep));
        async move {
            let Ok(response) = request.send().await else {
                return false;
            };
            if !response.status().is_success() {
                return false;
            }
            let Ok(answer) = response.json::<NetCertificateResponse>().await else {
                return false;
            };
            let mut kept = keep
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match (kept.get_mut(at), answer.credentials.into_iter().next()) {
                (Some(slot), Some(credential)) => {
                    *slot = Some(credential);
                    true
                }
                _ => false,
            }
        }
    })
    .await?;
    println!("{}", report.json("net_certificate_issuance"));
    let credentials: Vec<String> = std::mem::take(
        &mut *issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .into_iter()
    .collect::<Option<_>>()
    .context("a Net Certificate was not issued")?;

    // Presentations made in advance, each with a nonce of its own, disclosing one predicate.
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    let shown: Vec<(Request, String)> = (0..args.presentations)
        .map(|n| {
            let at = n % credentials.len();
            let nonce = format!("load-sdk-nonce-{n:012}");
            let presentation = netid_sdjwt::present(
                credentials.get(at).context("a credential")?,
                &["age_over_18"],
                holder_keys.get(at).context("a holder key")?,
                Binding {
                    audience,
                    nonce: &nonce,
                    issued_at: now,
                },
            )?;
            Ok((
                Request::new(audience, &nonce, &["age_over_18"]),
                presentation,
            ))
        })
        .collect::<anyhow::Result<_>>()?;

    // What a platform's SDK loads before it verifies: the issuer's keys, then each status list
    // a presentation names, fetched from the server.
    let new_verifier = |metadata: &str, lists: &[(String, String)]| -> anyhow::Result<Verifier> {
        let mut verifier = Verifier::new(&args.server, Policy::default());
        verifier.load_issuer_metadata(metadata)?;
        for (uri, token) in lists {
            verifier.load_status_list(uri, token, now)?;
        }
        Ok(verifier)
    };
    let metadata = get_text(
        http,
        &Verifier::new(&args.server, Policy::default()).metadata_url(),
    )
    .await?;
    let mut lists = Vec::new();
    for (request, presentation) in shown.iter().take(credentials.len()) {
        // A verifier of its own, so that the timed run sees every nonce for the first time.
        let mut probe = new_verifier(&metadata, &lists)?;
        if let Err(netid_verify::Error::StatusUnavailable { uri }) =
            probe.verify(presentation, request, now)
        {
            let token = get_text(http, &uri).await?;
            lists.push((uri, token));
        }
    }

    // One verifier a core, each verifying its share; each presentation timed.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let share = shown.len().div_ceil(cores);
    let started = Instant::now();
    let results = std::thread::scope(|scope| {
        let workers: Vec<_> = shown
            .chunks(share.max(1))
            .map(|chunk| {
                let verifier = new_verifier(&metadata, &lists);
                scope.spawn(move || -> anyhow::Result<(Vec<Duration>, usize)> {
                    let mut verifier = verifier?;
                    let (mut latencies, mut failures) = (Vec::with_capacity(chunk.len()), 0);
                    for (request, presentation) in chunk {
                        let began = Instant::now();
                        match verifier.verify(presentation, request, now) {
                            Ok(_) => latencies.push(began.elapsed()),
                            Err(_) => failures += 1,
                        }
                    }
                    Ok((latencies, failures))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("a verifying thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let mut report = Report {
        latencies: Vec::new(),
        failures: 0,
        elapsed: started.elapsed(),
    };
    for (latencies, failures) in results {
        report.latencies.extend(latencies);
        report.failures += failures;
    }
    println!("{}", report.json("sdk_presentations"));
    Ok(())
}

/// One OpenID Connect sign-in, its client assertions and DPoP proofs made in advance.
struct SignIn {
    /// The enrolled wallets, and which of them signs in.
    wallets: std::sync::Arc<Vec<Wallet>>,
    holder: usize,
    par: Vec<(&'static str, String)>,
    par_proof: String,
    verifier: String,
    token_assertion: String,
    token_proof: String,
}

impl SignIn {
    fn prepare(rp: &RelyingParty, wallets: std::sync::Arc<Vec<Wallet>>, holder: usize) -> Self {
        let (mut par, started) = rp.request_params("openid age_over_18");
        // Assertions good for five minutes; the DPoP proofs (made now too) are good for a
        // minute, which bounds the phase.
        let assertion = |rp: &RelyingParty| rp.assertion_with(&rp.key, &random(12), 300);
        for (name, value) in &mut par {
            if *name == "client_assertion" {
                *value = assertion(rp);
            }
        }
        Self {
            wallets,
            holder,
            par,
            par_proof: rp.dpop_proof(&rp.dpop, "POST", "/oidc/par", None),
            verifier: started.verifier,
            token_assertion: assertion(rp),
            token_proof: rp.dpop_proof(&rp.dpop, "POST", "/oidc/token", None),
        }
    }

    /// Pushes the request, answers it with the wallet, and redeems the code.
    async fn run(self, rp: &RelyingParty) -> anyhow::Result<()> {
        let pairs: Vec<(&str, &str)> = self.par.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let pushed = rp.form("/oidc/par", &pairs, Some(self.par_proof)).await;
        if pushed.status != reqwest::StatusCode::CREATED {
            bail!("par: {}", pushed.body);
        }
        let pushed: serde_json::Value = serde_json::from_str(&pushed.body)?;
        let request_uri = pushed
            .get("request_uri")
            .and_then(serde_json::Value::as_str)
            .context("no request_uri")?;
        let wallet = self.wallets.get(self.holder).context("no such wallet")?;
        let decision = wallet.oidc_decision(request_uri, rp.client_id(), true, None);
        let decided: OidcDecisionResponse = serde_json::from_str(
            &post(
                &rp.http,
                &rp.url("/v1/holders/oidc/decision"),
                None,
                &decision,
            )
            .await?,
        )?;
        let code = query(&decided.redirect_to)
            .remove("code")
            .context("no code in the redirect")?;
        let tokens = rp
            .redeem_with(
                &code,
                &self.verifier,
                &self.token_assertion,
                Some(self.token_proof),
            )
            .await;
        if tokens.status != reqwest::StatusCode::OK {
            bail!("token: {}", tokens.body);
        }
        Ok(())
    }
}

/// `count` synthetic adults, each with a distinct resident ID and person reference.
/// Times `count` enrollments of a document on no roster and `count` of listed documents with
/// a wrong code, one kind after the other and one at a time; each must be refused alike (`403
/// evidence_mismatch`). Prints one report per kind.
async fn refusals(
    http: &reqwest::Client,
    server: &str,
    people: &[RosterEntry],
    count: usize,
) -> anyhow::Result<()> {
    let unlisted = synthetic_people(people.len() + count);
    let mut attempts = Vec::with_capacity(2 * count);
    for n in 0..count {
        let outsider = unlisted
            .get(people.len() + n)
            .context("synthetic people run out")?;
        let mut listed = people
            .get(n % people.len().max(1))
            .context("at least one enrollment is needed")?
            .clone();
        listed.enrollment_code = Some(format!("CODE-WRONG-{n:08}"));
        for (kind, entry) in [("unlisted", outsider), ("wrong_code", &listed)] {
            attempts.push((
                kind,
                serde_json::to_value(Wallet::generate().enroll_request(entry))?,
            ));
        }
    }
    let url = format!("{server}/v1/holders/enroll");
    let mut reports = Vec::new();
    for kind in ["unlisted", "wrong_code"] {
        let bodies: Vec<serde_json::Value> = attempts
            .iter()
            .filter(|(of, _)| *of == kind)
            .map(|(_, body)| body.clone())
            .collect();
        let (http, url) = (http.clone(), url.clone());
        let report = drive(bodies, 1, move |body| {
            let request = http.post(&url).json(&body);
            async move {
                match request.send().await {
                    Ok(response) if response.status() == reqwest::StatusCode::FORBIDDEN => response
                        .text()
                        .await
                        .is_ok_and(|text| text.contains("evidence_mismatch")),
                    _ => false,
                }
            }
        })
        .await?;
        reports.push(report.json(&format!("refused_enrollment_{kind}")));
    }
    for report in reports {
        println!("{report}");
    }
    Ok(())
}

/// The counters of [`GROUP_COMMIT_COUNTERS`], each summed over the nodes.
async fn group_commits(http: &reqwest::Client, nodes: &[String]) -> anyhow::Result<[f64; 4]> {
    let mut sum = [0.0; 4];
    for node in nodes {
        let counters = node_group_commits(http, node).await?;
        for (total, counter) in sum.iter_mut().zip(counters) {
            *total += counter;
        }
    }
    Ok(sum)
}

/// Group commits, grouped writes, commits that moved the log's counter, and the seconds they
/// held it.
const GROUP_COMMIT_COUNTERS: [&str; 4] = [
    "netid_store_group_commits_total",
    "netid_store_grouped_writes_total",
    "netid_log_counter_holds_total",
    "netid_log_counter_held_seconds_total",
];

async fn node_group_commits(http: &reqwest::Client, server: &str) -> anyhow::Result<[f64; 4]> {
    let text = get_text(http, &format!("{server}/metrics")).await?;
    let counter = |name: &str| -> anyhow::Result<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .with_context(|| format!("no {name} in the server's metrics"))?
            .trim()
            .parse()
            .with_context(|| format!("{name} is not a number"))
    };
    let mut counters = [0.0; 4];
    for (value, name) in counters.iter_mut().zip(GROUP_COMMIT_COUNTERS) {
        *value = counter(name)?;
    }
    Ok(counters)
}

fn synthetic_people(count: usize) -> Vec<RosterEntry> {
    let today = netid_testkit::today();
    let first = netid_testkit::years_ago(60, today).days_since_unix_epoch();
    (0..count)
        .map(|n| {
            // Two sexes and 40 address codes a day: 80 distinct numbers per birth date.
            let n_i64 = i64::try_from(n).unwrap_or(i64::MAX);
            let birth = netid_core_date(first + n_i64 / 80);
            let address = format!("1101{:02}", (n / 2) % 40 + 1);
            let mut entry =
                netid_testkit::resident(&address, "测试负载", birth, &format!("LOAD-{n:08}"), None);
            let female = n % 2 == 1;
            entry.document_number = netid_testkit::synthetic_resident_id(&address, birth, female);
            entry.sex = Some(if female { "female" } else { "male" }.to_owned());
            entry
        })
        .collect()
}

fn netid_core_date(days: i64) -> Date {
    Date::from_days_since_unix_epoch(days).unwrap_or(netid_testkit::today())
}

/// Registers a platform `name` on the administration listener.
async fn register_platform(
    http: &reqwest::Client,
    args: &Args,
    operator: &Operator,
    name: &str,
) -> anyhow::Result<RegisterPlatformResponse> {
    let request = RegisterPlatformRequest {
        name: name.to_owned(),
        sector_of: None,
    };
    Ok(serde_json::from_str(
        &operator
            .post(http, args, "/v1/operator/platforms", &request)
            .await?,
    )?)
}

/// The load's operator: a system administrator who signs each request with their key.
struct Operator {
    key: netid_crypto::SigningKey,
}

impl Operator {
    fn load(path: &std::path::Path) -> anyhow::Result<Self> {
        let pem = std::fs::read_to_string(path)?;
        let key = [netid_crypto::Suite::gm(), netid_crypto::Suite::intl()]
            .iter()
            .find_map(|suite| suite.signing_key_from_pkcs8_pem(&pem).ok())
            .ok_or_else(|| anyhow::anyhow!("{} is not an operator key", path.display()))?;
        Ok(Self { key })
    }

    /// POSTs `body` to `path` on the administration listener, signed.
    async fn post(
        &self,
        http: &reqwest::Client,
        args: &Args,
        path: &str,
        body: &impl serde::Serialize,
    ) -> anyhow::Result<String> {
        let body = serde_json::to_vec(body)?;
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti).map_err(|_| anyhow::anyhow!("no random numbers"))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let jti: String = jti.iter().map(|byte| format!("{byte:02x}")).collect();
        let proof = netid_authn::jwt::operator_proof(
            &self.key,
            "POST",
            path,
            &body,
            i64::try_from(now)?,
            &jti,
        )?;
        let url = format!("{}{path}", args.admin());
        let response = http
            .post(&url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("NetID-Operator {proof}"),
            )
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{url}: {status}: {text}");
        }
        Ok(text)
    }
}

/// The body of a successful GET of `url`.
async fn get_text(http: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    Ok(http
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?)
}

fn basic_auth(platform: &RegisterPlatformResponse) -> String {
    let pair = format!("{}:{}", platform.client_id, platform.credential);
    format!("Basic {}", Base64::encode_string(pair.as_bytes()))
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    authorization: Option<&str>,
    body: &impl serde::Serialize,
) -> anyhow::Result<String> {
    let mut request = http.post(url).json(body);
    if let Some(value) = authorization {
        request = request.header(reqwest::header::AUTHORIZATION, value);
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{url}: {status}: {text}");
    }
    Ok(text)
}

/// What one timed phase measured.
struct Report {
    latencies: Vec<Duration>,
    failures: usize,
    elapsed: Duration,
}

impl Report {
    fn json(&self, phase: &str) -> serde_json::Value {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let percentile = |p: usize| {
            let index = (sorted.len().saturating_sub(1)) * p / 100;
            sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let ok = self.latencies.len();
        serde_json::json!({
            "phase": phase,
            "requests": ok + self.failures,
            "failures": self.failures,
            "seconds": self.elapsed.as_secs_f64(),
            "per_second": f64::from(u32::try_from(ok).unwrap_or(u32::MAX))
                / self.elapsed.as_secs_f64(),
            "p50_ms": percentile(50),
            "p99_ms": percentile(99),
            "max_ms": percentile(100),
        })
    }
}

/// Posts every body of `requests` to `url`, `concurrency` at a time, timing each.
/// Posts each of `requests` to the next of `urls` in turn.
async fn run(
    http: &reqwest::Client,
    urls: &[String],
    authorization: Option<&str>,
    requests: Vec<serde_json::Value>,
    concurrency: usize,
) -> anyhow::Result<Report> {
    let http = http.clone();
    let requests: Vec<(String, serde_json::Value)> =
        urls.iter().cycle().cloned().zip(requests).collect();
    let authorization = authorization.map(str::to_owned);
    drive(requests, concurrency, move |(url, body)| {
        let mut request = http.post(&url).json(&body);
        if let Some(value) = &authorization {
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        async move {
            match request.send().await {
                // Read the body: the request is done when the answer is in.
                Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
                _ => false,
            }
        }
    })
    .await
}

/// Runs `step` on every item, `concurrency` at a time, timing each; a step that returns
/// `false` is a failure.
async fn drive<T, F, Fut>(items: Vec<T>, concurrency: usize, step: F) -> anyhow::Result<Report>
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let queue = std::sync::Arc::new(std::sync::Mutex::new(items.into_iter()));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let queue = std::sync::Arc::clone(&queue);
        let step = step.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                let next = queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .next();
                let Some(item) = next else { break };
                let sent = Instant::now();
                if step(item).await {
                    latencies.push(sent.elapsed());
                } else {
                    failures += 1;
                }
            }
            (latencies, failures)
        });
    }
    let mut report = Report {
        latencies: Vec::new(),
        failures: 0,
        elapsed: Duration::ZERO,
    };
    while let Some(done) = workers.join_next().await {
        let (latencies, failures) = done?;
        report.latencies.extend(latencies);
        report.failures += failures;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// How long an acknowledged act waits for a published checkpoint, measured from outside while
/// the verifications run. A prober verifies one holder at a platform of its own every
/// [`Probe::EVERY`], one at a time, and notes when each is acknowledged; a follower reads the
/// log as an auditor does, as far as the latest stored checkpoint reaches (`GET
/// /v1/log/entries`, which serves only checkpointed entries and, unlike `GET
/// /v1/log/checkpoint`, never integrates on demand), every [`Probe::POLL`], and notes when
/// each of that platform's verifications appears. The k-th acknowledged probe is the k-th
/// entry seen: one at a time, each commits after the one before. What it measures is the
/// background integrator's delay plus at most one poll.
struct Probe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    prober: tokio::task::JoinHandle<anyhow::Result<Vec<Instant>>>,
    follower: tokio::task::JoinHandle<anyhow::Result<Vec<Instant>>>,
    seen: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Probe {
    const EVERY: Duration = Duration::from_millis(100);
    const POLL: Duration = Duration::from_millis(50);
    /// How long the follower waits, after the phase, for the last probes to be checkpointed.
    const DRAIN: Duration = Duration::from_secs(10);

    /// Registers the probe's platform and starts both tasks.
    async fn start(
        http: &reqwest::Client,
        args: &Args,
        operator: &Operator,
        wallets: &std::sync::Arc<Vec<Wallet>>,
        service_key: &netid_crypto::VerifyingKey,
    ) -> anyhow::Result<Self> {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let platform = register_platform(http, args, operator, "load probe").await?;
        let server = args.server.as_str();
        // The follower starts at the checkpoint that covers the platform's registration.
        let note = get_text(http, &format!("{server}/v1/log/checkpoint")).await?;
        let mut cursor: u64 = note
            .lines()
            .nth(1)
            .and_then(|size| size.parse().ok())
            .context("a checkpoint's second line is its size")?;
        if wallets.is_empty() {
            bail!("at least one enrollment is needed");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicUsize::new(0));
        let prober = {
            let (http, stop, key) = (http.clone(), Arc::clone(&stop), service_key.clone());
            let wallets = Arc::clone(wallets);
            let (url, basic) = (
                format!("{server}/v1/platform/verify"),
                basic_auth(&platform),
            );
            let client_id = platform.client_id.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let nonce = format!("load-probe-{:08}", acknowledged.len());
                    let wallet = wallets.first().context("an enrolled holder")?;
                    let presentation = wallet.present(&key, &client_id, &nonce, &[]);
                    post(&http, &url, Some(&basic), &VerifyRequest { presentation }).await?;
                    acknowledged.push(Instant::now());
                    tokio::time::sleep(Self::EVERY).await;
                }
                Ok(acknowledged)
            })
        };
        let follower = {
            let (http, done, seen) = (http.clone(), Arc::clone(&done), Arc::clone(&seen));
            let server = server.to_owned();
            tokio::spawn(async move {
                let mut sightings = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let url = format!(
                        "{server}/v1/log/entries?start={cursor}&end={}",
                        cursor + 1000
                    );
                    let response = http.get(url).send().await?;
                    // 400 while nothing past the cursor is checkpointed yet.
                    if response.status().is_success() {
                        let page: netid_proto::LogEntries = response.json().await?;
                        let now = Instant::now();
                        for entry in &page.entries {
                            let entry = netid_log::Entry::from_leaf(entry.as_bytes())?;
                            if entry.kind == netid_log::EntryKind::Verification
                                && entry.platform.as_deref() == Some(platform.client_id.as_str())
                            {
                                sightings.push(now);
                                seen.store(sightings.len(), Ordering::Relaxed);
                            }
                        }
                        cursor += u64::try_from(page.entries.len())?;
                    }
                    tokio::time::sleep(Self::POLL).await;
                }
                Ok(sightings)
            })
        };
        Ok(Self {
            stop,
            done,
            prober,
            follower,
            seen,
        })
    }

    /// Stops probing, waits for the probes' entries (at most [`Probe::DRAIN`]) and reports.
    async fn finish(self) -> anyhow::Result<serde_json::Value> {
        use std::sync::atomic::Ordering;
        self.stop.store(true, Ordering::Relaxed);
        let acknowledged = self.prober.await??;
        let waited = Instant::now();
        while self.seen.load(Ordering::Relaxed) < acknowledged.len()
            && waited.elapsed() < Self::DRAIN
        {
            tokio::time::sleep(Self::POLL).await;
        }
        self.done.store(true, Ordering::Relaxed);
        let sightings = self.follower.await??;
        let delays: Vec<Duration> = acknowledged
            .iter()
            .zip(&sightings)
            .map(|(acknowledged, seen)| seen.saturating_duration_since(*acknowledged))
            .collect();
        let report = Report {
            latencies: delays,
            failures: acknowledged.len().saturating_sub(sightings.len()),
            elapsed: Duration::ZERO,
        };
        Ok(report.json("checkpoint_latency"))
    }
}
