//! `netid wallet`: a holder's wallet key and everything signed with it, sent to the service
//! as any wallet would.

use super::*;
use crate::commands::ServerArgs;

pub(crate) fn wallet(command: WalletCommand) -> anyhow::Result<()> {
    match command {
        WalletCommand::Init { wallet, suite } => init(wallet, suite),
        WalletCommand::PublicKey { wallet } => show_public_key(wallet),
        WalletCommand::Enroll {
            server,
            wallet,
            document_type,
            number,
            name,
            code,
            guardian_wallet,
            accept_notice,
            lang,
        } => match accept_notice {
            Some(version) => enroll(
                server,
                wallet,
                [document_type, number, name],
                code,
                guardian_wallet,
                version,
            ),
            None => {
                print_notice(&server.server, &lang)?;
                bail!(
                    "nothing was sent: read the notice above, then enroll again with --accept-notice <its version> to accept it"
                )
            }
        },
        WalletCommand::ApprovePlatform {
            server,
            wallet,
            ward_net_id,
            client_id,
        } => approve_platform(server, wallet, ward_net_id, client_id),
        WalletCommand::Correction {
            server,
            wallet,
            message,
        } => correction(server, wallet, message),
        WalletCommand::Complain {
            server,
            wallet,
            client_id,
            category,
            text,
        } => complain(server, wallet, client_id, &category, text),
        WalletCommand::Notice {
            server,
            wallet,
            accept,
            lang,
        } => notice(server, wallet, accept, lang),
        WalletCommand::Certificate {
            server,
            wallet,
            key,
            out,
            suite,
        } => certificate(server, wallet, key, out, suite),
        WalletCommand::RenewCertificate {
            server,
            wallet,
            serial,
            out,
        } => renew_certificate(server, wallet, serial, out),
        WalletCommand::RevokeCertificate {
            server,
            wallet,
            serial,
            reason,
        } => revoke_certificate(server, wallet, serial, reason),
        WalletCommand::Log {
            server,
            wallet,
            log_key,
        } => log(server, wallet, log_key),
        WalletCommand::Delete {
            server,
            wallet,
            yes_delete_my_data,
        } => delete(server, wallet, yes_delete_my_data),
        WalletCommand::Record { server, wallet } => record(server, wallet),
        WalletCommand::Receipt { server, reference } => receipt(server, &reference),
        WalletCommand::Offer { server, wallet } => offer(server, wallet),
        WalletCommand::Take {
            offer,
            tx_code,
            count,
            suite,
            out,
        } => crate::vci::take(&offer, &tx_code, usize::from(count), &suite, &out),
        WalletCommand::Lock { server, wallet } => lock(server, wallet, true),
        WalletCommand::Unlock { server, wallet } => lock(server, wallet, false),
        WalletCommand::Consent {
            server,
            wallet,
            client_id,
            fields,
            guardian_wallet,
        } => consent(server, wallet, client_id, fields, guardian_wallet),
        WalletCommand::LinkBrowser { server, wallet } => link_browser(server, wallet),
        WalletCommand::Authorize {
            server,
            wallet,
            client_id,
            request_uri,
            consent,
            deny,
            guardian_wallet,
        } => authorize(
            server,
            wallet,
            client_id,
            request_uri,
            consent,
            deny,
            guardian_wallet,
        ),
        WalletCommand::Withdraw {
            server,
            wallet,
            client_id,
            fields,
            ward_net_id,
        } => withdraw(server, wallet, client_id, fields, ward_net_id),
        WalletCommand::DeleteWard {
            server,
            wallet,
            ward_net_id,
            yes_delete_the_childs_data,
        } => delete_ward(server, wallet, ward_net_id, yes_delete_the_childs_data),
        WalletCommand::NetCertificates {
            server,
            wallet,
            count,
            keep,
            suite,
            out,
        } => net_certificates(server, wallet, count, keep, suite, out),
        WalletCommand::Present {
            openid4vp: Some(link),
            trust,
            certificates,
            server,
            ..
        } => crate::vp::present(&server, &link, trust.as_deref(), &certificates),
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

/// `netid wallet init`.
fn init(wallet: PathBuf, suite: String) -> anyhow::Result<()> {
    let suite: SuiteId = suite.parse().context("--suite")?;
    let key = Suite::new(suite).generate_signing_key()?;
    write_secret(&wallet, &key.to_pkcs8_pem()?)?;
    eprintln!("netid: wallet key written to {}", wallet.display());
    print!("{}", key.verifying_key().to_spki_pem()?);
    Ok(())
}

/// `netid wallet public-key`.
fn show_public_key(wallet: PathBuf) -> anyhow::Result<()> {
    print!("{}", load_key(&wallet)?.verifying_key().to_spki_pem()?);
    Ok(())
}

/// `netid wallet enroll`.
fn enroll(
    server: ServerArgs,
    wallet: PathBuf,
    [document_type, number, name]: [String; 3],
    code: Option<String>,
    guardian_wallet: Option<PathBuf>,
    notice_version: String,
) -> anyhow::Result<()> {
    let key = load_key(&wallet)?;
    let SignedRequest {
        wallet_key,
        request_id,
        timestamp,
        signature,
    } = sign_request(&key, |request_id, timestamp| {
        signing::enrollment_message(
            &document_type,
            &number,
            &name,
            code.as_deref(),
            Some(&notice_version),
            request_id,
            timestamp,
        )
    })?;
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
        wallet_key,
        request_id,
        timestamp,
        signature,
        guardian,
        notice_version: Some(notice_version),
    };
    println!(
        "{}",
        post(&server.server, "/v1/holders/enroll", None, &request)?
    );
    Ok(())
}

/// Prints the service's notice in `lang` (`zh` or `en`) to stderr, and returns it.
fn print_notice(server: &str, lang: &str) -> anyhow::Result<netid_proto::Notice> {
    let path = format!("/v1/notice?lang={}", if lang == "en" { "en" } else { "zh" });
    let notice: netid_proto::Notice =
        serde_json::from_str(&get_public(server, &path)?).context("the service's notice")?;
    let headings = if notice.language == "en" {
        [
            "Who",
            "Purpose",
            "How",
            "What the centre holds",
            "How long",
            "Your rights",
            "Sensitive data",
            "Version",
        ]
    } else {
        [
            "运营方",
            "目的",
            "方式",
            "本中心保存什么",
            "保存多久",
            "您的权利",
            "敏感个人信息",
            "版本",
        ]
    };
    let held: Vec<String> = notice
        .held
        .iter()
        .map(|item| format!("  - {item}"))
        .collect();
    let sections = [
        notice.operator.as_str(),
        &notice.purpose,
        &notice.method,
        &held.join("\n"),
        &notice.retention,
        &notice.rights,
        &notice.sensitive_data,
        &notice.version,
    ];
    for (heading, text) in headings.iter().zip(sections) {
        eprintln!("{heading}:\n{text}\n");
    }
    Ok(notice)
}

/// `netid wallet approve-platform`.
fn approve_platform(
    server: ServerArgs,
    wallet: PathBuf,
    ward_net_id: String,
    client_id: String,
) -> anyhow::Result<()> {
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, |id, at| signing::ward_platform_message(
            &ward_net_id,
            &client_id,
            id,
            at
        ))?,
        netid_proto::WardPlatformRequest {
            ward_net_id: ward_net_id.clone(),
            client_id: client_id.clone()
        }
    );
    let answer: netid_proto::WardPlatformResponse = serde_json::from_str(&post(
        &server.server,
        "/v1/holders/wards/platforms",
        None,
        &request,
    )?)
    .context("the service did not answer with the approval")?;
    eprintln!(
        "netid: platform {} is approved for the child{}",
        answer.client_id,
        if answer.changed {
            ""
        } else {
            " (it was already)"
        }
    );
    Ok(())
}

