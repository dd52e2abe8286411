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
    EnrollRequest, NoticeDeferral, OperatorReadRequest, Predicate, Presentation, Problem,
    PublicKey, RegisterAuthorityRequest, RegisterPlatformRequest, RosterEntry, RosterPayload,
    SignedRoster, VerifyRequest, signing,
};

use crate::commands::{
    AuthorityCommand, CaCommand, Cli, Command, DocCommand, OperatorCommand, PlatformCommand,
    WalletCommand,
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
        Command::RotateMasterKey { data_dir } => rotate_master_key(data_dir),
        Command::Doc(DocCommand::Validate { document_type }) => {
            let document: DocumentType = document_type
                .parse()
                .with_context(|| format!("--type {document_type}"))?;
            let stdin = std::io::stdin().lock();
            let stdout = std::io::stdout().lock();
            doc::validate(document, today()?, stdin, stdout).context("validating stdin")?;
            Ok(())
        }
        Command::Wallet(command) => wallet(command),
        Command::Operator(command) => operator(command),
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
        Command::Authority(command) => authority(command),
        Command::Ca(CaCommand::InitRoot {
            suite,
            key,
            cert,
            subject,
            days,
        }) => ca::init_root(&suite, &key, &cert, &subject, days),
        Command::Ca(CaCommand::Filing { auth, out }) => {
            ca::filing(&auth.server.server, &auth.credential, &out)
        }
        Command::Ca(CaCommand::IssuingKey { auth, out }) => {
            ca::issuing_key(&auth.server.server, &auth.credential, &out)
        }
        Command::Ca(CaCommand::SignIssuing {
            root_key,
            root_cert,
            issuing_key,
            out,
            days,
        }) => ca::sign_issuing(&root_key, &root_cert, &issuing_key, &out, days),
        Command::Ca(CaCommand::Rollover { auth, out }) => {
            ca::rollover(&auth.server.server, &auth.credential, &out)
        }
        Command::Ca(CaCommand::Revoke {
            auth,
            serial,
            reason,
        }) => ca::revoke(&auth.server.server, &auth.credential, serial, reason),
        Command::Ca(CaCommand::ResponderKey { auth, out }) => {
            ca::responder_key(&auth.server.server, &auth.credential, &out)
        }
        Command::Ca(CaCommand::ExportSuccessor {
            auth,
            successor_key,
            out,
        }) => ca::export_successor(&auth.server.server, &auth.credential, &successor_key, &out),
        Command::Ca(CaCommand::ImportPredecessor {
            auth,
            package,
            root_sha256,
        }) => ca::import_predecessor(
            &auth.server.server,
            &auth.credential,
            &package,
            &root_sha256,
        ),
        Command::Ca(CaCommand::Install {
            auth,
            root_cert,
            issuing_cert,
        }) => ca::install(
            &auth.server.server,
            &auth.credential,
            &root_cert,
            &issuing_cert,
        ),
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

fn rotate_master_key(data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let config = server_config(None, data_dir)?;
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
    if rotated.key_file {
        eprintln!("netid: the new key is in the key file; the old key is gone from it");
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

fn sign(key: &SigningKey, message: &[u8]) -> anyhow::Result<String> {
    Ok(Base64UrlUnpadded::encode_string(
        &key.sign(message)?.to_fixed(),
    ))
}

fn wallet(command: WalletCommand) -> anyhow::Result<()> {
    match command {
        WalletCommand::Init { wallet, suite } => {
            let suite: SuiteId = suite.parse().context("--suite")?;
            let key = Suite::new(suite).generate_signing_key()?;
            write_secret(&wallet, &key.to_pkcs8_pem()?)?;
            eprintln!("netid: wallet key written to {}", wallet.display());
            print!("{}", key.verifying_key().to_spki_pem()?);
            Ok(())
        }
        WalletCommand::PublicKey { wallet } => {
            print!("{}", load_key(&wallet)?.verifying_key().to_spki_pem()?);
            Ok(())
        }
        WalletCommand::Enroll {
            server,
            wallet,
            document_type,
            number,
            name,
            code,
            guardian_wallet,
        } => {
            let key = load_key(&wallet)?;
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let message = signing::enrollment_message(
                &document_type,
                &number,
                &name,
                code.as_deref(),
                &request_id,
                timestamp,
            );
            let signature = sign(&key, &message)?;
            let guardian = match guardian_wallet {
                Some(path) => {
                    let guardian = load_key(&path)?;
                    Some(netid_proto::GuardianConsent {
                        wallet_key: public_key(&guardian)?,
                        signature: sign(&guardian, &signing::guardian_consent_message(&signature))?,
                    })
                }
                None => None,
            };
            let request = EnrollRequest {
                document_type,
                document_number: number,
                name,
                enrollment_code: code,
                wallet_key: public_key(&key)?,
                request_id: request_id.clone(),
                timestamp,
                signature,
                guardian,
            };
            println!(
                "{}",
                post(&server.server, "/v1/holders/enroll", None, &request)?
            );
            Ok(())
        }
        WalletCommand::Certificate {
            server,
            wallet,
            key,
            out,
            suite,
        } => {
            let wallet = load_key(&wallet)?;
            let suite = Suite::new(suite.parse::<SuiteId>().context("--suite")?);
            let certificate_key = suite.generate_signing_key()?;
            let csr = netid_ca::build_request("CN=netid holder request", &certificate_key)?;
            let csr = Base64UrlUnpadded::encode_string(&csr);
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let request = netid_proto::HolderCertificateRequest {
                signature: sign(
                    &wallet,
                    &signing::certificate_request_message(&csr, &request_id, timestamp),
                )?,
                csr,
                wallet_key: public_key(&wallet)?,
                request_id: request_id.clone(),
                timestamp,
            };
            let answer = post(&server.server, "/v1/holders/certificates", None, &request)?;
            write_secret(&key, &certificate_key.to_pkcs8_pem()?)?;
            write_issued_certificate(&answer, &out)
        }
        WalletCommand::RenewCertificate {
            server,
            wallet,
            serial,
            out,
        } => {
            let wallet = load_key(&wallet)?;
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let request = netid_proto::RenewCertificateRequest {
                signature: sign(
                    &wallet,
                    &signing::certificate_renewal_message(&serial, &request_id, timestamp),
                )?,
                serial,
                wallet_key: public_key(&wallet)?,
                request_id: request_id.clone(),
                timestamp,
            };
            let answer = post(
                &server.server,
                "/v1/holders/certificates/renew",
                None,
                &request,
            )?;
            write_issued_certificate(&answer, &out)
        }
        WalletCommand::RevokeCertificate {
            server,
            wallet,
            serial,
            reason,
        } => {
            let wallet = load_key(&wallet)?;
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let request = netid_proto::RevokeCertificateRequest {
                signature: sign(
                    &wallet,
                    &signing::certificate_revocation_message(
                        &serial,
                        reason.as_deref(),
                        &request_id,
                        timestamp,
                    ),
                )?,
                serial,
                reason,
                wallet_key: public_key(&wallet)?,
                request_id: request_id.clone(),
                timestamp,
            };
            println!(
                "{}",
                post(
                    &server.server,
                    "/v1/holders/certificates/revoke",
                    None,
                    &request
                )?
            );
            Ok(())
        }
        WalletCommand::Log {
            server,
            wallet,
            log_key,
        } => {
            let key = load_key(&wallet)?;
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let request = netid_proto::HolderLogRequest {
                wallet_key: public_key(&key)?,
                request_id: request_id.clone(),
                timestamp,
                signature: sign(&key, &signing::holder_log_message(&request_id, timestamp))?,
            };
            block_on(audit::wallet_log(audit::WalletLogArgs {
                server: server.server,
                log_key,
                request,
            }))
        }
        WalletCommand::Delete {
            server,
            wallet,
            yes_delete_my_data,
        } => {
            if !yes_delete_my_data {
                bail!(
                    "deleting your data cannot be undone: your Net ID is retired for good, your Net Certificates and certificates are revoked, your consents end, platforms can no longer verify you, and the service can no longer read your record; run again with --yes-delete-my-data to go ahead"
                );
            }
            let wallet = load_key(&wallet)?;
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let request = netid_proto::DeleteRequest {
                signature: sign(&wallet, &signing::deletion_message(&request_id, timestamp))?,
                wallet_key: public_key(&wallet)?,
                request_id: request_id.clone(),
                timestamp,
                guardian: None,
            };
            println!(
                "{}",
                post(&server.server, "/v1/holders/delete", None, &request)?
            );
            Ok(())
        }
        WalletCommand::Consent {
            server,
            wallet,
            client_id,
            fields,
            guardian_wallet,
        } => {
            let key = load_key(&wallet)?;
            let request = consent_request(
                &server.server,
                &key,
                client_id,
                fields,
                guardian_wallet.as_deref(),
            )?;
            println!(
                "{}",
                post(&server.server, "/v1/holders/consents", None, &request)?
            );
            Ok(())
        }
        WalletCommand::LinkBrowser { server, wallet } => {
            let key = load_key(&wallet)?;
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let request = netid_proto::PasskeyLinkRequest {
                signature: sign(&key, &signing::passkey_link_message(&request_id, timestamp))?,
                wallet_key: public_key(&key)?,
                request_id: request_id.clone(),
                timestamp,
            };
            let answer: netid_proto::PasskeyLinkResponse = serde_json::from_str(&post(
                &server.server,
                "/v1/holders/passkeys/link",
                None,
                &request,
            )?)
            .context("the service's answer")?;
            eprintln!(
                "open this link within {} minutes in the browser that is to hold your passkey:",
                answer.expires_in / 60
            );
            println!("{}", answer.url);
            Ok(())
        }
        WalletCommand::Authorize {
            server,
            wallet,
            client_id,
            request_uri,
            consent,
            deny,
            guardian_wallet,
        } => {
            let key = load_key(&wallet)?;
            let consent = if consent.is_empty() {
                None
            } else {
                Some(consent_request(
                    &server.server,
                    &key,
                    client_id.clone(),
                    consent,
                    guardian_wallet.as_deref(),
                )?)
            };
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let decision = netid_proto::OidcDecision {
                signature: sign(
                    &key,
                    &signing::oidc_decision_message(
                        &request_uri,
                        &client_id,
                        !deny,
                        &request_id,
                        timestamp,
                    ),
                )?,
                request_uri,
                approve: !deny,
                wallet_key: public_key(&key)?,
                request_id: request_id.clone(),
                timestamp,
                consent,
            };
            println!(
                "{}",
                post(&server.server, "/v1/holders/oidc/decision", None, &decision)?
            );
            eprintln!(
                "{}; go back to your browser and press continue",
                if deny { "declined" } else { "approved" }
            );
            Ok(())
        }
        WalletCommand::Withdraw {
            server,
            wallet,
            client_id,
            fields,
            ward_net_id,
        } => {
            let key = load_key(&wallet)?;
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let message = match &ward_net_id {
                Some(ward) => signing::ward_consent_withdrawal_message(
                    ward,
                    &client_id,
                    &fields,
                    &request_id,
                    timestamp,
                ),
                None => {
                    signing::consent_withdrawal_message(&client_id, &fields, &request_id, timestamp)
                }
            };
            let request = netid_proto::WithdrawConsentRequest {
                signature: sign(&key, &message)?,
                client_id,
                fields,
                ward_net_id,
                wallet_key: public_key(&key)?,
                request_id: request_id.clone(),
                timestamp,
            };
            println!(
                "{}",
                post(
                    &server.server,
                    "/v1/holders/consents/withdraw",
                    None,
                    &request
                )?
            );
            Ok(())
        }
        WalletCommand::DeleteWard {
            server,
            wallet,
            ward_net_id,
            yes_delete_the_childs_data,
        } => {
            if !yes_delete_the_childs_data {
                bail!(
                    "deleting the child's data cannot be undone: their Net ID is retired for good, their Net Certificates and certificates are revoked, their consents end and platforms can no longer verify them; run again with --yes-delete-the-childs-data to go ahead"
                );
            }
            let key = load_key(&wallet)?;
            let timestamp = now()?;
            let request_id = netid_crypto::random_token()?;
            let request = netid_proto::WardDeleteRequest {
                signature: sign(
                    &key,
                    &signing::ward_deletion_message(&ward_net_id, &request_id, timestamp),
                )?,
                ward_net_id,
                wallet_key: public_key(&key)?,
                request_id: request_id.clone(),
                timestamp,
            };
            println!(
                "{}",
                post(&server.server, "/v1/holders/wards/delete", None, &request)?
            );
            Ok(())
        }
        WalletCommand::NetCertificates {
            server,
            wallet,
            count,
            keep,
            suite,
            out,
        } => {
            let count = match keep {
                Some(keep) => net_certificates::missing(&out, usize::from(keep))?,
                None => usize::from(count),
            };
            net_certificates::fetch(&server.server, &load_key(&wallet)?, count, &suite, &out)
        }
        WalletCommand::Present {
            request: Some(request),
            certificates,
            server,
            ..
        } => net_certificates::present(&server, &certificates, &request),
        WalletCommand::Present {
            wallet,
            client_id,
            nonce,
            predicates,
            server,
            ..
        } => {
            let (Some(client_id), Some(nonce)) = (client_id, nonce) else {
                bail!("--client-id and --nonce are required (or --request for a Net Certificate)");
            };
            let key = load_key(&wallet)?;
            let predicates = predicates
                .iter()
                .map(|name| {
                    serde_json::from_value::<Predicate>(serde_json::Value::String(name.clone()))
                        .with_context(|| {
                            format!("--predicate {name}: expected age_over_14 or age_over_18")
                        })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let timestamp = now()?;
            let message = signing::presentation_message(&client_id, &nonce, &predicates, timestamp);
            // Who presents goes to the service alone, sealed afresh: the platform forwards it.
            let service_key: netid_proto::PresentationKey =
                serde_json::from_str(&get_public(&server, "/v1/presentation-key")?)
                    .context("the service's presentation key")?;
            let service_key = Suite::gm()
                .verifying_key_from_spki_pem(&service_key.public_key)
                .context("the service's presentation key is not an SM2 key")?;
            let sealed = netid_proto::SealedPresentation {
                wallet_key: public_key(&key)?,
                signature: sign(&key, &message)?,
            };
            let presentation = Presentation {
                nonce,
                predicates,
                timestamp,
                sealed: Base64UrlUnpadded::encode_string(
                    &service_key.sm2_encrypt(&serde_json::to_vec(&sealed)?)?,
                ),
            };
            println!("{}", serde_json::to_string_pretty(&presentation)?);
            Ok(())
        }
    }
}

fn operator(command: OperatorCommand) -> anyhow::Result<()> {
    let (auth, path, body) = match command {
        OperatorCommand::RegisterAuthority {
            auth,
            name,
            public_key,
        } => {
            let request = RegisterAuthorityRequest {
                name,
                public_key: PublicKey::Pem(read(&public_key)?),
            };
            (
                auth,
                "/v1/operator/authorities",
                serde_json::to_value(request)?,
            )
        }
        OperatorCommand::LoadRoster { auth, roster } => {
            let roster: SignedRoster = serde_json::from_str(&read(&roster)?)
                .context("the roster file is not a signed roster")?;
            (auth, "/v1/operator/rosters", serde_json::to_value(roster)?)
        }
        OperatorCommand::RegisterPlatform {
            auth,
            name,
            sector_of,
        } => (
            auth,
            "/v1/operator/platforms",
            serde_json::to_value(RegisterPlatformRequest { name, sector_of })?,
        ),
        OperatorCommand::ReadHolder {
            auth,
            net_id,
            fields,
            legal_basis,
            reference,
            defer_until,
            defer_ground,
            defer_basis,
        } => {
            let defer_notice = match (defer_until, defer_ground, defer_basis) {
                (Some(until), Some(ground), Some(legal_basis)) => Some(NoticeDeferral {
                    ground,
                    legal_basis,
                    until,
                }),
                _ => None,
            };
            let request = OperatorReadRequest {
                net_id,
                fields,
                legal_basis,
                reference,
                defer_notice,
            };
            (
                auth,
                "/v1/operator/holders/read",
                serde_json::to_value(request)?,
            )
        }
    };
    let bearer = format!("Bearer {}", auth.credential);
    println!("{}", post(&auth.server.server, path, Some(&bearer), &body)?);
    Ok(())
}

fn authority(command: AuthorityCommand) -> anyhow::Result<()> {
    match command {
        AuthorityCommand::Init { key } => {
            let signing_key = Suite::gm().generate_signing_key()?;
            write_secret(&key, &signing_key.to_pkcs8_pem()?)?;
            print!("{}", signing_key.verifying_key().to_spki_pem()?);
            Ok(())
        }
        AuthorityCommand::SignRoster { key, name, records } => {
            let key = load_key(&key)?;
            let records: Vec<RosterEntry> = serde_json::from_str(&read(&records)?)
                .context("the records file is not a json array of roster entries")?;
            // The service refuses a roster with a missing or weak code: say so before signing.
            for (index, record) in records.iter().enumerate() {
                let code = record.enrollment_code.as_deref().with_context(|| {
                    format!(
                        "record {index} has no enrollment_code: give each person a one-time code"
                    )
                })?;
                netid_core::enrollment_code::check_strength(code)
                    .with_context(|| format!("record {index}: enrollment_code is too weak"))?;
            }
            let payload = RosterPayload {
                authority: name.clone(),
                issued_at: today()?.to_string(),
                records,
            };
            let bytes = serde_json::to_vec(&payload)?;
            let signed = SignedRoster {
                alg: key.suite().jose_alg().to_owned(),
                authority: name,
                payload: Base64UrlUnpadded::encode_string(&bytes),
                signature: sign(&key, &bytes)?,
            };
            println!("{}", serde_json::to_string_pretty(&signed)?);
            Ok(())
        }
    }
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

/// GETs `path` with `authorization`; returns the body, or an error with the problem's detail.
/// A GET of a public endpoint.
fn get_public(server: &str, path: &str) -> anyhow::Result<String> {
    block_on(async {
        let url = format!("{}{path}", server.trim_end_matches('/'));
        let response = reqwest::get(&url)
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        answer(response).await
    })
}

fn get(server: &str, path: &str, authorization: &str) -> anyhow::Result<String> {
    block_on(async {
        let url = format!("{}{path}", server.trim_end_matches('/'));
        let response = reqwest::Client::new()
            .get(&url)
            .header(reqwest::header::AUTHORIZATION, authorization)
            .send()
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

/// A separate consent to give `client_id` each of `fields`, signed by `key` under the notice
/// the service serves now (printed first, as the holder must see it), with the guardian's
/// approval for a holder under 14.
fn consent_request(
    server: &str,
    key: &netid_crypto::SigningKey,
    client_id: String,
    fields: Vec<String>,
    guardian_wallet: Option<&std::path::Path>,
) -> anyhow::Result<netid_proto::ConsentRequest> {
    let notice: netid_proto::Notice =
        serde_json::from_str(&get_public(server, "/v1/notice")?).context("the service's notice")?;
    eprintln!("{}", serde_json::to_string_pretty(&notice)?);
    let timestamp = now()?;
    let request_id = netid_crypto::random_token()?;
    let signature = sign(
        key,
        &signing::consent_message(&client_id, &fields, &notice.version, &request_id, timestamp),
    )?;
    let guardian = match guardian_wallet {
        Some(path) => {
            let guardian = load_key(path)?;
            Some(netid_proto::GuardianConsent {
                wallet_key: public_key(&guardian)?,
                signature: sign(
                    &guardian,
                    &signing::guardian_approval_message("consent", &signature),
                )?,
            })
        }
        None => None,
    };
    Ok(netid_proto::ConsentRequest {
        client_id,
        fields,
        notice_version: notice.version,
        wallet_key: public_key(key)?,
        request_id: request_id.clone(),
        timestamp,
        signature,
        guardian,
    })
}
