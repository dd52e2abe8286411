//! `netid wallet net-certificates`, `netid wallet present --request` and `netid verify`: the
//! holder's and the platform's side of Net Certificates.
//!
//! The wallet keeps its certificates in one JSON file (mode 0600) with the key of each, and
//! marks each used after one presentation: two platforms comparing what they received find
//! nothing in common.

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
    /// Whether it was presented already.
    used: bool,
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

/// Writes the file whole (mode 0600) and then renames it over the old one, so that a crash
/// leaves either the old or the new file.
fn save(path: &Path, store: &Store) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let json = Zeroizing::new(serde_json::to_string_pretty(store)?);
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(json.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))
}

/// `netid wallet net-certificates`: asks for `count` certificates, each for a fresh key of
/// `suite`, and adds them to the file at `out`.
pub(crate) fn fetch(
    server: &str,
    wallet: &SigningKey,
    count: usize,
    suite: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let suite = Suite::new(suite.parse::<SuiteId>().context("--suite")?);
    let keys = (0..count)
        .map(|_| suite.generate_signing_key())
        .collect::<Result<Vec<_>, _>>()?;
    let jwks: Vec<netid_crypto::Jwk> = keys
        .iter()
        .map(|key| key.verifying_key().to_jwk())
        .collect();
    let thumbprints: Vec<String> = jwks.iter().map(netid_sdjwt::thumbprint).collect();
    let timestamp = crate::now()?;
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
        wallet_key: crate::public_key(wallet)?,
        timestamp,
        signature: crate::sign(
            wallet,
            &netid_proto::signing::net_certificate_request_message(&thumbprints, timestamp),
        )?,
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
    let mut store = load(out)?;
    for (key, credential) in keys.iter().zip(issued.credentials) {
        store.certificates.push(Stored {
            key: key.to_pkcs8_pem()?.to_string(),
            credential,
            used: false,
        });
    }
    save(out, &store)?;
    let unused = store
        .certificates
        .iter()
        .filter(|stored| !stored.used)
        .count();
    println!(
        "{}",
        serde_json::json!({ "issued": keys.len(), "unused": unused })
    );
    Ok(())
}

/// `netid wallet present --request FILE`: presents the next unused certificate, disclosing
/// exactly the claims the request names, and marks it used.
pub(crate) fn present(certificates: &Path, request: &Path) -> anyhow::Result<()> {
    let request: PresentationRequest = serde_json::from_str(&crate::read(request)?)
        .context("the request must be {\"audience\", \"nonce\", \"claims\": [...]}")?;
    let mut store = load(certificates)?;
    let Some(stored) = store.certificates.iter_mut().find(|stored| !stored.used) else {
        bail!(
            "no unused Net Certificate in {}; get more with `netid wallet net-certificates`",
            certificates.display()
        );
    };
    let key = [Suite::gm(), Suite::intl()]
        .into_iter()
        .find_map(|suite| suite.signing_key_from_pkcs8_pem(&stored.key).ok())
        .context("a stored holder key does not parse")?;
    let claims: Vec<&str> = request.claims.iter().map(String::as_str).collect();
    let presentation = netid_sdjwt::present(
        &stored.credential,
        &claims,
        &key,
        netid_sdjwt::Binding {
            audience: &request.audience,
            nonce: &request.nonce,
            issued_at: crate::now()?,
        },
    )?;
    stored.used = true;
    // Marked used before it is shown: a crash must not let it be presented twice.
    save(certificates, &store)?;
    println!("{presentation}");
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
    verifier.load_issuer_metadata(&fetch(&verifier.metadata_url())?, crate::now()?)?;
    let claims: Vec<&str> = claims.iter().map(String::as_str).collect();
    let request = netid_verify::Request::new(audience, nonce, &claims);
    let disclosed = match verifier.verify(presentation, &request, crate::now()?) {
        Err(netid_verify::Error::StatusUnavailable { uri }) => {
            if !uri.starts_with(issuer) {
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
