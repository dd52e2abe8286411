//! `netid ca`: the offline root's side of the CA. The root key never reaches the service, nor
//! a machine that talks to it: `issuing-key` and `install` run online, `init-root` and
//! `sign-issuing` on the offline machine, and the operator carries the public key and the
//! certificate between them, comparing fingerprints.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;

use crate::commands::OperatorAuth;
use netid_ca::{CertificateTemplate, Profile};
use netid_crypto::{Suite, SuiteId};
use netid_proto::{
    CaStatus, CertifyCaRequest, HandoverRequest, OperatorRevokeRequest, SignedPackage,
};

const DAY: u64 = 86_400;

fn now() -> anyhow::Result<u64> {
    Ok(SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs())
}

fn random_serial() -> anyhow::Result<[u8; 16]> {
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial)
        .map_err(|_| anyhow::anyhow!("the operating system's random generator failed"))?;
    Ok(serial)
}

/// `netid ca init-root`: a root key (PKCS#8 PEM, mode 0600) and its self-signed certificate.
pub(crate) fn init_root(
    suite: &str,
    key_path: &Path,
    cert_path: &Path,
    subject: &str,
    days: u64,
) -> anyhow::Result<()> {
    let suite = Suite::new(suite.parse::<SuiteId>().context("--suite")?);
    let key = suite.generate_signing_key()?;
    let start = now()?;
    let root = netid_ca::issue(
        &CertificateTemplate::new(
            subject,
            Profile::Root,
            random_serial()?,
            start - DAY,
            start + days * DAY,
        ),
        key.verifying_key(),
        None,
        &key,
    )
    .context("--subject")?;
    crate::write_secret(key_path, &key.to_pkcs8_pem()?)?;
    std::fs::write(cert_path, netid_ca::to_pem(&root)?)
        .with_context(|| format!("writing {}", cert_path.display()))?;
    eprintln!(
        "netid: root key written to {} (keep it offline), certificate to {}",
        key_path.display(),
        cert_path.display()
    );
    Ok(())
}

