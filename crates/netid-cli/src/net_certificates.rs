//! `netid wallet net-certificates`, `netid wallet present --request` and `netid verify`: the
//! holder's and the platform's side of Net Certificates.
//!
//! The wallet keeps its certificates in one JSON file (mode 0600) with the key of each, and
//! removes each, key included, when it presents it: a certificate is shown once, so two
//! platforms comparing what they received find no certificate in common. A lock file next to
//! it keeps two `netid` processes from using the same certificate or losing a batch.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use netid_crypto::{SigningKey, Suite, SuiteId};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The wallet's file of Net Certificates.
#[derive(Default, Serialize, Deserialize)]
struct Store {
    certificates: Vec<Stored>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    /// The holder key, PKCS#8 PEM.
    key: String,
    /// The SD-JWT VC.
    credential: String,
}

impl Stored {
    /// Its `exp`, read from the issuer-signed JWT (0 if unreadable: treated as expired).
    fn expires_at(&self) -> i64 {
        self.credential
            .split('~')
            .next()
            .and_then(|jwt| netid_sdjwt::Jws::parse(jwt, "net certificate").ok())
            .and_then(|jws| jws.payload.get("exp").and_then(serde_json::Value::as_i64))
            .unwrap_or(0)
    }
}

/// Holds `<file>.lock` while the file is read and rewritten.
struct Lock(std::path::PathBuf);

impl Lock {
    fn take(path: &Path) -> anyhow::Result<Self> {
        let lock = path.with_extension("lock");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
            .with_context(|| {
                format!(
                    "{} is in use by another netid (if none is running, remove {})",
                    path.display(),
                    lock.display()
                )
            })?;
        Ok(Self(lock))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Drop for Stored {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

/// What a platform asks a wallet for.
#[derive(Serialize, Deserialize)]
struct PresentationRequest {
    audience: String,
    nonce: String,
    #[serde(default)]
    claims: Vec<String>,
}

fn load(path: &Path) -> anyhow::Result<Store> {
    if !path.exists() {
        return Ok(Store::default());
    }
    let text = Zeroizing::new(crate::read(path)?);
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a Net Certificate file", path.display()))
}

/// Writes the file whole (mode 0600), renames it over the old one and syncs the directory,
/// so that a crash leaves either the old or the new file. Called under the [`Lock`].
fn save(path: &Path, store: &Store) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let json = Zeroizing::new(serde_json::to_string_pretty(store)?);
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(json.as_bytes()))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))?;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::File::open(directory)
        .and_then(|directory| directory.sync_all())
        .with_context(|| format!("syncing {}", directory.display()))
}

/// A certificate this close to its end is not counted as kept: it is replaced first.
const KEEP_MARGIN_SECONDS: i64 = 3 * 86_400;

/// How many certificates `out` lacks to hold `keep` good for at least three more days (at
/// most a batch of 50).
pub(crate) fn missing(out: &Path, keep: usize) -> anyhow::Result<usize> {
    let now = crate::now()?;
    let good = load(out)?
        .certificates
        .iter()
        .filter(|stored| stored.expires_at() > now + KEEP_MARGIN_SECONDS)
        .count();
    Ok(keep.saturating_sub(good).min(50))
}

