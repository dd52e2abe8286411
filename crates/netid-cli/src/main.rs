//! `netid`: the one binary. `netid serve` runs the service; every other command is a client
//! that speaks HTTP to a running service, exactly as any other client would.
//!
//! Exit codes: 0 success; 1 an error (printed as `netid: ...` with its causes); 2 a usage
//! error (from clap).

mod audit;
mod ca;
mod commands;
mod doc;
mod net_certificates;
mod operator;
mod vci;
mod vp;
mod wallet;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use clap::Parser;
use netid_core::{Date, DocumentType};
use netid_crypto::{SigningKey, Suite, SuiteId};
use netid_proto::{
    CommitmentsRequest, EnrollRequest, NoticeDeferral, OperatorReadRequest, Predicate,
    Presentation, Problem, PublicKey, RegisterAuthorityRequest, RegisterPlatformRequest,
    RosterEntry, RosterPayload, SignedRoster, VerifyRequest, signing,
};

use crate::commands::{
    AuthorityCommand, CaCommand, Cli, Command, DocCommand, MasterKeyCommand, OperatorCommand,
    PlatformCommand, ServiceKeysCommand, WalletCommand,
};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("netid: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { listen, data_dir } => serve(listen, data_dir),
        Command::RotateMasterKey {
            data_dir,
            shares_out,
        } => rotate_master_key(data_dir, shares_out),
        Command::MasterKey(MasterKeyCommand::Split {
            data_dir,
            threshold,
            shares,
            out,
        }) => {
            let config = server_config(None, data_dir)?;
            let split = block_on(async {
                Ok(netid_server::split_master_key(&config, threshold, shares, &out).await?)
            })?;
            for file in &split.files {
                println!("{}", file.display());
            }
            eprintln!(
                "netid: the master key is split into {} shares, any {} of which recover it; the key file is removed. Give each share to one person, remove them from this machine, and start with NETID_MASTER_KEY_SHARES naming {} of them",
                split.files.len(),
                split.threshold,
                split.threshold
            );
            Ok(())
        }
        Command::MasterKey(MasterKeyCommand::SealToToken { data_dir }) => {
            let config = server_config(None, data_dir)?;
            let token = config.token.as_ref().ok_or_else(|| {
                anyhow::anyhow!(
                    "name the token: set NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN and NETID_PKCS11_PIN_FILE"
                )
            })?;
            let wrapping = block_on(async {
                Ok(netid_server::seal_master_key_to_token(&config, token).await?)
            })?;
            eprintln!(
                "netid: the master key is wrapped by {wrapping} and the key file is removed; every start needs the token and its PIN"
            );
            Ok(())
        }
        Command::ServiceKeys(ServiceKeysCommand::MoveToToken { data_dir }) => {
            let config = server_config(None, data_dir)?;
            let moved =
                block_on(async { Ok(netid_server::move_signing_keys_to_token(&config).await?) })?;
            for name in &moved {
                println!("{name}");
            }
            eprintln!(
                "netid: {} signing key(s) moved into the PKCS#11 token; the store keeps only references, and every start needs the token and its PIN",
                moved.len()
            );
            Ok(())
        }
        Command::Backup { data_dir, to } => {
            let config = server_config(None, data_dir)?;
            let written = block_on(async { Ok(netid_server::backup(&config, &to).await?) })?;
            eprintln!(
                "netid: backed up to {} ({} bytes, schema {}); it holds no key: keep the master key apart",
                to.display(),
                written.bytes,
                written.schema
            );
            Ok(())
        }
        Command::Restore { data_dir, from } => {
            let config = server_config(None, data_dir)?;
            let restored = block_on(async { Ok(netid_server::restore(&config, &from).await?) })?;
            eprintln!(
                "netid: restored {} (schema {}); the next start deletes again the holders among the {} deletions in the journal that the backup still holds",
                from.display(),
                restored.schema,
                restored.journaled_deletions
            );
            Ok(())
        }
        Command::Doc(DocCommand::Validate { document_type }) => {
            let document: DocumentType = document_type
                .parse()
                .with_context(|| format!("--type {document_type}"))?;
            let stdin = std::io::stdin().lock();
            let stdout = std::io::stdout().lock();
            doc::validate(document, today()?, stdin, stdout).context("validating stdin")?;
            Ok(())
        }
        Command::Wallet(command) => wallet::wallet(command),
        Command::Operator(command) => operator::operator(command),
        Command::Platform(PlatformCommand::Verify {
            server,
            client_id,
            credential,
            presentation,
        }) => {
            let text = if presentation == Path::new("-") {
                std::io::read_to_string(std::io::stdin()).context("reading stdin")?
            } else {
                read(&presentation)?
            };
            let presentation: Presentation =
                serde_json::from_str(&text).context("the presentation is not valid json")?;
            let basic = Base64::encode_string(format!("{client_id}:{credential}").as_bytes());
            let body = post(
                &server.server,
                "/v1/platform/verify",
                Some(&format!("Basic {basic}")),
                &VerifyRequest { presentation },
            )?;
            println!("{body}");
            Ok(())
        }
        Command::Platform(PlatformCommand::Commit {
            server,
            client_id,
            credential,
            no_extra_plaintext,
            equal_service,
        }) => {
            let basic = Base64::encode_string(format!("{client_id}:{credential}").as_bytes());
            let body = post(
                &server.server,
                "/v1/platform/commitments",
                Some(&format!("Basic {basic}")),
                &CommitmentsRequest {
                    no_extra_plaintext,
                    equal_service,
                },
            )?;
            println!("{body}");
            Ok(())
        }
        Command::Authority(command) => operator::authority(command),
        Command::Ca(CaCommand::InitRoot {
            suite,
            key,
            cert,
            subject,
            days,
        }) => ca::init_root(&suite, &key, &cert, &subject, days),
        Command::Ca(CaCommand::Filing { auth, out }) => ca::filing(&auth, &out),
        Command::Ca(CaCommand::IssuingKey { auth, out }) => ca::issuing_key(&auth, &out),
        Command::Ca(CaCommand::SignIssuing {
            root_key,
            root_cert,
            issuing_key,
            out,
            days,
        }) => ca::sign_issuing(&root_key, &root_cert, &issuing_key, &out, days),
        Command::Ca(CaCommand::Rollover { auth, request, out }) => {
            ca::rollover(&auth, request, &out)
        }
        Command::Ca(CaCommand::Revoke {
            auth,
            serial,
            reason,
        }) => ca::revoke(&auth, serial, reason),
        Command::Ca(CaCommand::ResponderKey { auth, out }) => ca::responder_key(&auth, &out),
        Command::Ca(CaCommand::ExportSuccessor {
            auth,
            request,
            successor_key,
            out,
        }) => ca::export_successor(&auth, ca::Step::of(request, successor_key)?, &out),
        Command::Ca(CaCommand::ImportPredecessor {
            auth,
            request,
            package,
            root_sha256,
        }) => {
            let asked = package.zip(root_sha256);
            ca::import_predecessor(&auth, ca::Step::of(request, asked)?)
        }
        Command::Ca(CaCommand::Install {
            auth,
            request,
            root_cert,
            issuing_cert,
        }) => ca::install(&auth, ca::Step::of(request, root_cert.zip(issuing_cert))?),
        Command::Verify {
            issuer,
            audience,
            nonce,
            claims,
        } => net_certificates::verify(&issuer, &audience, &nonce, &claims),
        Command::Audit {
            server,
            log_key,
            state_dir,
            checkpoints,
        } => block_on(audit::audit(audit::AuditArgs {
            server: server.server,
            log_key,
            state_dir,
            checkpoints,
        })),
    }
}