/// The fingerprint an operator compares before certifying a key: the suite's hash of its
/// SubjectPublicKeyInfo DER, hex.
fn fingerprint(key: &netid_crypto::VerifyingKey) -> anyhow::Result<String> {
    let suite = Suite::new(key.suite());
    let digest = suite.hash(&key.to_spki_der()?);
    Ok(digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// `netid ca issuing-key` (online): writes the service's issuing key to `out` and prints its
/// fingerprint, to carry to the offline root.
pub(crate) fn issuing_key(operator: &OperatorAuth, out: &Path) -> anyhow::Result<()> {
    let status = ca_status(operator)?;
    println!("suite        {}", status.suite);
    println!("certified    {}", status.certified);
    write_public_key(&status.suite, &status.issuing_public_key, out)
}

/// `netid ca sign-issuing` (offline): certifies the issuing key in `issuing_key` (SPKI PEM)
/// with the root, writing the issuing CA certificate to `out`.
pub(crate) fn sign_issuing(
    root_key: &Path,
    root_cert: &Path,
    issuing_key: &Path,
    out: &Path,
    days: u64,
) -> anyhow::Result<()> {
    let key = crate::load_key(root_key)?;
    let root_pem = crate::read(root_cert)?;
    let root = <netid_ca::Certificate as der::DecodePem>::from_pem(root_pem.trim())
        .with_context(|| format!("{} is not a PEM certificate", root_cert.display()))?;
    let suite = Suite::new(key.suite());
    let subject_key = suite
        .verifying_key_from_spki_pem(&crate::read(issuing_key)?)
        .with_context(|| {
            format!(
                "{} is not a public key of the root's suite, {}",
                issuing_key.display(),
                key.suite().as_str()
            )
        })?;
    let start = now()?;
    let issuing = netid_ca::issue(
        &CertificateTemplate::new(
            "CN=netid issuing CA,O=netid",
            Profile::IssuingCa,
            random_serial()?,
            start - DAY,
            start + days * DAY,
        ),
        &subject_key,
        Some(&root),
        &key,
    )?;
    std::fs::write(out, netid_ca::to_pem(&issuing)?)
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "netid: certified the key with fingerprint {}; compare it with `netid ca issuing-key`",
        fingerprint(&subject_key)?
    );
    Ok(())
}

/// A CA key act's step: ask for it with what it needs, or carry out a request a second CA
/// officer approved.
pub(crate) enum Step<T> {
    Ask(T),
    CarryOut(String),
}

impl<T> Step<T> {
    /// The step the command line names: `--request ID` carries out, else `asked` (which clap
    /// made required without `--request`) asks.
    pub(crate) fn of(request: Option<String>, asked: Option<T>) -> anyhow::Result<Self> {
        match (request, asked) {
            (Some(id), _) => Ok(Self::CarryOut(id)),
            (None, Some(asked)) => Ok(Self::Ask(asked)),
            (None, None) => anyhow::bail!("give what the act needs, or --request ID"),
        }
    }
}

/// Asks for the act at `path` with the body `ask` makes, or carries out the approved one:
/// the act's answer once carried out, `None` once asked (the request id is printed).
fn two_person<T, B: serde::Serialize>(
    operator: &OperatorAuth,
    path: &str,
    step: Step<T>,
    ask: impl FnOnce(T) -> anyhow::Result<B>,
) -> anyhow::Result<Option<String>> {
    match step {
        Step::Ask(asked) => {
            println!("{}", operator.ask(path, &ask(asked)?)?);
            Ok(None)
        }
        Step::CarryOut(id) => operator.carry_out(&id).map(Some),
    }
}

/// `netid ca install` (online, two CA officers): installs the issuing CA certificate and the
/// root.
pub(crate) fn install(
    operator: &OperatorAuth,
    step: Step<(PathBuf, PathBuf)>,
) -> anyhow::Result<()> {
    let answer = two_person(
        operator,
        "/v1/operator/ca/certify",
        step,
        |(root, issuing)| {
            Ok(CertifyCaRequest {
                root_certificate: crate::read(&root)?,
                issuing_certificate: crate::read(&issuing)?,
            })
        },
    )?;
    if let Some(answer) = answer {
        println!("{answer}");
    }
    Ok(())
}

/// `netid ca filing` (online): fetches the supervisor's filing package, checks the CA's
/// signature on it, writes it to `out` and prints its summary.
pub(crate) fn filing(operator: &OperatorAuth, out: &Path) -> anyhow::Result<()> {
    let text = operator.get("/v1/operator/ca/filing")?;
    let signed: SignedPackage =
        serde_json::from_str(&text).context("the filing package is malformed")?;
    let filing: netid_proto::Filing = serde_json::from_slice(&verified_payload(&signed)?)
        .context("the filing payload is malformed")?;
    if filing.chain.first().map(|pem| pem.trim()) != Some(signed.signer.trim()) {
        anyhow::bail!("the filing is signed by another certificate than its chain's first");
    }
    std::fs::write(out, &text).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "filing   {} ({} suite), signature verified",
        filing.format, filing.suite
    );
    for fingerprint in &filing.fingerprints {
        println!("cert     {}  sm3 {}", fingerprint.subject, fingerprint.sm3);
    }
    for count in &filing.counts {
        println!(
            "issued   {:<16} {:>8}  revoked {:>8}",
            count.profile, count.issued, count.revoked
        );
    }
    Ok(())
}

/// The payload of a package the CA signed, once its signature by the signer certificate
/// verifies.
fn verified_payload(signed: &SignedPackage) -> anyhow::Result<Vec<u8>> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let payload = Base64UrlUnpadded::decode_vec(&signed.payload).context("the package payload")?;
    let signature =
        Base64UrlUnpadded::decode_vec(&signed.signature).context("the package signature")?;
    let signer = <netid_ca::Certificate as der::DecodePem>::from_pem(signed.signer.trim())
        .context("the package's signer certificate")?;
    netid_ca::verify_data_signature(&signer, &payload, &signature)
        .context("the CA's signature on the package does not verify")?;
    Ok(payload)
}

fn ca_status(operator: &OperatorAuth) -> anyhow::Result<CaStatus> {
    serde_json::from_str(&operator.get("/v1/operator/ca")?)
        .context("the service's CA status is malformed")
}

/// Writes the public key `pem` of `suite` to `out` and prints its fingerprint.
fn write_public_key(suite: &str, pem: &str, out: &Path) -> anyhow::Result<()> {
    let suite = Suite::new(suite.parse::<SuiteId>().context("the CA's suite")?);
    let key = suite
        .verifying_key_from_spki_pem(pem)
        .context("the service's key")?;
    std::fs::write(out, pem).with_context(|| format!("writing {}", out.display()))?;
    println!("fingerprint  {}", fingerprint(&key)?);
    Ok(())
}

