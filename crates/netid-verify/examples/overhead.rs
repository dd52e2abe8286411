//! The cost of verifying a Net Certificate presentation with the SDK next to the two raw
//! signature verifications it contains, per suite: best of six rounds of 1,000 distinct
//! presentations each (a fresh replay cache per round). The overhead (parsing, disclosure
//! hashes, status lookup, replay cache) is what the SDK adds.
//! `cargo run --release -p netid-verify --example overhead`

#![allow(missing_docs, clippy::unwrap_used)]
use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::Suite;
use netid_sdjwt::{Binding, Issuance, NET_CERTIFICATE_VCT, StatusList, StatusListToken};
use netid_verify::{Policy, Request, Verifier};
use serde_json::json;
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
                disclosable: vec![
                    ("net_id", json!("NETIDBENCH0000000001")),
                    ("name", json!("测试甲")),
                    ("birth_date", json!("1990-01-01")),
                    ("document_type", json!("resident-id")),
                    ("document_number", json!("11010519491231999X")),
                    ("nationality", json!("CHN")),
                    ("age_over_14", json!(true)),
                    ("age_over_16", json!(true)),
                    ("age_over_18", json!(true)),
                ],
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
        let n = 1000u32;
        let mut best = (f64::MAX, f64::MAX);
        for round in 0..6 {
            let mut v = Verifier::new("https://i", Policy::default());
            v.load_issuer_metadata(&json!({"issuer": "https://i", "jwks": {"keys": [{"kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y, "kid": kid}]}}).to_string()).unwrap();
            v.load_status_list(uri, &list, now).unwrap();
            let shown: Vec<(Request, String)> = (0..n)
                .map(|i| {
                    let nonce = format!("n{round}-{i:08}");
                    let p = netid_sdjwt::present(
                        &credential,
                        &["age_over_18"],
                        &holder,
                        Binding {
                            audience: "a",
                            nonce: &nonce,
                            issued_at: now,
                        },
                    )
                    .unwrap();
                    (Request::new("a", &nonce, &["age_over_18"]), p)
                })
                .collect();
            let t = Instant::now();
            for (r, p) in &shown {
                v.verify(p, r, now).unwrap();
            }
            let sdk = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
            let t = Instant::now();
            for (_, p) in &shown {
                for (jws, key) in [
                    (p.split('~').next().unwrap(), issuer.verifying_key()),
                    (p.rsplit('~').next().unwrap(), holder.verifying_key()),
                ] {
                    let (input, sig) = jws.rsplit_once('.').unwrap();
                    let sig = suite
                        .signature_from_fixed(&Base64UrlUnpadded::decode_vec(sig).unwrap())
                        .unwrap();
                    key.verify(input.as_bytes(), &sig).unwrap();
                }
            }
            let raw = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
            best = (best.0.min(sdk), best.1.min(raw));
        }
        println!(
            "{}: sdk {:.1} us, raw {:.1} us, overhead {:.0}%",
            suite.id().as_str(),
            best.0,
            best.1,
            (best.0 / best.1 - 1.0) * 100.0
        );
    }
}
