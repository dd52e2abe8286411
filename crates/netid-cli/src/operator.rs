//! `netid operator` and `netid authority`: the operator's requests, and a document
//! authority's key and signed rosters.

use netid_proto::{
    ActPending, AddOperatorRequest, HistoryScope, LegalBasisKind, OperatorRole, PlatformStatus,
    PlatformStatusRequest, PlatformSubject, ProfileDecision, RetireOperatorRequest,
};

use super::*;
use crate::commands::OperatorAuth;

pub(crate) fn operator(command: OperatorCommand) -> anyhow::Result<()> {
    // Each request: who signs, where, what, and whether it waits for a second operator.
    let (auth, path, body, two_person) = match command {
        OperatorCommand::Keygen {
            operator_key,
            suite,
        } => {
            let suite: SuiteId = suite.parse().context("--suite")?;
            let key = Suite::new(suite).generate_signing_key()?;
            write_secret(&operator_key, &key.to_pkcs8_pem()?)?;
            eprintln!(
                "netid: operator key written to {}; keep it to yourself",
                operator_key.display()
            );
            print!("{}", key.verifying_key().to_spki_pem()?);
            return Ok(());
        }
        OperatorCommand::Setup {
            data_dir,
            name,
            role,
            public_key,
        } => return setup(data_dir, name, role, &public_key),
        OperatorCommand::Add {
            auth,
            name,
            role,
            public_key,
        } => {
            let request = AddOperatorRequest {
                name,
                role,
                public_key: public_jwk(&public_key)?,
            };
            (
                auth,
                "/v1/operator/operators",
                serde_json::to_value(request)?,
                true,
            )
        }
        OperatorCommand::Retire { auth, operator_id } => (
            auth,
            "/v1/operator/operators/retire",
            serde_json::to_value(RetireOperatorRequest { operator_id })?,
            true,
        ),
        OperatorCommand::Certificate { operator_key } => {
            let key = load_key(&operator_key)?;
            print!("{}", client_certificate(&key, 365 * 24 * 3600)?);
            return Ok(());
        }
        OperatorCommand::PasskeyCode { auth, operator_id } => {
            let path = format!("/v1/operator/operators/{operator_id}/passkey-code");
            let answer: serde_json::Value =
                serde_json::from_str(&auth.post(&path, &serde_json::json!({}))?)
                    .context("the service did not answer with a code")?;
            println!(
                "{}",
                answer
                    .get("code")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
            );
            eprintln!(
                "netid: give this code to {operator_id} in person; with it they add a passkey in the operator console (/console/) within 24 hours, once"
            );
            return Ok(());
        }
        OperatorCommand::Accounts { auth } => {
            println!("{}", auth.get("/v1/operator/operators")?);
            return Ok(());
        }
        OperatorCommand::SecurityEvents {
            auth,
            after,
            after_hash,
            seal,
        } => {
            if seal {
                let sealed =
                    auth.post("/v1/operator/security-events/seal", &serde_json::json!({}))?;
                eprintln!("netid: sealed in the transparency log: {sealed}");
            }
            return security_events(&auth, after, after_hash.as_deref());
        }
        OperatorCommand::Acts { auth } => {
            println!("{}", auth.get("/v1/operator/acts")?);
            return Ok(());
        }
        OperatorCommand::Approve { auth, request_id } => {
            return act_step(&auth, &request_id, "approve");
        }
        OperatorCommand::Refuse { auth, request_id } => {
            return act_step(&auth, &request_id, "refuse");
        }
        OperatorCommand::CarryOut { auth, request_id } => {
            return act_step(&auth, &request_id, "carry-out");
        }
        OperatorCommand::Complaints { auth } => {
            println!("{}", auth.get("/v1/operator/complaints")?);
            return Ok(());
        }
        OperatorCommand::HandleComplaint {
            auth,
            reference,
            status,
            resolution,
            action,
        } => {
            let request = serde_json::json!({
                "status": status,
                "resolution": resolution,
                "action": action,
            });
            let path = format!("/v1/operator/complaints/{reference}");
            println!("{}", auth.post(&path, &request)?);
            return Ok(());
        }
        OperatorCommand::Platforms { auth } => {
            println!("{}", auth.get("/v1/operator/platforms")?);
            return Ok(());
        }
        OperatorCommand::PlatformStatus {
            auth,
            client_id,
            status,
            reason,
        } => {
            let status = [
                PlatformStatus::Suspended,
                PlatformStatus::Active,
                PlatformStatus::Removed,
            ]
            .into_iter()
            .find(|known| known.as_str() == status)
            .context("--status: expected suspended, active (to reinstate) or removed")?;
            let request = PlatformStatusRequest {
                client_id,
                status,
                reason,
            };
            (
                auth,
                "/v1/operator/platforms/status",
                serde_json::to_value(request)?,
                true,
            )
        }
        OperatorCommand::DecideProfile {
            auth,
            client_id,
            approve,
            refuse,
            valid_days,
        } => {
            let decision = ProfileDecision {
                client_id,
                approve,
                refuse,
                valid_days,
            };
            (
                auth,
                "/v1/operator/platforms/profile",
                serde_json::to_value(decision)?,
                true,
            )
        }
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
                false,
            )
        }
        OperatorCommand::LoadRoster { auth, roster } => {
            let roster: SignedRoster = serde_json::from_str(&read(&roster)?)
                .context("the roster file is not a signed roster")?;
            (
                auth,
                "/v1/operator/rosters",
                serde_json::to_value(roster)?,
                false,
            )
        }
        OperatorCommand::RegisterPlatform {
            auth,
            name,
            sector_of,
        } => (
            auth,
            "/v1/operator/platforms",
            serde_json::to_value(RegisterPlatformRequest { name, sector_of })?,
            false,
        ),
        OperatorCommand::ReadHolder {
            auth,
            net_id,
            platform,
            subject,
            certificate_serial,
            history_from,
            history_until,
            fields,
            basis_kind,
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
                platform_subject: platform
                    .zip(subject)
                    .map(|(client_id, subject)| PlatformSubject { client_id, subject }),
                certificate_serial,
                history: history_from
                    .zip(history_until)
                    .map(|(from, until)| HistoryScope { from, until }),
                fields,
                basis_kind: LegalBasisKind::ALL
                    .into_iter()
                    .find(|kind| kind.as_str() == basis_kind)
                    .with_context(|| {
                        format!(
                            "--basis-kind: expected one of {}",
                            LegalBasisKind::ALL.map(LegalBasisKind::as_str).join(", ")
                        )
                    })?,
                legal_basis,
                reference,
                defer_notice,
            };
            (
                auth,
                "/v1/operator/holders/read",
                serde_json::to_value(request)?,
                true,
            )
        }
    };
    let answer = if two_person {
        auth.ask(path, &body)?
    } else {
        auth.post(path, &body)?
    };
    println!("{answer}");
    Ok(())
}