/// `netid wallet correction`.
fn correction(server: ServerArgs, wallet: PathBuf, message: String) -> anyhow::Result<()> {
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, |id, at| signing::correction_message(
            &message, id, at
        ))?,
        netid_proto::CorrectionRequest {
            message: message.clone()
        }
    );
    let asked: netid_proto::CorrectionStatus = serde_json::from_str(&post(
        &server.server,
        "/v1/holders/corrections",
        None,
        &request,
    )?)
    .context("the service did not answer with the request's reference")?;
    eprintln!(
        "netid: your request {} went to {}; netid wallet record shows where it stands",
        asked.reference, asked.authority
    );
    println!("{}", asked.reference);
    Ok(())
}

/// `netid wallet complain`.
fn complain(
    server: ServerArgs,
    wallet: PathBuf,
    client_id: String,
    category: &str,
    text: String,
) -> anyhow::Result<()> {
    let category = netid_proto::ComplaintCategory::ALL
        .into_iter()
        .find(|known| known.as_str() == category)
        .context(
            "--category: extra_plaintext, refused_without_net_id, kept_past_retention or other",
        )?;
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, |id, at| signing::complaint_message(
            &client_id,
            category.as_str(),
            &text,
            id,
            at
        ))?,
        netid_proto::ComplaintRequest {
            client_id: client_id.clone(),
            category,
            text: text.clone()
        }
    );
    let filed: netid_proto::ComplaintView = serde_json::from_str(&post(
        &server.server,
        "/v1/holders/complaints",
        None,
        &request,
    )?)
    .context("the service did not answer with the complaint's reference")?;
    eprintln!(
        "netid: your complaint {} about {} was received; netid wallet record shows where it stands",
        filed.reference, filed.client_id
    );
    println!("{}", filed.reference);
    Ok(())
}

