//! What OpenID4VP adds to a platform's verification of a Net Certificate presentation: opening
//! the wallet's response (a form for `direct_post`; ECDH-ES and AES-GCM for `direct_post.jwt`)
//! next to the offline verification itself, per suite: best of six rounds of 1,000 responses,
//! each to a request of its own (its nonce, state and, encrypted, its key), made beforehand.
//! `cargo run --release -p netid-verify --example openid4vp`

#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]
use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::Suite;
use netid_sdjwt::{Binding, Issuance, NET_CERTIFICATE_VCT, StatusList, StatusListToken};
use netid_verify::openid4vp::{Identity, PresentationRequest, ResponseMode};
use netid_verify::{Policy, Verifier};
use serde_json::{Value, json};
use std::time::Instant;

fn main() {
    for suite in [Suite::intl(), Suite::gm()] {
        let issuer = suite.generate_signing_key().unwrap();
        let holder = suite.generate_signing_key().unwrap();
        let kid = netid_sdjwt::thumbprint(&issuer.verifying_key().to_jwk());
        let uri = "https://i/v1/status/intl";
        let now = 1_800_000_000;
        let credential = netid_sdjwt::issue(
            &Issuance {
                issuer: "https://i",
                kid: &kid,
                vct: NET_CERTIFICATE_VCT,
                issued_at: now,
                not_before: now,
                expires_at: now + 86400,
                holder_key: holder.verifying_key(),
                status: Some((5, uri)),
                plain: vec![("real_name_verified", json!(true))],
                disclosable: vec![("name", json!("测试甲")), ("age_over_18", json!(true))],
                digests: 16,
            },
            &issuer,
        )
        .unwrap();
        let jwk = issuer.verifying_key().to_jwk();
        let list = StatusList::new(1 << 20)
            .sign(
                &StatusListToken {
                    uri,
                    kid: &kid,
                    issued_at: now,
                    expires_at: now + 3600,
                    ttl: 600,
                },
                &issuer,
            )
            .unwrap();
        let identity = Identity::x509_hash(
            Suite::intl().generate_signing_key().unwrap(),
            vec![b"a platform certificate".to_vec()],
        )
        .unwrap();
        let n = 1000u32;
        for mode in [ResponseMode::DirectPost, ResponseMode::DirectPostJwt] {
            let mut best = (f64::MAX, f64::MAX);
            for _ in 0..6 {
                let mut verifier = Verifier::new("https://i", Policy::default());
                verifier.load_issuer_metadata(&json!({"issuer": "https://i", "jwks": {"keys": [{"kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y, "kid": kid}]}}).to_string()).unwrap();
                verifier.load_status_list(uri, &list, now).unwrap();
                // The wallets' side, beforehand: each response to a request of its own.
                let answered: Vec<(PresentationRequest, Vec<u8>)> = (0..n)
                    .map(|_| {
                        let request = PresentationRequest::new(&identity, "https://p/r", &["age_over_18"], mode).unwrap();
                        let presentation = netid_sdjwt::present(
                            &credential,
                            &["age_over_18"],
                            &holder,
                            Binding { audience: &request.client_id, nonce: &request.nonce, issued_at: now },
                        )
                        .unwrap();
                        let payload = json!({"vp_token": {"net_certificate": [presentation]}, "state": request.state});
                        let body = match mode {
                            ResponseMode::DirectPost => url_form(&[
                                ("vp_token", payload["vp_token"].to_string()),
                                ("state", request.state.clone()),
                            ]),
                            ResponseMode::DirectPostJwt => {
                                let object = request.request_object(&identity, now).unwrap();
                                let part = object.split('.').nth(1).unwrap();
                                let claims: Value = serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap();
                                let key = &claims["client_metadata"]["jwks"]["keys"][0];
                                let jwe = netid_crypto::ecdh_es::encrypt(key, "A128GCM", (b"wallet", request.nonce.as_bytes()), payload.to_string().as_bytes()).unwrap();
                                url_form(&[("response", jwe)])
                            }
                        };
                        (request, body.into_bytes())
                    })
                    .collect();
                let started = Instant::now();
                let presentations: Vec<String> = answered
                    .iter()
                    .map(|(request, body)| request.open_response(body).unwrap())
                    .collect();
                let open = started.elapsed().as_secs_f64() * 1e6 / f64::from(n);
                let started = Instant::now();
                for ((request, _), presentation) in answered.iter().zip(&presentations) {
                    verifier
                        .verify(presentation, &request.expected(), now)
                        .unwrap();
                }
                let verify = started.elapsed().as_secs_f64() * 1e6 / f64::from(n);
                best = (best.0.min(open), best.1.min(verify));
            }
            println!(
                "{} {:?}: open the response {:.1} us, verify {:.1} us, opening is {:.0}% of verifying",
                suite.id().as_str(),
                mode,
                best.0,
                best.1,
                best.0 / best.1 * 100.0
            );
        }
    }
}

fn url_form(pairs: &[(&str, String)]) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        form.append_pair(name, value);
    }
    form.finish()
}