/// `netid operator setup`: adds an operator to the data directory's store, server stopped.
fn setup(
    data_dir: Option<PathBuf>,
    name: String,
    role: OperatorRole,
    public_key: &Path,
) -> anyhow::Result<()> {
    let key = verifying_key(public_key)?;
    let config = crate::server_config(None, data_dir)?;
    let account = netid_server::operators::NewAccount { name, role, key };
    let ids =
        crate::block_on(async { Ok(netid_server::operators::setup(&config, &[account]).await?) })?;
    for id in ids {
        eprintln!("netid: operator {id} ({role}) added at set-up; it is in the transparency log");
        println!("{id}");
    }
    Ok(())
}

/// `netid operator security-events`: every page after `after`, the chain checked throughout.
fn security_events(
    auth: &OperatorAuth,
    after: u64,
    after_hash: Option<&str>,
) -> anyhow::Result<()> {
    let mut previous = after_hash
        .map(|hash| hex::decode(hash).context("--after-hash is not hex"))
        .transpose()?;
    let mut next = after;
    let mut shown = 0u64;
    let mut last_hash = String::new();
    loop {
        let page: netid_proto::SecurityEventPage =
            serde_json::from_str(&auth.get(&format!("/v1/operator/security-events?after={next}"))?)
                .context("the service's security events are malformed")?;
        if page.events.is_empty() {
            break;
        }
        let rows = page
            .events
            .iter()
            .map(|event| {
                Ok(netid_store::SecurityEventRow {
                    seq: event.seq,
                    at: netid_store::Timestamp(event.at),
                    kind: event.kind.clone(),
                    detail: event.detail.clone(),
                    prev_hash: hex::decode(&event.prev_hash)?,
                    hash: hex::decode(&event.hash)?,
                })
            })
            .collect::<Result<Vec<_>, hex::FromHexError>>()
            .context("an event's hash is not hex")?;
        // Without the hash of the event before, the first event links from the start of
        // the chain, or (once older events are past their retention) from where it says.
        let from = match (&previous, rows.first()) {
            (Some(hash), _) => hash.clone(),
            (None, Some(first)) if first.seq == 1 => netid_store::GENESIS.to_vec(),
            (None, first) => first.map(|row| row.prev_hash.clone()).unwrap_or_default(),
        };
        if let Some(broken) = netid_store::chain_break(&from, &rows) {
            bail!(
                "the security events' chain is broken at event {broken}: an event was changed, removed or inserted"
            );
        }
        for event in &page.events {
            println!(
                "{:>8}  {}  {:<36}  {}",
                event.seq, event.at, event.kind, event.detail
            );
        }
        shown += u64::try_from(rows.len())?;
        if let Some(last) = page.events.last() {
            next = last.seq;
            last_hash.clone_from(&last.hash);
        }
        previous = rows.last().map(|row| row.hash.clone());
    }
    eprintln!(
        "netid: {shown} event(s) after {after}, chain checked; the last hash is {}; continue \
         with `--after {next} --after-hash {}`",
        if last_hash.is_empty() {
            "-"
        } else {
            &last_hash
        },
        if last_hash.is_empty() {
            "-"
        } else {
            &last_hash
        }
    );
    Ok(())
}

