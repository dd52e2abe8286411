//! netid-verify through its public API, without a server: what the SDK itself decides
//! (issuer, type, status freshness and revocation, replay, over-disclosure).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use netid_crypto::{SigningKey, Suite};
use netid_sdjwt::{Binding, Issuance, NET_CERTIFICATE_VCT, StatusList, StatusListToken};
use netid_verify::{Error, Policy, Request, Verifier};
use serde_json::json;

const ISSUER: &str = "https://netid.test";
const URI: &str = "https://netid.test/v1/status/intl";
const NOW: i64 = 1_800_000_000;

struct Setup {
    issuer: SigningKey,
    holder: SigningKey,
    kid: String,
}

fn setup() -> Setup {
    let suite = Suite::intl();
    let issuer = suite.generate_signing_key().unwrap();
    let kid = netid_sdjwt::thumbprint(&issuer.verifying_key().to_jwk());
    Setup {
        issuer,
        holder: suite.generate_signing_key().unwrap(),
        kid,
    }
}

fn credential(s: &Setup, iss: &str, vct: &str, index: u64) -> String {
    netid_sdjwt::issue(
        &Issuance {
            issuer: iss,
            kid: &s.kid,
            vct,
            issued_at: NOW,
            not_before: NOW,
            expires_at: NOW + 86_400,
            holder_key: s.holder.verifying_key(),
            status: Some((index, URI)),
            plain: vec![("real_name_verified", json!(true))],
            disclosable: vec![("age_over_18", json!(true)), ("name", json!("测试甲"))],
            digests: 16,
        },
        &s.issuer,
    )
    .unwrap()
}

fn verifier(s: &Setup, revoked: &[u64], fetched_at: i64) -> Verifier {
    let jwk = s.issuer.verifying_key().to_jwk();
    let metadata = json!({"issuer": ISSUER, "jwks": {"keys": [{
        "kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y, "kid": s.kid,
        "alg": "ES256", "use": "sig",
    }]}});
    let mut verifier = Verifier::new(
        ISSUER,
        Policy {
            max_status_staleness: 600,
            ..Policy::default()
        },
    );
    assert_eq!(
        verifier
            .load_issuer_metadata(&metadata.to_string())
            .unwrap(),
        1
    );
    let mut list = StatusList::new(1024);
    for index in revoked {
        list.revoke(*index).unwrap();
    }
    let token = list
        .sign(
            &StatusListToken {
                uri: URI,
                kid: &s.kid,
                issued_at: fetched_at,
                expires_at: fetched_at + 3600,
                ttl: 600,
            },
            &s.issuer,
        )
        .unwrap();
    verifier.load_status_list(URI, &token, fetched_at).unwrap();
    verifier
}

fn verifier_list_token(s: &Setup, issued_at: i64) -> String {
    StatusList::new(1024)
        .sign(
            &StatusListToken {
                uri: URI,
                kid: &s.kid,
                issued_at,
                expires_at: issued_at + 3600,
                ttl: 600,
            },
            &s.issuer,
        )
        .unwrap()
}

fn shown(s: &Setup, credential: &str, nonce: &str, claims: &[&str]) -> String {
    netid_sdjwt::present(
        credential,
        claims,
        &s.holder,
        Binding {
            audience: "platform",
            nonce,
            issued_at: NOW,
        },
    )
    .unwrap()
}

