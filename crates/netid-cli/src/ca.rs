//! `netid ca`: the offline root's side of the CA. The root key never reaches the service: the
//! operator makes the root on an offline machine, and certifies the service's issuing key
//! there with `netid ca certify`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
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

/// `netid ca certify`: fetches the service's issuing key, certifies it with the root, and
/// installs the certificate.
pub(crate) fn certify(
    server: &str,
    credential: &str,
    root_key: &Path,
    root_cert: &Path,
    days: u64,
) -> anyhow::Result<()> {
    let key = crate::load_key(root_key)?;
    let root_pem = crate::read(root_cert)?;
    let root = <netid_ca::Certificate as der::DecodePem>::from_pem(root_pem.trim())
        .with_context(|| format!("{} is not a PEM certificate", root_cert.display()))?;
    let bearer = format!("Bearer {credential}");
    let status: CaStatus = serde_json::from_str(&crate::get(server, "/v1/operator/ca", &bearer)?)
        .context("the service's CA status is malformed")?;
    let suite = Suite::new(status.suite.parse::<SuiteId>().context("the CA's suite")?);
    if suite.id() != key.suite() {
        bail!(
            "the service's CA is {} but the root key is {}; make a root of the CA's suite",
            status.suite,
            key.suite().as_str()
        );
    }
    let issuing_key = suite
        .verifying_key_from_spki_pem(&status.issuing_public_key)
        .context("the service's issuing key")?;
    let start = now()?;
    let issuing = netid_ca::issue(
        &CertificateTemplate::new(
            "CN=netid issuing CA,O=netid",
            Profile::IssuingCa,
            random_serial()?,
            start - DAY,
            start + days * DAY,
        ),
        &issuing_key,
        Some(&root),
        &key,
    )?;
    let request = CertifyCaRequest {
        root_certificate: root_pem,
        issuing_certificate: netid_ca::to_pem(&issuing)?,
    };
    println!(
        "{}",
        crate::post(server, "/v1/operator/ca/certify", Some(&bearer), &request)?
    );
    Ok(())
}