/// `netid wallet notice`.
fn notice(
    server: ServerArgs,
    wallet: PathBuf,
    accept: Option<String>,
    lang: String,
) -> anyhow::Result<()> {
    let shown = print_notice(&server.server, &lang)?;
    let Some(version) = accept else {
        eprintln!(
            "netid: to accept it, run again with --accept {}",
            shown.version
        );
        return Ok(());
    };
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, |id, at| signing::notice_acceptance_message(
            &version, id, at
        ))?,
        netid_proto::NoticeAcceptRequest {
            notice_version: version.clone()
        }
    );
    post(&server.server, "/v1/holders/notice", None, &request)?;
    eprintln!("netid: you accepted the notice of version {version}");
    Ok(())
}

/// `netid wallet certificate`.
fn certificate(
    server: ServerArgs,
    wallet: PathBuf,
    key: PathBuf,
    out: PathBuf,
    suite: String,
) -> anyhow::Result<()> {
    let wallet = load_key(&wallet)?;
    let suite = Suite::new(suite.parse::<SuiteId>().context("--suite")?);
    let certificate_key = suite.generate_signing_key()?;
    let csr = netid_ca::build_request("CN=netid holder request", &certificate_key)?;
    let csr = Base64UrlUnpadded::encode_string(&csr);
    let request = signed!(
        sign_request(&wallet, |request_id, timestamp| {
            signing::certificate_request_message(&csr, request_id, timestamp)
        })?,
        netid_proto::HolderCertificateRequest { csr }
    );
    let answer = post(&server.server, "/v1/holders/certificates", None, &request)?;
    write_secret(&key, &certificate_key.to_pkcs8_pem()?)?;
    write_issued_certificate(&answer, &out)
}

/// `netid wallet renew-certificate`.
fn renew_certificate(
    server: ServerArgs,
    wallet: PathBuf,
    serial: String,
    out: PathBuf,
) -> anyhow::Result<()> {
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, |request_id, timestamp| {
            signing::certificate_renewal_message(&serial, request_id, timestamp)
        })?,
        netid_proto::RenewCertificateRequest { serial }
    );
    let answer = post(
        &server.server,
        "/v1/holders/certificates/renew",
        None,
        &request,
    )?;
    write_issued_certificate(&answer, &out)
}

/// `netid wallet revoke-certificate`.
fn revoke_certificate(
    server: ServerArgs,
    wallet: PathBuf,
    serial: String,
    reason: Option<String>,
) -> anyhow::Result<()> {
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, |request_id, timestamp| {
            signing::certificate_revocation_message(
                &serial,
                reason.as_deref(),
                request_id,
                timestamp,
            )
        })?,
        netid_proto::RevokeCertificateRequest { serial, reason }
    );
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

/// `netid wallet log`.
fn log(server: ServerArgs, wallet: PathBuf, log_key: Option<String>) -> anyhow::Result<()> {
    let key = load_key(&wallet)?;
    let request = signed!(
        sign_request(&key, signing::holder_log_message)?,
        netid_proto::HolderLogRequest {}
    );
    block_on(audit::wallet_log(audit::WalletLogArgs {
        server: server.server,
        log_key,
        request,
    }))
}

/// `netid wallet delete`.
fn delete(server: ServerArgs, wallet: PathBuf, yes_delete_my_data: bool) -> anyhow::Result<()> {
    if !yes_delete_my_data {
        bail!(
            "deleting your data cannot be undone: your Net ID is retired for good, your Net Certificates and certificates are revoked, your consents end, platforms can no longer verify you, and the service can no longer read your record; run again with --yes-delete-my-data to go ahead"
        );
    }
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, signing::deletion_message)?,
        netid_proto::DeleteRequest { guardian: None }
    );
    let answer = post(&server.server, "/v1/holders/delete", None, &request)?;
    println!("{answer}");
    let deleted: netid_proto::DeleteResponse =
        serde_json::from_str(&answer).context("the service did not answer with a deletion")?;
    if !deleted.receipts.is_empty() {
        eprintln!(
            "netid: {} platform(s) are told to delete what they hold about you; keep the references above (`receipts`): netid wallet receipt REFERENCE shows what each says it deleted, and the service no longer knows they were yours",
            deleted.receipts.len()
        );
    }
    Ok(())
}