/// `netid wallet net-certificates`: asks for `count` certificates, each for a fresh key of
/// `suite`, and adds them to the file at `out` (dropping expired ones). Nothing to ask for
/// when `count` is 0.
pub(crate) fn fetch(
    server: &str,
    wallet: &SigningKey,
    count: usize,
    suite: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let suite = Suite::new(suite.parse::<SuiteId>().context("--suite")?);
    if count == 0 {
        let unused = load(out)?.certificates.len();
        println!("{}", serde_json::json!({ "issued": 0, "unused": unused }));
        return Ok(());
    }
    let keys = (0..count)
        .map(|_| suite.generate_signing_key())
        .collect::<Result<Vec<_>, _>>()?;
    let jwks: Vec<netid_crypto::Jwk> = keys
        .iter()
        .map(|key| key.verifying_key().to_jwk())
        .collect();
    let thumbprints: Vec<String> = jwks.iter().map(netid_sdjwt::thumbprint).collect();
    let crate::SignedRequest {
        wallet_key,
        request_id,
        timestamp,
        signature,
    } = crate::sign_request(wallet, |request_id, timestamp| {
        netid_proto::signing::net_certificate_request_message(&thumbprints, request_id, timestamp)
    })?;
    let request = netid_proto::NetCertificateRequest {
        holder_keys: jwks
            .into_iter()
            .map(|jwk| netid_proto::Jwk {
                kty: jwk.kty,
                crv: jwk.crv,
                x: jwk.x,
                y: jwk.y,
            })
            .collect(),
        wallet_key,
        request_id,
        timestamp,
        signature,
    };
    let answer = crate::post(server, "/v1/holders/net-certificates", None, &request)?;
    let issued: netid_proto::NetCertificateResponse =
        serde_json::from_str(&answer).context("the service's answer is malformed")?;
    if issued.credentials.len() != keys.len() {
        bail!(
            "the service issued {} certificates for {} keys",
            issued.credentials.len(),
            keys.len()
        );
    }
    keep(out, keys.iter().zip(issued.credentials))
}

/// Adds `issued` certificates, each with its key, to the file at `out` (dropping expired ones),
/// and says how many it holds now.
pub(crate) fn keep<'a>(
    out: &Path,
    issued: impl ExactSizeIterator<Item = (&'a SigningKey, String)>,
) -> anyhow::Result<()> {
    let count = issued.len();
    let _lock = Lock::take(out)?;
    let mut store = load(out)?;
    let now = crate::now()?;
    store
        .certificates
        .retain(|stored| stored.expires_at() > now);
    for (key, credential) in issued {
        store.certificates.push(Stored {
            key: key.to_pkcs8_pem()?.to_string(),
            credential,
        });
    }
    save(out, &store)?;
    let unused = store.certificates.len();
    println!(
        "{}",
        serde_json::json!({ "issued": count, "unused": unused })
    );
    Ok(())
}

/// `netid wallet present --request FILE`: presents the next certificate that has not
/// expired, disclosing exactly the claims the request names, and removes it (and any expired
/// one) from the file.
pub(crate) fn present(server: &str, certificates: &Path, request: &Path) -> anyhow::Result<()> {
    let request: PresentationRequest = serde_json::from_str(&crate::read(request)?)
        .context("the request must be {\"audience\", \"nonce\", \"claims\": [...]}")?;
    check_grants(server, Some(&request.audience), &request.claims)?;
    let claims: Vec<&str> = request.claims.iter().map(String::as_str).collect();
    let presentation = present_one(certificates, &claims, &request.audience, &request.nonce)?;
    println!("{presentation}");
    Ok(())
}

/// Presents the next unexpired certificate of the file `certificates`, disclosing `claims`,
/// bound to `audience` and `nonce`, and removes it (and any expired one) from the file first.
pub(crate) fn present_one(
    certificates: &Path,
    claims: &[&str],
    audience: &str,
    nonce: &str,
) -> anyhow::Result<String> {
    let _lock = Lock::take(certificates)?;
    let mut store = load(certificates)?;
    let now = crate::now()?;
    store
        .certificates
        .retain(|stored| stored.expires_at() > now + 60);
    if store.certificates.is_empty() {
        save(certificates, &store)?;
        bail!(
            "no unused Net Certificate in {}; get more with `netid wallet net-certificates`",
            certificates.display()
        );
    }
    let stored = store.certificates.remove(0);
    let key = [Suite::gm(), Suite::intl()]
        .into_iter()
        .find_map(|suite| suite.signing_key_from_pkcs8_pem(&stored.key).ok())
        .context("a stored holder key does not parse")?;
    let presentation = netid_sdjwt::present(
        &stored.credential,
        claims,
        &key,
        netid_sdjwt::Binding {
            audience,
            nonce,
            issued_at: crate::now()?,
        },
    )?;
    // Removed before it is shown: a crash must not let it be presented twice.
    save(certificates, &store)?;
    Ok(presentation)
}

