//! `netid wallet present --openid4vp LINK`: the CLI wallet answers an OpenID4VP 1.0 request
//! from a platform. It fetches the signed request, checks its signature and its certificate
//! chain up to netid's CA (`/v1/ca/chain`, or the anchors given), checks that the client
//! identifier is `x509_hash:` that certificate's hash, reads the DCQL query (one Net
//! Certificate, flat claims), says who asks for what on standard error, refuses an identifying
//! claim that the platform's signed profile does not grant, presents one unused certificate
//! bound to the platform's client identifier and nonce, and posts it (`direct_post`, or
//! encrypted to the request's key for `direct_post.jwt`). netid itself sees none of it.

use std::path::Path;

use anyhow::{Context, bail};
use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use der::Decode as _;
use netid_crypto::Suite;
use serde_json::{Value, json};

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The CA certificates a request's chain must lead to.
fn anchors(server: &str, trust: Option<&Path>) -> anyhow::Result<Vec<netid_ca::Certificate>> {
    let pem = match trust {
        Some(path) => crate::read(path)?,
        None => crate::get_public(server, "/v1/ca/chain")
            .context("netid's CA certificates (or give --trust FILE)")?,
    };
    netid_ca::Certificate::load_pem_chain(pem.as_bytes())
        .context("a trusted CA certificate does not parse")
}