/// `netid wallet receipt`: a platform's receipt of deletion, one field a line.
fn receipt(server: ServerArgs, reference: &str) -> anyhow::Result<()> {
    if reference.is_empty()
        || !reference
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    {
        bail!("a reference is the set-… string that netid wallet delete printed");
    }
    let answer = get_public(
        &server.server,
        &format!("/v1/transparency/receipts/{reference}"),
    )?;
    let receipt: netid_proto::ReceiptView =
        serde_json::from_str(&answer).context("the service did not answer with a receipt")?;
    print_receipt(&receipt);
    Ok(())
}

fn print_receipt(receipt: &netid_proto::ReceiptView) {
    let event = match receipt.event {
        netid_proto::ReceiptEvent::AccountPurged => "your deletion",
        netid_proto::ReceiptEvent::ConsentWithdrawn => "a withdrawn consent",
    };
    let said = match (&receipt.acknowledged_at, &receipt.deleted) {
        (None, _) => "has not acknowledged it yet".to_owned(),
        (Some(_), None) => "acknowledged it, has not said what it deleted yet".to_owned(),
        (Some(_), Some(deleted)) => format!("deleted {}", deleted.join(", ")),
    };
    println!(
        "receipt:         {} told of {event}: {said} ({})",
        receipt.client_id, receipt.reference
    );
}

/// `netid wallet offer`: a credential offer for a wallet app.
fn offer(server: ServerArgs, wallet: PathBuf) -> anyhow::Result<()> {
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, signing::credential_offer_message)?,
        netid_proto::CredentialOfferRequest {}
    );
    let answer = post(
        &server.server,
        "/v1/holders/credential-offer",
        None,
        &request,
    )?;
    let offer: netid_proto::CredentialOfferResponse =
        serde_json::from_str(&answer).context("the service did not answer with an offer")?;
    println!("{}", offer.offer_uri);
    println!("{}", offer.tx_code);
    eprintln!(
        "netid: open the link above in your wallet app (or show it as a QR code) and type the transaction code {} when it asks; valid {} seconds, once; tell no one the code",
        offer.tx_code, offer.expires_in
    );
    Ok(())
}

/// `netid wallet record`: the record, one field a line.
fn record(server: ServerArgs, wallet: PathBuf) -> anyhow::Result<()> {
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, signing::holder_record_message)?,
        netid_proto::HolderRecordRequest {}
    );
    let record: netid_proto::HolderRecord =
        serde_json::from_str(&post(&server.server, "/v1/holders/record", None, &request)?)
            .context("the service did not answer with a record")?;
    println!("Net ID:          {}", record.net_id);
    println!(
        "document:        {} {}",
        record.document_type, record.document_number
    );
    println!("name:            {}", record.name);
    println!("birth date:      {}", record.birth_date);
    if let Some(sex) = &record.sex {
        println!("sex:             {sex}");
    }
    println!("nationality:     {}", record.nationality);
    println!(
        "valid until:     {}{}",
        record.expiry,
        if record.document_valid {
            ""
        } else {
            " (expired)"
        }
    );
    println!(
        "Net ID:          {}",
        if record.locked {
            "locked"
        } else {
            "not locked"
        }
    );
    for correction in &record.corrections {
        println!(
            "correction:      {} to {} ({})",
            correction.reference,
            correction.authority,
            if correction.closed_at.is_some() {
                "closed: the authority's roster changed the record"
            } else {
                "open"
            }
        );
    }
    for complaint in &record.complaints {
        println!(
            "complaint:       {} about {}: {}{}",
            complaint.reference,
            complaint.client_id,
            serde_json::to_value(complaint.status)?
                .as_str()
                .unwrap_or_default(),
            complaint
                .resolution
                .as_ref()
                .map_or_else(String::new, |answer| format!(", answered: {answer}"))
        );
    }
    for receipt in &record.receipts {
        print_receipt(receipt);
    }
    eprintln!(
        "netid: this is what the service holds about you, as the document authority's roster gave it; to have a wrong field corrected, run netid wallet correction --message '...'"
    );
    Ok(())
}