/// The claims that identify a person: they go only where the platform's profile grants them
/// (the fields a platform may be granted at all).
const IDENTIFYING: [&str; 6] = netid_core::rules::GRANTABLE_FIELDS;

/// Refuses a request for an identifying claim that the published profile (signed by the
/// service) of the platform `audience` does not grant, or from no platform netid knows.
pub(crate) fn check_grants(
    server: &str,
    audience: Option<&str>,
    claims: &[String],
) -> anyhow::Result<()> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let identifying: Vec<&String> = claims
        .iter()
        .filter(|claim| IDENTIFYING.contains(&claim.as_str()))
        .collect();
    if identifying.is_empty() {
        return Ok(());
    }
    let Some(audience) = audience else {
        bail!(
            "the request asks for identifying claims, which go only to a platform certified by netid's CA; nothing was presented"
        );
    };
    let path = format!("/v1/platforms/{audience}/profile");
    let text = crate::block_on(async {
        let url = format!("{}{path}", server.trim_end_matches('/'));
        let response = reqwest::get(&url)
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        if !response.status().is_success() {
            bail!(
                "{audience} is not a platform with a published profile; identifying claims go only to one"
            );
        }
        response.text().await.context("reading the profile")
    })?;
    let signed: netid_proto::ServiceSigned =
        serde_json::from_str(&text).context("the published profile is malformed")?;
    let suite = Suite::gm();
    let key = suite.verifying_key_from_spki_pem(&signed.key)?;
    let payload = Base64UrlUnpadded::decode_vec(&signed.payload).context("the profile")?;
    let signature = suite.signature_from_der(
        &Base64UrlUnpadded::decode_vec(&signed.signature).context("the profile signature")?,
    )?;
    key.verify(&payload, &signature)
        .context("the profile's signature does not verify")?;
    let profile: netid_proto::Profile =
        serde_json::from_slice(&payload).context("the profile payload is malformed")?;
    for claim in identifying {
        if !profile
            .fields
            .iter()
            .any(|field| &field.field == claim && field.status == "approved")
        {
            bail!(
                "{audience} asks for {claim}, which its published profile does not grant; nothing was presented"
            );
        }
    }
    Ok(())
}

/// `netid verify`: checks the presentation on standard input for `audience` and `nonce`
/// against the issuer at `issuer` (its keys and status list fetched now), and prints the
/// disclosed claims.
pub(crate) fn verify(
    issuer: &str,
    audience: &str,
    nonce: &str,
    claims: &[String],
) -> anyhow::Result<()> {
    let mut presentation = String::new();
    std::io::stdin()
        .read_to_string(&mut presentation)
        .context("reading the presentation from standard input")?;
    let presentation = presentation.trim();
    let issuer = issuer.trim_end_matches('/');
    let mut verifier = netid_verify::Verifier::new(issuer, netid_verify::Policy::default());
    let fetch = |url: &str| -> anyhow::Result<String> {
        crate::block_on(async {
            let response = reqwest::get(url)
                .await
                .with_context(|| format!("cannot reach {url}"))?;
            if !response.status().is_success() {
                bail!("{url} answered {}", response.status());
            }
            response.text().await.context("reading the answer")
        })
    };
    verifier.load_issuer_metadata(&fetch(&verifier.metadata_url())?)?;
    let claims: Vec<&str> = claims.iter().map(String::as_str).collect();
    let request = netid_verify::Request::new(audience, nonce, &claims);
    let disclosed = match verifier.verify(presentation, &request, crate::now()?) {
        Err(netid_verify::Error::StatusUnavailable { uri }) => {
            if !uri.starts_with(&format!("{issuer}/")) {
                bail!("the certificate's status list {uri} is not the issuer's");
            }
            verifier.load_status_list(&uri, &fetch(&uri)?, crate::now()?)?;
            verifier.verify(presentation, &request, crate::now()?)?
        }
        other => other?,
    };
    println!(
        "{}",
        serde_json::json!({
            "real_name_verified": disclosed.real_name_verified,
            "claims": disclosed.claims,
            "expires_at": disclosed.expires_at,
        })
    );
    Ok(())
}