fn block_on<T>(future: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(future)
}

fn serve(listen: Option<std::net::SocketAddr>, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    init_logging();
    let config = server_config(listen, data_dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(netid_server::serve(config))?;
    Ok(())
}

/// The service's configuration from the environment, with the command line's overrides.
fn server_config(
    listen: Option<std::net::SocketAddr>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<netid_server::Config> {
    let env = netid_server::Config::process_env()?;
    Ok(netid_server::Config::load(
        env,
        netid_server::Overrides { listen, data_dir },
    )?)
}

fn rotate_master_key(data_dir: Option<PathBuf>, shares_out: Option<PathBuf>) -> anyhow::Result<()> {
    let mut config = server_config(None, data_dir)?;
    config.new_shares_out = shares_out;
    let progress = |done, total| eprintln!("netid: resealed {done} of {total} holders");
    let rotated = block_on(async {
        let rotation =
            netid_server::rotate_master_key(config, netid_server::ROTATION_BATCH, progress);
        Ok(rotation.await?)
    })?;
    if rotated.resumed {
        eprintln!("netid: finished the rotation an earlier run began");
    }
    eprintln!(
        "netid: master key rotated: {} holders, {} service keys and {} deferred-read keys sealed under the new key",
        rotated.holders, rotated.service_keys, rotated.tag_keys
    );
    for file in &rotated.share_files {
        println!("{}", file.display());
    }
    if !rotated.share_files.is_empty() {
        eprintln!(
            "netid: the new key is split into the share files listed; hand them out as before, and start with NETID_MASTER_KEY_SHARES naming them: the old shares open nothing any more"
        );
    } else if rotated.key_file {
        eprintln!(
            "netid: the new key is kept where the old one was; the old key is gone from it (a split key: start with NETID_MASTER_KEY_SHARES naming the new shares)"
        );
    } else {
        eprintln!(
            "netid: serve with NETID_MASTER_KEY set to the new key from now on, and destroy the old one"
        );
    }
    Ok(())
}

fn init_logging() {
    let filter = tracing_subscriber_filter();
    let json = std::env::var("NETID_LOG_FORMAT").is_ok_and(|format| format == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation cannot happen in this binary; ignore the impossible error.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}

fn tracing_subscriber_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_env("NETID_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

fn today() -> anyhow::Result<Date> {
    let seconds = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs(),
    )?;
    // China Standard Time, as the service computes it.
    Date::from_days_since_unix_epoch((seconds + 8 * 3600).div_euclid(86_400))
        .context("the system clock is outside years 1 to 9999")
}

fn now() -> anyhow::Result<i64> {
    Ok(i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs(),
    )?)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes the certificate and chain of the service's `answer` to `out` and prints its serial.
fn write_issued_certificate(answer: &str, out: &Path) -> anyhow::Result<()> {
    let issued: netid_proto::HolderCertificateResponse =
        serde_json::from_str(answer).context("the service's answer is malformed")?;
    std::fs::write(out, format!("{}{}", issued.certificate, issued.chain))
        .with_context(|| format!("writing {}", out.display()))?;
    println!("{}", serde_json::json!({ "serial": issued.serial }));
    Ok(())
}

/// Writes a secret file with mode 0600, refusing to overwrite.
fn write_secret(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

fn load_key(path: &Path) -> anyhow::Result<SigningKey> {
    let pem = zeroize::Zeroizing::new(read(path)?);
    for suite in [Suite::gm(), Suite::intl()] {
        if let Ok(key) = suite.signing_key_from_pkcs8_pem(&pem) {
            return Ok(key);
        }
    }
    bail!("{} is not an SM2 or P-256 PKCS#8 PEM key", path.display())
}

fn public_key(key: &SigningKey) -> anyhow::Result<PublicKey> {
    Ok(PublicKey::Pem(key.verifying_key().to_spki_pem()?))
}

/// What a wallet adds to each request it signs: its public key, a fresh request id (a
/// request is answered once), the time, and its signature over the request's message.
struct SignedRequest {
    wallet_key: PublicKey,
    request_id: String,
    timestamp: i64,
    signature: String,
}

/// The request `$request { fields }` with the four fields the wallet's signature `$signed`
/// (a [`SignedRequest`]) adds to it.
macro_rules! signed {
    ($signed:expr, $request:path { $($field:ident $(: $value:expr)?),* $(,)? }) => {{
        let SignedRequest {
            wallet_key,
            request_id,
            timestamp,
            signature,
        } = $signed;
        $request {
            $($field $(: $value)?,)*
            wallet_key,
            request_id,
            timestamp,
            signature,
        }
    }};
}
pub(crate) use signed;

/// Signs with `key` the message that `message` makes of a fresh request id and the time.
fn sign_request(
    key: &SigningKey,
    message: impl FnOnce(&str, i64) -> Vec<u8>,
) -> anyhow::Result<SignedRequest> {
    let timestamp = now()?;
    let request_id = netid_crypto::random_token()?;
    let signature = sign(key, &message(&request_id, timestamp))?;
    Ok(SignedRequest {
        wallet_key: public_key(key)?,
        request_id,
        timestamp,
        signature,
    })
}

fn sign(key: &SigningKey, message: &[u8]) -> anyhow::Result<String> {
    Ok(Base64UrlUnpadded::encode_string(
        &key.sign(message)?.to_fixed(),
    ))
}

/// POSTs `body` as JSON; returns the response body, or an error with the problem's detail.
fn post(
    server: &str,
    path: &str,
    authorization: Option<&str>,
    body: &impl serde::Serialize,
) -> anyhow::Result<String> {
    block_on(async {
        let url = format!("{}{path}", server.trim_end_matches('/'));
        let mut request = reqwest::Client::new().post(&url).json(body);
        if let Some(authorization) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        answer(response).await
    })
}

/// A GET of a public endpoint; the body, or an error with the problem's detail.
fn get_public(server: &str, path: &str) -> anyhow::Result<String> {
    block_on(async {
        let url = format!("{}{path}", server.trim_end_matches('/'));
        let response = reqwest::get(&url)
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        answer(response).await
    })
}

/// The body of a successful response, or an error with the problem's detail.
async fn answer(response: reqwest::Response) -> anyhow::Result<String> {
    let status = response.status();
    let text = response.text().await.context("reading the response")?;
    if status.is_success() {
        return Ok(text);
    }
    match serde_json::from_str::<Problem>(&text) {
        Ok(problem) => bail!("{} ({}): {}", problem.title, problem.code, problem.detail),
        Err(_) => bail!("the service answered {status}"),
    }
}