/// `approve`, `refuse` or `carry-out` of a requested act.
fn act_step(auth: &OperatorAuth, request_id: &str, step: &str) -> anyhow::Result<()> {
    println!("{}", auth.act_step(request_id, step)?);
    Ok(())
}

/// A public key file (SPKI PEM) of either suite.
fn verifying_key(path: &Path) -> anyhow::Result<netid_crypto::VerifyingKey> {
    let pem = read(path)?;
    [Suite::gm(), Suite::intl()]
        .iter()
        .find_map(|suite| suite.verifying_key_from_spki_pem(&pem).ok())
        .with_context(|| {
            format!(
                "{} is not an SM2 or P-256 public key (SPKI PEM)",
                path.display()
            )
        })
}

/// A public key file as the JWK the service takes.
fn public_jwk(path: &Path) -> anyhow::Result<serde_json::Value> {
    Ok(netid_authn::jwt::jwk_value(&verifying_key(path)?.to_jwk()))
}

/// A self-signed client certificate (PEM) for the operator's P-256 `key`, valid for
/// `seconds`: an administration listener over TLS takes the connection only if it is for the
/// key that signs the requests.
fn client_certificate(key: &netid_crypto::SigningKey, seconds: u64) -> anyhow::Result<String> {
    if key.suite() != netid_crypto::SuiteId::Intl {
        bail!(
            "administration over TLS needs a P-256 operator key (netid operator keygen --suite intl): TLS has no SM2 client certificates"
        );
    }
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial)
        .map_err(|_| anyhow::anyhow!("the operating system's random generator failed"))?;
    let now = u64::try_from(now()?).context("the system clock is before 1970")?;
    // A minute back, for a server whose clock is a little behind.
    let template = netid_ca::CertificateTemplate::new(
        "CN=netid operator",
        netid_ca::Profile::PlatformClient,
        serial,
        now.saturating_sub(60),
        now + seconds,
    );
    let certificate = netid_ca::issue(&template, key.verifying_key(), None, key)?;
    Ok(netid_ca::to_pem(&certificate)?)
}