/// `netid ca rollover` (online, two CA officers): starts an issuer-key rollover and writes
/// the next key.
pub(crate) fn rollover(
    operator: &OperatorAuth,
    request: Option<String>,
    out: &Path,
) -> anyhow::Result<()> {
    let step = Step::of(request, Some(()))?;
    let Some(answer) = two_person(operator, "/v1/operator/ca/rollover", step, |()| Ok(()))? else {
        return Ok(());
    };
    let status: CaStatus =
        serde_json::from_str(&answer).context("the service's CA status is malformed")?;
    let next = status
        .pending_public_key
        .context("the service did not name a next issuing key")?;
    write_public_key(&status.suite, &next, out)?;
    eprintln!(
        "netid: certify it offline with `netid ca sign-issuing`, then `netid ca install`; the current key issues until then"
    );
    Ok(())
}

/// `netid ca revoke` (online): the operator revokes a certificate.
pub(crate) fn revoke(
    operator: &OperatorAuth,
    serial: String,
    reason: Option<String>,
) -> anyhow::Result<()> {
    let request = OperatorRevokeRequest { serial, reason };
    println!("{}", operator.post("/v1/operator/ca/revoke", &request)?);
    Ok(())
}

/// `netid ca responder-key` (online, on the successor): writes its OCSP responder key.
pub(crate) fn responder_key(operator: &OperatorAuth, out: &Path) -> anyhow::Result<()> {
    let status = ca_status(operator)?;
    write_public_key(&status.suite, &status.responder_public_key, out)
}

/// `netid ca export-successor` (online, two CA officers): hands the CA over and writes the
/// signed package, once its signature checks.
pub(crate) fn export_successor(
    operator: &OperatorAuth,
    step: Step<PathBuf>,
    out: &Path,
) -> anyhow::Result<()> {
    let Some(text) = two_person(operator, "/v1/operator/ca/handover", step, |key| {
        Ok(HandoverRequest {
            successor_responder_key: crate::read(&key)?,
        })
    })?
    else {
        return Ok(());
    };
    let signed: SignedPackage =
        serde_json::from_str(&text).context("the handover package is malformed")?;
    let handover: netid_proto::Handover = serde_json::from_slice(&verified_payload(&signed)?)
        .context("the handover payload is malformed")?;
    std::fs::write(out, &text).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "handover {}: {} CA(s), {} certificate(s), signature verified",
        handover.format,
        handover.authorities.len(),
        handover.certificates.len()
    );
    // The successor's operator must learn this from here, not from the package.
    let mut roots: Vec<String> = Vec::new();
    for authority in &handover.authorities {
        let root = <netid_ca::Certificate as der::DecodePem>::from_pem(authority.root.trim())
            .context("a root in the package")?;
        let fingerprint = Suite::intl().hash(&der::Encode::to_der(&root)?);
        let fingerprint: String = fingerprint
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if !roots.contains(&fingerprint) {
            println!("root sha256 {fingerprint}");
            roots.push(fingerprint);
        }
    }
    eprintln!(
        "netid: this CA now issues and revokes nothing; give {} to the successor (`netid ca import-predecessor`)",
        out.display()
    );
    Ok(())
}

/// `netid ca import-predecessor` (online, on the successor, two CA officers): takes over the
/// predecessor's CAs.
pub(crate) fn import_predecessor(
    operator: &OperatorAuth,
    step: Step<(PathBuf, String)>,
) -> anyhow::Result<()> {
    let answer = two_person(
        operator,
        "/v1/operator/ca/inherit",
        step,
        |(package, root)| {
            let signed: SignedPackage = serde_json::from_str(&crate::read(&package)?)
                .with_context(|| format!("{} is not a handover package", package.display()))?;
            verified_payload(&signed)?;
            Ok(netid_proto::InheritRequest {
                package: signed,
                expected_root_sha256: root,
            })
        },
    )?;
    let Some(answer) = answer else {
        return Ok(());
    };
    let status: CaStatus =
        serde_json::from_str(&answer).context("the service's CA status is malformed")?;
    for authority in &status.authorities {
        println!(
            "{:<12} {}  {}",
            authority.status, authority.key_id, authority.subject
        );
    }
    Ok(())
}