#[test]
fn the_sdk_returns_only_the_disclosed_claims_and_refuses_each_of_its_cases() {
    let s = setup();
    let good = credential(&s, ISSUER, NET_CERTIFICATE_VCT, 5);
    let mut verifier = verifier(&s, &[9], NOW);
    let request = Request::new("platform", "nonce-1", &["age_over_18"]);
    let disclosed = verifier
        .verify(
            &shown(&s, &good, "nonce-1", &["age_over_18"]),
            &request,
            NOW,
        )
        .unwrap();
    assert!(disclosed.real_name_verified);
    assert_eq!(disclosed.claims.len(), 1);
    assert_eq!(disclosed.expires_at, NOW + 86_400);

    // The same nonce again: replayed, even in a fresh presentation.
    assert_eq!(
        verifier.verify(
            &shown(&s, &good, "nonce-1", &["age_over_18"]),
            &request,
            NOW
        ),
        Err(Error::ReplayedNonce)
    );
    // More than asked.
    let more = Request::new("platform", "nonce-2", &["age_over_18"]);
    assert_eq!(
        verifier.verify(
            &shown(&s, &good, "nonce-2", &["age_over_18", "name"]),
            &more,
            NOW
        ),
        Err(Error::DisclosedMoreThanAsked {
            claim: "name".to_owned()
        })
    );
    // Fewer than asked: a holder who withholds a claim is not taken to have shown it.
    let both = Request::new("platform", "nonce-2b", &["age_over_18", "name"]);
    assert_eq!(
        verifier.verify(&shown(&s, &good, "nonce-2b", &["age_over_18"]), &both, NOW),
        Err(Error::MissingRequestedClaim {
            claim: "name".to_owned()
        })
    );
    // Revoked (index 9 in the list).
    let revoked = credential(&s, ISSUER, NET_CERTIFICATE_VCT, 9);
    let request = Request::new("platform", "nonce-3", &[]);
    assert_eq!(
        verifier.verify(&shown(&s, &revoked, "nonce-3", &[]), &request, NOW),
        Err(Error::Revoked)
    );
    // Issued by someone else under the same key; not a Net Certificate.
    let elsewhere = credential(&s, "https://other.test", NET_CERTIFICATE_VCT, 5);
    let request = Request::new("platform", "nonce-4", &[]);
    assert!(matches!(
        verifier.verify(&shown(&s, &elsewhere, "nonce-4", &[]), &request, NOW),
        Err(Error::WrongIssuer { .. })
    ));
    let other_type = credential(&s, ISSUER, "urn:other:vct", 5);
    let request = Request::new("platform", "nonce-5", &[]);
    assert_eq!(
        verifier.verify(&shown(&s, &other_type, "nonce-5", &[]), &request, NOW),
        Err(Error::NotANetCertificate)
    );
    // A refused presentation does not use up its nonce.
    let request = Request::new("platform", "nonce-5", &[]);
    assert!(
        verifier
            .verify(&shown(&s, &good, "nonce-5", &[]), &request, NOW)
            .is_ok()
    );
}

#[test]
fn a_status_list_older_than_the_policy_allows_must_be_fetched_again() {
    let s = setup();
    let good = credential(&s, ISSUER, NET_CERTIFICATE_VCT, 5);
    // Fetched 601 seconds before; the policy allows 600.
    let mut verifier = verifier(&s, &[], NOW - 601);
    let request = Request::new("platform", "nonce-stale", &[]);
    assert_eq!(
        verifier.verify(&shown(&s, &good, "nonce-stale", &[]), &request, NOW),
        Err(Error::StatusUnavailable {
            uri: URI.to_owned()
        })
    );
    assert_eq!(verifier.status_list_uris(), vec![URI.to_owned()]);
    // Loading a current list fixes it; an older one loaded afterwards does not replace it.
    let fresh = verifier_list_token(&s, NOW);
    verifier.load_status_list(URI, &fresh, NOW).unwrap();
    let older = verifier_list_token(&s, NOW - 601);
    verifier.load_status_list(URI, &older, NOW).unwrap();
    let request = Request::new("platform", "nonce-fresh", &[]);
    assert!(
        verifier
            .verify(&shown(&s, &good, "nonce-fresh", &[]), &request, NOW)
            .is_ok()
    );
    // Metadata for another issuer, or a list signed by an unknown key, is refused.
    let mut other = Verifier::new("https://other.test", Policy::default());
    let metadata = json!({"issuer": ISSUER, "jwks": {"keys": []}});
    assert!(matches!(
        other.load_issuer_metadata(&metadata.to_string()),
        Err(Error::IssuerData(_))
    ));
    let stranger = Suite::intl().generate_signing_key().unwrap();
    let token = StatusList::new(8)
        .sign(
            &StatusListToken {
                uri: URI,
                kid: "stranger",
                issued_at: NOW,
                expires_at: NOW + 60,
                ttl: 60,
            },
            &stranger,
        )
        .unwrap();
    assert!(matches!(
        verifier.load_status_list(URI, &token, NOW),
        Err(Error::Credential(netid_sdjwt::Error::UnknownKey { .. }))
    ));
}
