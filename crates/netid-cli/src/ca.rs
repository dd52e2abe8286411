//! `netid ca`: the offline root's side of the CA. The root key never reaches the service, nor
//! a machine that talks to it: `issuing-key` and `install` run online, `init-root` and
//! `sign-issuing` on the offline machine, and the operator carries the public key and the
//! certificate between them, comparing fingerprints.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use netid_ca::{CertificateTemplate, Profile};
use netid_crypto::{Suite, SuiteId};
use netid_proto::{CaStatus, CertifyCaRequest};

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
pub(crate) fn issuing_key(server: &str, credential: &str, out: &Path) -> anyhow::Result<()> {
    let bearer = format!("Bearer {credential}");
    let status: CaStatus = serde_json::from_str(&crate::get(server, "/v1/operator/ca", &bearer)?)
        .context("the service's CA status is malformed")?;
    let suite = Suite::new(status.suite.parse::<SuiteId>().context("the CA's suite")?);
    let key = suite
        .verifying_key_from_spki_pem(&status.issuing_public_key)
        .context("the service's issuing key")?;
    std::fs::write(out, &status.issuing_public_key)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("suite        {}", status.suite);
    println!("fingerprint  {}", fingerprint(&key)?);
    println!("certified    {}", status.certified);
    Ok(())
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

/// `netid ca install` (online): installs the issuing CA certificate and the root.
pub(crate) fn install(
    server: &str,
    credential: &str,
    root_cert: &Path,
    issuing_cert: &Path,
) -> anyhow::Result<()> {
    let request = CertifyCaRequest {
        root_certificate: crate::read(root_cert)?,
        issuing_certificate: crate::read(issuing_cert)?,
    };
    let bearer = format!("Bearer {credential}");
    println!(
        "{}",
        crate::post(server, "/v1/operator/ca/certify", Some(&bearer), &request)?
    );
    Ok(())
}

/// `netid ca filing` (online): fetches the supervisor's filing package, checks the CA's
/// signature on it, writes it to `out` and prints its summary.
pub(crate) fn filing(server: &str, credential: &str, out: &Path) -> anyhow::Result<()> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let bearer = format!("Bearer {credential}");
    let text = crate::get(server, "/v1/operator/ca/filing", &bearer)?;
    let signed: netid_proto::SignedPackage =
        serde_json::from_str(&text).context("the filing package is malformed")?;
    let payload = Base64UrlUnpadded::decode_vec(&signed.payload).context("the filing payload")?;
    let filing: netid_proto::Filing =
        serde_json::from_slice(&payload).context("the filing payload is malformed")?;
    let signer = <netid_ca::Certificate as der::DecodePem>::from_pem(signed.signer.trim())
        .context("the filing's signer certificate")?;
    if filing.chain.first().map(|pem| pem.trim()) != Some(signed.signer.trim()) {
        anyhow::bail!("the filing is signed by another certificate than its chain's first");
    }
    let spki = der::Encode::to_der(signer.tbs_certificate().subject_public_key_info())
        .context("the signer's key")?;
    let suite = Suite::new(
        filing
            .suite
            .parse::<SuiteId>()
            .context("the filing's suite")?,
    );
    let key = suite.verifying_key_from_spki_der(&spki)?;
    let signature = suite.signature_from_der(
        &Base64UrlUnpadded::decode_vec(&signed.signature).context("the filing signature")?,
    )?;
    key.verify(&payload, &signature)
        .context("the CA's signature on the filing does not verify")?;
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