/// `netid wallet lock` and `netid wallet unlock`.
fn lock(server: ServerArgs, wallet: PathBuf, locked: bool) -> anyhow::Result<()> {
    let wallet = load_key(&wallet)?;
    let request = signed!(
        sign_request(&wallet, |id, at| signing::lock_message(locked, id, at))?,
        netid_proto::LockRequest {}
    );
    let path = if locked {
        "/v1/holders/lock"
    } else {
        "/v1/holders/unlock"
    };
    let answer: netid_proto::LockResponse =
        serde_json::from_str(&post(&server.server, path, None, &request)?)
            .context("the service did not answer with the lock's state")?;
    eprintln!(
        "netid: your Net ID is {}{}",
        if answer.locked {
            "locked: nothing is verified, signed in, consented to or issued with it until you unlock it (netid wallet unlock); your Net Certificates are revoked"
        } else {
            "unlocked"
        },
        if answer.changed {
            ""
        } else {
            " (it was so already)"
        }
    );
    Ok(())
}

/// `netid wallet consent`.
fn consent(
    server: ServerArgs,
    wallet: PathBuf,
    client_id: String,
    fields: Vec<String>,
    guardian_wallet: Option<PathBuf>,
) -> anyhow::Result<()> {
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

/// `netid wallet link-browser`.
fn link_browser(server: ServerArgs, wallet: PathBuf) -> anyhow::Result<()> {
    let key = load_key(&wallet)?;
    let request = signed!(
        sign_request(&key, signing::passkey_link_message)?,
        netid_proto::PasskeyLinkRequest {}
    );
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

/// `netid wallet authorize`.
fn authorize(
    server: ServerArgs,
    wallet: PathBuf,
    client_id: String,
    request_uri: String,
    consent: Vec<String>,
    deny: bool,
    guardian_wallet: Option<PathBuf>,
) -> anyhow::Result<()> {
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
    let decision = signed!(
        sign_request(&key, |request_id, timestamp| {
            signing::oidc_decision_message(&request_uri, &client_id, !deny, request_id, timestamp)
        })?,
        netid_proto::OidcDecision {
            request_uri,
            approve: !deny,
            consent
        }
    );
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

/// `netid wallet withdraw`.
fn withdraw(
    server: ServerArgs,
    wallet: PathBuf,
    client_id: String,
    fields: Vec<String>,
    ward_net_id: Option<String>,
) -> anyhow::Result<()> {
    let key = load_key(&wallet)?;
    let request = signed!(
        sign_request(&key, |request_id, timestamp| match &ward_net_id {
            Some(ward) => signing::ward_consent_withdrawal_message(
                ward, &client_id, &fields, request_id, timestamp,
            ),
            None => signing::consent_withdrawal_message(&client_id, &fields, request_id, timestamp),
        })?,
        netid_proto::WithdrawConsentRequest {
            client_id,
            fields,
            ward_net_id
        }
    );
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

/// `netid wallet delete-ward`.
fn delete_ward(
    server: ServerArgs,
    wallet: PathBuf,
    ward_net_id: String,
    yes_delete_the_childs_data: bool,
) -> anyhow::Result<()> {
    if !yes_delete_the_childs_data {
        bail!(
            "deleting the child's data cannot be undone: their Net ID is retired for good, their Net Certificates and certificates are revoked, their consents end and platforms can no longer verify them; run again with --yes-delete-the-childs-data to go ahead"
        );
    }
    let key = load_key(&wallet)?;
    let request = signed!(
        sign_request(&key, |request_id, timestamp| {
            signing::ward_deletion_message(&ward_net_id, request_id, timestamp)
        })?,
        netid_proto::WardDeleteRequest { ward_net_id }
    );
    println!(
        "{}",
        post(&server.server, "/v1/holders/wards/delete", None, &request)?
    );
    Ok(())
}

/// `netid wallet net-certificates`.
fn net_certificates(
    server: ServerArgs,
    wallet: PathBuf,
    count: u16,
    keep: Option<u16>,
    suite: String,
    out: PathBuf,
) -> anyhow::Result<()> {
    let count = match keep {
        Some(keep) => net_certificates::missing(&out, usize::from(keep))?,
        None => usize::from(count),
    };
    net_certificates::fetch(&server.server, &load_key(&wallet)?, count, &suite, &out)
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
    let SignedRequest {
        wallet_key,
        request_id,
        timestamp,
        signature,
    } = sign_request(key, |request_id, timestamp| {
        signing::consent_message(&client_id, &fields, &notice.version, request_id, timestamp)
    })?;
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
        wallet_key,
        request_id,
        timestamp,
        signature,
        guardian,
    })
}