impl OperatorAuth {
    /// The HTTP client: over https, presenting a client certificate for the operator's `key`
    /// and trusting `--server-ca` if given.
    fn client(&self, key: &netid_crypto::SigningKey) -> anyhow::Result<reqwest::Client> {
        let mut client = reqwest::Client::builder();
        if self.server.server.starts_with("https://") {
            let identity = format!("{}{}", client_certificate(key, 3600)?, *key.to_pkcs8_pem()?);
            client = client.identity(
                reqwest::Identity::from_pem(identity.as_bytes())
                    .context("making the client certificate")?,
            );
            if let Some(path) = &self.server.server_ca {
                let pem = read(path)?;
                client = client.add_root_certificate(
                    reqwest::Certificate::from_pem(pem.as_bytes())
                        .with_context(|| format!("{} is not a PEM certificate", path.display()))?,
                );
            }
        }
        Ok(client.build()?)
    }

    /// Sends a request of `method` to `path` with `body`, signed with the operator's key;
    /// the answer's body, or an error with the problem's detail.
    fn send(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> anyhow::Result<String> {
        let key = load_key(&self.operator_key)?;
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti)
            .map_err(|_| anyhow::anyhow!("the operating system's random generator failed"))?;
        let proof = netid_authn::jwt::operator_proof(
            &key,
            method.as_str(),
            path,
            &body,
            now()?,
            &hex::encode(jti),
        )?;
        let url = format!("{}{path}", self.server.server.trim_end_matches('/'));
        let client = self.client(&key)?;
        block_on(async {
            let mut request = client.request(method, &url).header(
                reqwest::header::AUTHORIZATION,
                format!("NetID-Operator {proof}"),
            );
            if !body.is_empty() {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body);
            }
            let response = request
                .send()
                .await
                .with_context(|| format!("cannot reach {url}"))?;
            answer(response).await
        })
    }

    /// POSTs `body` as JSON, signed.
    pub(crate) fn post(&self, path: &str, body: &impl serde::Serialize) -> anyhow::Result<String> {
        self.send(reqwest::Method::POST, path, serde_json::to_vec(body)?)
    }

    /// GETs `path`, signed.
    pub(crate) fn get(&self, path: &str) -> anyhow::Result<String> {
        self.send(reqwest::Method::GET, path, Vec::new())
    }

    /// Asks for an act that a second operator approves: prints the request and says what
    /// comes next; returns the answer (the pending request).
    pub(crate) fn ask(&self, path: &str, body: &impl serde::Serialize) -> anyhow::Result<String> {
        let answer = self.post(path, body)?;
        let pending: ActPending = serde_json::from_str(&answer)
            .context("the service did not answer with a pending request")?;
        eprintln!(
            "netid: asked ({}); another {} approves with `netid operator approve {}`; then carry \
             it out within 24 hours (`netid operator carry-out {}`, or this command again with \
             `--request {}`)",
            pending.act.as_str(),
            pending.approver_role,
            pending.request_id,
            pending.request_id,
            pending.request_id
        );
        Ok(answer)
    }

    /// Carries out the approved act `request_id`; its answer.
    pub(crate) fn carry_out(&self, request_id: &str) -> anyhow::Result<String> {
        self.act_step(request_id, "carry-out")
    }

    /// `approve`, `refuse` or `carry-out` of the act `request_id`.
    fn act_step(&self, request_id: &str, step: &str) -> anyhow::Result<String> {
        if !request_id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        {
            bail!("the request id is letters, digits and dashes (act-…)");
        }
        let path = format!("/v1/operator/acts/{request_id}/{step}");
        self.post(&path, &serde_json::json!({}))
    }
}

pub(crate) fn authority(command: AuthorityCommand) -> anyhow::Result<()> {
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
        AuthorityCommand::Corrections { server, key, name } => {
            let key = load_key(&key)?;
            let request_id = netid_crypto::random_token()?;
            let timestamp = now()?;
            let message = signing::authority_corrections_message(&name, &request_id, timestamp);
            let request = netid_proto::AuthorityCorrectionsRequest {
                authority: name,
                request_id,
                timestamp,
                signature: sign(&key, &message)?,
            };
            println!(
                "{}",
                post(&server.server, "/v1/authority/corrections", None, &request)?
            );
            Ok(())
        }
    }
}