/// `netid wallet present --openid4vp`.
pub(crate) fn present(
    server: &str,
    link: &str,
    trust: Option<&Path>,
    certificates: &Path,
) -> anyhow::Result<()> {
    let query = link
        .split_once('?')
        .map(|(_, query)| query)
        .context("an OpenID4VP link has a query: ?client_id=…&request_uri=…")?;
    let parameter = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let client_id = parameter("client_id").context("the link names no client_id")?;
    let request_uri = parameter("request_uri")
        .context("the link has no request_uri (netid's wallet takes signed requests only)")?;
    let compact = crate::block_on(async {
        let response = reqwest::Client::new()
            .get(&request_uri)
            .header("accept", "application/oauth-authz-req+jwt")
            .send()
            .await
            .with_context(|| format!("cannot reach {request_uri}"))?;
        if !response.status().is_success() {
            bail!("{request_uri} answered {}", response.status());
        }
        response.text().await.context("reading the request")
    })?;

    // The request: signed by the key of a certificate that netid's CA (or an anchor given)
    // issued, which the client identifier names.
    let jws = netid_sdjwt::Jws::parse(compact.trim(), "authorization request")?;
    if jws.header_str("typ") != Some("oauth-authz-req+jwt") {
        bail!("the request is not a signed authorization request (typ oauth-authz-req+jwt)");
    }
    let chain = jws
        .header
        .get("x5c")
        .and_then(Value::as_array)
        .context("the request carries no certificate chain (x5c)")?
        .iter()
        .map(|entry| {
            let der = Base64::decode_vec(entry.as_str().unwrap_or_default())
                .context("an x5c entry is not base64")?;
            Ok((der.clone(), netid_ca::Certificate::from_der(&der)?))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ((leaf_der, leaf), rest) = chain.split_first().context("an empty x5c")?;
    let intermediates: Vec<netid_ca::Certificate> = rest
        .iter()
        .map(|(_, certificate)| certificate.clone())
        .collect();
    let now = crate::now()?;
    netid_ca::validate_path(
        leaf,
        &intermediates,
        &anchors(server, trust)?,
        u64::try_from(now).unwrap_or_default(),
        &[],
    )
    .context("the request's certificate does not lead to a CA this wallet trusts")?;
    if !jws.verify(&netid_ca::public_key(leaf)?) {
        bail!("the request's signature does not verify under its certificate");
    }
    let hash = format!(
        "x509_hash:{}",
        Base64UrlUnpadded::encode_string(Suite::intl().hash(leaf_der).as_ref())
    );
    let claims = Value::Object(jws.payload.clone());
    if client_id != hash || text(&claims, "/client_id") != Some(client_id.as_str()) {
        bail!("the client_id is not x509_hash: of the request's certificate");
    }
    if text(&claims, "/response_type") != Some("vp_token") {
        bail!("the request does not ask for a vp_token");
    }
    if claims.pointer("/exp").and_then(Value::as_i64).unwrap_or(0) <= now {
        bail!("the request has expired: ask the platform for a new one");
    }
    let nonce = text(&claims, "/nonce").context("the request has no nonce")?;
    let response_uri = text(&claims, "/response_uri").context("no response_uri")?;
    let mode = text(&claims, "/response_mode").unwrap_or("fragment");

    // The query: one Net Certificate, top-level claims.
    let queries = claims
        .pointer("/dcql_query/credentials")
        .and_then(Value::as_array)
        .context("the request has no DCQL query")?;
    let [asked] = queries.as_slice() else {
        bail!(
            "the request asks for {} credentials; netid's wallet answers one",
            queries.len()
        );
    };
    let vct_asked = asked
        .pointer("/meta/vct_values")
        .and_then(Value::as_array)
        .is_some_and(|values| {
            values
                .iter()
                .any(|vct| vct == netid_sdjwt::NET_CERTIFICATE_VCT)
        });
    if text(asked, "/format") != Some("dc+sd-jwt") || !vct_asked {
        bail!("the request does not ask for a Net Certificate");
    }
    let names =
        asked
            .pointer("/claims")
            .and_then(Value::as_array)
            .map_or(Ok(Vec::new()), |claims| {
                claims
                    .iter()
                    .map(
                        |claim| match claim.pointer("/path").and_then(Value::as_array) {
                            Some(path) if path.len() == 1 => path
                                .first()
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                                .context("a claim path is not a name"),
                            _ => bail!("a claim path is not one name (Net Certificates are flat)"),
                        },
                    )
                    .collect::<anyhow::Result<Vec<String>>>()
            })?;
    let query_id = text(asked, "/id").context("the credential query has no id")?;

    // Who asks, and what for. A certificate of netid's CA names the platform by its client id
    // (`CN=…,O=netid platform`): only then is its profile the one that grants identifying
    // claims; under another CA (--trust) the name is that CA's word alone.
    let subject = leaf.tbs_certificate().subject().to_string();
    let certified = match trust {
        None if subject.contains("O=netid platform") => subject
            .split(',')
            .find_map(|part| part.trim().strip_prefix("CN=")),
        _ => None,
    };
    let platform = certified.unwrap_or(&subject);
    eprintln!(
        "netid: {platform} asks for a Net Certificate showing {} (the response goes to {response_uri})",
        if names.is_empty() {
            "nothing but real_name_verified".to_owned()
        } else {
            names.join(", ")
        }
    );
    crate::net_certificates::check_grants(server, certified, &names)?;
    let shown: Vec<&str> = names.iter().map(String::as_str).collect();
    let presentation =
        crate::net_certificates::present_one(certificates, &shown, &client_id, nonce)?;

    let payload = json!({
        "vp_token": { query_id: [presentation] },
        "state": claims.pointer("/state").cloned().unwrap_or(Value::Null),
    });
    let form: Vec<(String, String)> = match mode {
        "direct_post" => {
            let mut form = vec![(
                "vp_token".to_owned(),
                payload
                    .pointer("/vp_token")
                    .map(Value::to_string)
                    .unwrap_or_default(),
            )];
            if let Some(state) = text(&payload, "/state") {
                form.push(("state".to_owned(), state.to_owned()));
            }
            form
        }
        "direct_post.jwt" => {
            let key = claims
                .pointer("/client_metadata/jwks/keys")
                .and_then(Value::as_array)
                .and_then(|keys| {
                    keys.iter().find(|key| {
                        text(key, "/use") == Some("enc") || text(key, "/alg") == Some("ECDH-ES")
                    })
                })
                .context("the request asks for an encrypted response but gives no key")?;
            let enc = claims
                .pointer("/client_metadata/encrypted_response_enc_values_supported")
                .and_then(Value::as_array)
                .and_then(|encs| {
                    encs.iter()
                        .filter_map(Value::as_str)
                        .find(|enc| netid_crypto::ecdh_es::ENCS.contains(enc))
                })
                .unwrap_or("A128GCM");
            let apu = netid_crypto::random_token()?;
            let jwe = netid_crypto::ecdh_es::encrypt(
                key,
                enc,
                (apu.as_bytes(), nonce.as_bytes()),
                payload.to_string().as_bytes(),
            )?;
            vec![("response".to_owned(), jwe)]
        }
        other => bail!("the response mode {other} is not one netid's wallet speaks"),
    };
    let answer = crate::block_on(async {
        let response = reqwest::Client::new()
            .post(response_uri)
            .form(&form)
            .send()
            .await
            .with_context(|| format!("cannot reach {response_uri}"))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("the platform refused the presentation ({status}): {body}");
        }
        Ok(body)
    })?;
    let redirect = serde_json::from_str::<Value>(&answer)
        .ok()
        .and_then(|body| text(&body, "/redirect_uri").map(str::to_owned));
    println!("{}", json!({ "presented": true, "redirect_uri": redirect }));
    Ok(())
}
