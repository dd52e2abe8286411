//! Net Certificates: issuance per suite, and offline verification of a presentation by the
//! platform SDK next to the two raw signature verifications it contains (the issuer's and
//! the key binding's). `cargo bench -p netid-verify`.

#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::Instant;

use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::{Criterion, criterion_group, criterion_main};
use netid_crypto::{SigningKey, Suite, VerifyingKey};
use netid_sdjwt::{Binding, Issuance, NET_CERTIFICATE_VCT, StatusList, StatusListToken};
use netid_verify::{Policy, Request, Verifier};
use serde_json::json;

const ISSUER: &str = "https://netid.bench";
const NOW: i64 = 1_800_000_000;

fn issuance<'a>(holder: &'a VerifyingKey, kid: &'a str, uri: &'a str) -> Issuance<'a> {
    Issuance {
        issuer: ISSUER,
        kid,
        vct: NET_CERTIFICATE_VCT,
        issued_at: NOW,
        not_before: NOW,
        expires_at: NOW + 30 * 86_400,
        holder_key: holder,
        status: Some((4242, uri)),
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
    }
}

/// The signing input and signature of a compact JWS, and its verification with `key`.
fn raw_verify(suite: &Suite, jws: &str, key: &VerifyingKey) {
    let (input, signature) = jws.rsplit_once('.').unwrap();
    let signature = suite
        .signature_from_fixed(&Base64UrlUnpadded::decode_vec(signature).unwrap())
        .unwrap();
    key.verify(input.as_bytes(), &signature).unwrap();
}

fn bench(c: &mut Criterion) {
    for suite in [Suite::intl(), Suite::gm()] {
        let name = suite.id().as_str();
        let issuer: SigningKey = suite.generate_signing_key().unwrap();
        let holder = suite.generate_signing_key().unwrap();
        let kid = netid_sdjwt::thumbprint(&issuer.verifying_key().to_jwk());
        let uri = format!("{ISSUER}/v1/status/{name}");

        c.bench_function(&format!("net_certificate/issue/{name}"), |b| {
            b.iter(|| {
                netid_sdjwt::issue(
                    black_box(&issuance(holder.verifying_key(), &kid, &uri)),
                    &issuer,
                )
                .unwrap()
            });
        });

        let credential =
            netid_sdjwt::issue(&issuance(holder.verifying_key(), &kid, &uri), &issuer).unwrap();
        let jwk = issuer.verifying_key().to_jwk();
        let metadata = json!({"issuer": ISSUER, "jwks": {"keys": [{
            "kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y, "kid": kid,
        }]}});
        let list = StatusList::new(1 << 20)
            .sign(
                &StatusListToken {
                    uri: &uri,
                    kid: &kid,
                    issued_at: NOW,
                    expires_at: NOW + 3600,
                    ttl: 600,
                },
                &issuer,
            )
            .unwrap();
        // A verifier as a platform holds it: keys and status list loaded, its replay cache
        // starting empty for each measurement.
        let fresh_verifier = || {
            let mut verifier = Verifier::new(ISSUER, Policy::default());
            verifier
                .load_issuer_metadata(&metadata.to_string())
                .unwrap();
            verifier.load_status_list(&uri, &list, NOW).unwrap();
            verifier
        };
        // Distinct presentations, made before the clock starts: each verification sees a
        // new string and a new nonce, as a platform does.
        let mut counter = 0u64;
        let mut pool = |count: u64| -> Vec<(Request, String)> {
            (0..count)
                .map(|_| {
                    counter += 1;
                    let nonce = format!("bench-nonce-{counter:016}");
                    let shown = netid_sdjwt::present(
                        &credential,
                        &["age_over_18"],
                        &holder,
                        Binding {
                            audience: "bench-platform",
                            nonce: &nonce,
                            issued_at: NOW,
                        },
                    )
                    .unwrap();
                    (
                        Request::new("bench-platform", &nonce, &["age_over_18"]),
                        shown,
                    )
                })
                .collect()
        };
        c.bench_function(
            &format!("net_certificate/verify_presentation/{name}"),
            |b| {
                b.iter_custom(|iters| {
                    let presentations = pool(iters);
                    let mut verifier = fresh_verifier();
                    let start = Instant::now();
                    for (request, shown) in &presentations {
                        black_box(verifier.verify(shown, request, NOW).unwrap());
                    }
                    start.elapsed()
                });
            },
        );
        c.bench_function(
            &format!("net_certificate/two_raw_signature_verifications/{name}"),
            |b| {
                b.iter_custom(|iters| {
                    let presentations = pool(iters);
                    let start = Instant::now();
                    for (_, shown) in &presentations {
                        let issuer_jwt = shown.split('~').next().unwrap();
                        let kb_jwt = shown.rsplit('~').next().unwrap();
                        raw_verify(&suite, issuer_jwt, issuer.verifying_key());
                        raw_verify(&suite, kb_jwt, holder.verifying_key());
                    }
                    start.elapsed()
                });
            },
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
