//! netid-sdjwt through its public API: issuance, presentation and verification in both
//! suites, each rejection, and the status list.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{SigningKey, Suite, VerifyingKey};
use netid_sdjwt::{
    Binding, Error, Expectations, HashAlg, Issuance, StatusList, StatusListToken, issue, present,
    verify, verify_status_list,
};
use serde_json::{Value, json};

const T0: i64 = 1_800_000_000;
const AUD: &str = "platform-test-0001";
const NONCE: &str = "nonce-test-000000001";

struct Fixture {
    issuer: SigningKey,
    holder: SigningKey,
    sd_jwt: String,
}

fn issued(suite: &Suite) -> Fixture {
    let issuer = suite.generate_signing_key().unwrap();
    let holder = suite.generate_signing_key().unwrap();
    let sd_jwt = issue(
        &Issuance {
            issuer: "https://netid.test",
            kid: "issuer-key-1",
            vct: "urn:netid:vct:net-certificate:1",
            issued_at: T0,
            not_before: T0,
            expires_at: T0 + 86_400,
            holder_key: holder.verifying_key(),
            status: Some((7, "https://netid.test/v1/status/1")),
            plain: vec![("real_name_verified", json!(true))],
            disclosable: vec![
                ("name", json!("测试甲")),
                ("birth_date", json!("1990-01-01")),
                ("age_over_18", json!(true)),
            ],
            digests: 12,
        },
        &issuer,
    )
    .unwrap();
    Fixture {
        issuer,
        holder,
        sd_jwt,
    }
}

fn binding() -> Binding<'static> {
    Binding {
        audience: AUD,
        nonce: NONCE,
        issued_at: T0 + 10,
    }
}

fn expect() -> Expectations<'static> {
    Expectations {
        audience: AUD,
        nonce: NONCE,
        now: T0 + 20,
        max_age: 300,
        skew: 60,
    }
}

fn check(f: &Fixture, presentation: &str) -> Result<netid_sdjwt::Verified, Error> {
    let key = f.issuer.verifying_key().clone();
    verify(
        presentation,
        |kid, suite| (kid == Some("issuer-key-1") && suite == key.suite()).then(|| key.clone()),
        &expect(),
    )
}

fn payload(jwt: &str) -> serde_json::Map<String, Value> {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(part).unwrap()).unwrap()
}

/// Re-signs the issuer JWT of `sd_jwt` after `edit` changes its payload.
fn reissue(f: &Fixture, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let (jwt, rest) = f.sd_jwt.split_once('~').unwrap();
    let mut claims = payload(jwt);
    edit(&mut claims);
    let mut header = serde_json::Map::new();
    header.insert("typ".to_owned(), json!("dc+sd-jwt"));
    header.insert("kid".to_owned(), json!("issuer-key-1"));
    let jwt = netid_sdjwt::sign(header, &Value::Object(claims), &f.issuer).unwrap();
    format!("{jwt}~{rest}")
}

#[test]
fn both_suites_disclose_exactly_what_is_presented() {
    for suite in [Suite::intl(), Suite::gm()] {
        let f = issued(&suite);
        let claims = payload(f.sd_jwt.split('~').next().unwrap());
        // Every personal claim is hidden; the digest count is fixed, decoys included.
        assert_eq!(claims["_sd"].as_array().unwrap().len(), 12);
        assert!(claims.get("name").is_none() && claims.get("birth_date").is_none());
        assert_eq!(claims["real_name_verified"], json!(true));
        assert_eq!(
            claims["_sd_alg"],
            json!(HashAlg::of_suite(suite.id()).name())
        );

        let presentation = present(&f.sd_jwt, &["age_over_18"], &f.holder, binding()).unwrap();
        let verified = check(&f, &presentation).unwrap();
        assert_eq!(verified.disclosed, vec!["age_over_18"]);
        assert_eq!(verified.claims["age_over_18"], json!(true));
        assert!(verified.claims.get("name").is_none());
        assert!(verified.claims.get("_sd").is_none() && verified.claims.get("_sd_alg").is_none());

        // `real_name_verified` alone: no disclosure at all.
        let bare = present(&f.sd_jwt, &[], &f.holder, binding()).unwrap();
        assert!(check(&f, &bare).unwrap().disclosed.is_empty());
        assert_eq!(
            present(&f.sd_jwt, &["nationality"], &f.holder, binding()),
            Err(Error::NoSuchClaim {
                name: "nationality".to_owned()
            })
        );
    }
}

#[test]
fn two_issuances_of_the_same_claims_share_no_salt_digest_or_signature() {
    let suite = Suite::intl();
    let f = issued(&suite);
    let g = issued(&suite);
    let digests = |sd_jwt: &str| payload(sd_jwt.split('~').next().unwrap())["_sd"].clone();
    assert_ne!(digests(&f.sd_jwt), digests(&g.sd_jwt));
    let disclosures = |sd_jwt: &str| {
        sd_jwt
            .split('~')
            .skip(1)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    for disclosure in disclosures(&f.sd_jwt) {
        assert!(disclosure.is_empty() || !disclosures(&g.sd_jwt).contains(&disclosure));
    }
}

#[test]
fn each_broken_presentation_fails_with_its_own_error() {
    let f = issued(&Suite::intl());
    let good = present(&f.sd_jwt, &["name"], &f.holder, binding()).unwrap();
    let (jwt, rest) = good.split_once('~').unwrap();
    let kb = good.rsplit('~').next().unwrap();
    let name = rest.split('~').next().unwrap();

    // A changed payload byte: the issuer's signature fails.
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut claims = payload(jwt);
    claims.insert("real_name_verified".to_owned(), json!(false));
    parts[1] = Base64UrlUnpadded::encode_string(&serde_json::to_vec(&claims).unwrap());
    let tampered = format!("{}~{rest}", parts.join("."));
    assert_eq!(check(&f, &tampered).unwrap_err(), Error::BadIssuerSignature);

    // Another issuer key, or none known.
    let other = issued(&Suite::intl());
    let forged = present(&other.sd_jwt, &["name"], &other.holder, binding()).unwrap();
    assert_eq!(check(&f, &forged).unwrap_err(), Error::BadIssuerSignature);
    let unknown = verify(&good, |_, _| None::<VerifyingKey>, &expect());
    assert!(matches!(unknown, Err(Error::UnknownKey { .. })));

    // Expired, not yet valid (re-signed with other times).
    let expired = reissue(&f, |claims| {
        claims.insert("exp".to_owned(), json!(T0 - 3600));
    });
    let expired = present(&expired, &["name"], &f.holder, binding()).unwrap();
    assert_eq!(check(&f, &expired).unwrap_err(), Error::Expired);
    let early = reissue(&f, |claims| {
        claims.insert("nbf".to_owned(), json!(T0 + 7200));
    });
    let early = present(&early, &["name"], &f.holder, binding()).unwrap();
    assert_eq!(check(&f, &early).unwrap_err(), Error::NotYetValid);

    // A repeated disclosure; a disclosure from another certificate; a changed disclosure.
    let twice = format!("{jwt}~{name}~{name}~{kb}");
    assert_eq!(check(&f, &twice).unwrap_err(), Error::RepeatedDisclosure);
    let foreign = other.sd_jwt.split('~').nth(1).unwrap();
    let smuggled = format!("{jwt}~{name}~{foreign}~{kb}");
    assert_eq!(
        check(&f, &smuggled).unwrap_err(),
        Error::UnreferencedDisclosure
    );
    let changed = netid_sdjwt::Disclosure::property("name", json!("测试乙")).unwrap();
    let swapped = format!("{jwt}~{}~{kb}", changed.encoded);
    assert_eq!(
        check(&f, &swapped).unwrap_err(),
        Error::UnreferencedDisclosure
    );

    // Key binding: missing, by another key, over other disclosures, wrong aud, nonce, time.
    let unbound = format!("{jwt}~{name}~");
    assert_eq!(check(&f, &unbound).unwrap_err(), Error::MissingKeyBinding);
    let stolen = present(&f.sd_jwt, &["name"], &other.holder, binding()).unwrap();
    assert_eq!(
        check(&f, &stolen).unwrap_err(),
        Error::BadKeyBinding {
            reason: "signature"
        }
    );
    let dropped = format!("{jwt}~{kb}");
    assert_eq!(
        check(&f, &dropped).unwrap_err(),
        Error::BadKeyBinding { reason: "sd_hash" }
    );
    let elsewhere = present(
        &f.sd_jwt,
        &["name"],
        &f.holder,
        Binding {
            audience: "another-platform",
            ..binding()
        },
    )
    .unwrap();
    assert_eq!(check(&f, &elsewhere).unwrap_err(), Error::WrongAudience);
    let other_nonce = present(
        &f.sd_jwt,
        &["name"],
        &f.holder,
        Binding {
            nonce: "another-nonce-0000001",
            ..binding()
        },
    )
    .unwrap();
    assert_eq!(check(&f, &other_nonce).unwrap_err(), Error::WrongNonce);
    let old = present(
        &f.sd_jwt,
        &["name"],
        &f.holder,
        Binding {
            issued_at: T0 - 3600,
            ..binding()
        },
    )
    .unwrap();
    assert_eq!(check(&f, &old).unwrap_err(), Error::StaleKeyBinding);

    // `alg: none` and garbage are refused.
    let header = Base64UrlUnpadded::encode_string(br#"{"alg":"none"}"#);
    let unsigned = format!("{header}.{}.~{kb}", jwt.split('.').nth(1).unwrap());
    assert!(matches!(
        check(&f, &unsigned),
        Err(Error::UnsupportedAlgorithm { .. })
    ));
    assert!(matches!(
        check(&f, "not a presentation"),
        Err(Error::Malformed { .. })
    ));
}

fn status_token(key: &SigningKey, list: &StatusList, expires_at: i64) -> String {
    list.sign(
        &StatusListToken {
            uri: "https://netid.test/v1/status/1",
            kid: "issuer-key-1",
            issued_at: T0,
            expires_at,
            ttl: 600,
        },
        key,
    )
    .unwrap()
}

#[test]
fn status_lists_round_trip_and_refuse_what_they_must() {
    for suite in [Suite::intl(), Suite::gm()] {
        let key = suite.generate_signing_key().unwrap();
        let public = key.verifying_key().clone();
        let lookup = |_: Option<&str>, _| Some(public.clone());
        let mut list = StatusList::new(1 << 16);
        for index in [0, 7, 8, 65_535] {
            list.revoke(index).unwrap();
        }
        assert!(list.revoke(1 << 16).is_err());
        let token = status_token(&key, &list, T0 + 3600);
        let verified =
            verify_status_list(&token, lookup, "https://netid.test/v1/status/1", T0).unwrap();
        assert_eq!((verified.issued_at, verified.expires_at), (T0, T0 + 3600));
        let read = verified.list;
        for index in [0, 7, 8, 65_535] {
            assert!(read.is_revoked(index).unwrap());
        }
        for index in [1, 6, 9, 4242] {
            assert!(!read.is_revoked(index).unwrap());
        }
        assert_eq!(
            read.is_revoked(1 << 16),
            Err(Error::StatusIndexOutOfRange { index: 1 << 16 })
        );
        // Bit order: index 0 is the least significant bit of the first byte.
        let lst = payload(&token)["status_list"]["lst"]
            .as_str()
            .unwrap()
            .to_owned();
        let compressed = Base64UrlUnpadded::decode_vec(&lst).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(compressed.as_slice()),
            &mut bytes,
        )
        .unwrap();
        assert_eq!(bytes[0], 0b1000_0001);
        assert_eq!(bytes[1], 0b0000_0001);

        // Another list's URI, an expired list, another key.
        assert!(verify_status_list(&token, lookup, "https://netid.test/v1/status/2", T0).is_err());
        assert_eq!(
            verify_status_list(&token, lookup, "https://netid.test/v1/status/1", T0 + 3600)
                .unwrap_err(),
            Error::Expired
        );
        let stranger = suite.generate_signing_key().unwrap();
        let forged = status_token(&stranger, &list, T0 + 3600);
        assert_eq!(
            verify_status_list(&forged, lookup, "https://netid.test/v1/status/1", T0).unwrap_err(),
            Error::BadIssuerSignature
        );
    }
}

/// RFC 9901's own examples: each Disclosure's digest, and the section 5.2 presentation (an
/// independent issuer's ES256 SD-JWT with nested and array-element disclosures) verified to
/// the processed payload the RFC shows.
#[test]
fn the_rfc_9901_examples_verify() {
    let vectors: Value = serde_json::from_str(include_str!("rfc9901.json")).unwrap();
    for vector in vectors["disclosure_digests"].as_array().unwrap() {
        let disclosure =
            netid_sdjwt::Disclosure::parse(vector["disclosure"].as_str().unwrap()).unwrap();
        assert_eq!(
            disclosure.digest(HashAlg::Sha256),
            vector["sha256_digest"].as_str().unwrap()
        );
        let decoded = vector["decoded"].as_array().unwrap();
        assert_eq!(&json!(disclosure.salt), &decoded[0]);
        assert_eq!(&disclosure.value, decoded.last().unwrap());
        assert_eq!(
            disclosure.name.as_deref(),
            (decoded.len() == 3).then(|| decoded[1].as_str().unwrap())
        );
    }
    let issuer_jwk: netid_crypto::Jwk =
        serde_json::from_value(vectors["issuer_jwk"].clone()).unwrap();
    let issuer = netid_sdjwt::key_of_jwk(&issuer_jwk).unwrap();
    let kb = &vectors["kb"];
    let expectations = Expectations {
        audience: kb["aud"].as_str().unwrap(),
        nonce: kb["nonce"].as_str().unwrap(),
        now: kb["iat"].as_i64().unwrap(),
        max_age: 300,
        skew: 60,
    };
    let presentation = vectors["presentation"].as_str().unwrap();
    let verified = verify(presentation, |_, _| Some(issuer.clone()), &expectations).unwrap();
    assert_eq!(
        Value::Object(verified.claims),
        vectors["expected_processed_payload"]
    );
    // The same presentation for another verifier, or with a disclosure dropped, fails.
    assert_eq!(
        verify(
            presentation,
            |_, _| Some(issuer.clone()),
            &Expectations {
                audience: "https://another.example",
                ..expectations
            },
        )
        .unwrap_err(),
        Error::WrongAudience
    );
    let mut parts: Vec<&str> = presentation.split('~').collect();
    parts.remove(1);
    assert!(verify(&parts.join("~"), |_, _| Some(issuer.clone()), &expectations).is_err());

    // A holder (netid's code) re-presents the issued SD-JWT of section 5.1 disclosing one
    // claim; the holder's private key is not published, so only the issuer side is checked:
    // the issued SD-JWT carries ten Disclosures, all referenced.
    let issued = vectors["issued_sd_jwt"].as_str().unwrap();
    assert_eq!(
        issued.split('~').filter(|part| !part.is_empty()).count(),
        11
    );
}

/// The Python interpreter with the independent `sd-jwt` package (`scripts/test` makes one).
fn interop_python() -> String {
    std::env::var("NETID_TEST_SDJWT_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn run_interop(mode: &str, input: &[u8]) -> Value {
    use std::io::Write;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/sd_jwt_python.py"
    );
    let mut child = std::process::Command::new(interop_python())
        .args([script, mode])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with the sd-jwt package (scripts/test installs it)");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sd-jwt (Python) {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// netid's presentations verify in the OpenWallet Foundation's sd-jwt for Python, and its
/// presentations verify in netid: key binding, digests and disclosures agree both ways.
#[test]
fn presentations_interoperate_with_sd_jwt_for_python() {
    let f = issued(&Suite::intl());
    let presentation = present(&f.sd_jwt, &["name", "age_over_18"], &f.holder, binding()).unwrap();
    let request = json!({
        "presentation": presentation,
        "issuer_jwk": f.issuer.verifying_key().to_jwk(),
        "aud": AUD,
        "nonce": NONCE,
    });
    let payload = run_interop("verify", request.to_string().as_bytes());
    assert_eq!(payload["name"], json!("测试甲"));
    assert_eq!(payload["age_over_18"], json!(true));
    assert_eq!(payload["real_name_verified"], json!(true));
    assert!(payload.get("birth_date").is_none());
    assert!(payload["cnf"]["jwk"].is_object());

    let issued_there = run_interop("issue", b"");
    let issuer_jwk: netid_crypto::Jwk =
        serde_json::from_value(issued_there["issuer_jwk"].clone()).unwrap();
    let issuer = netid_sdjwt::key_of_jwk(&issuer_jwk).unwrap();
    let verified = verify(
        issued_there["presentation"].as_str().unwrap(),
        |_, _| Some(issuer.clone()),
        &Expectations {
            audience: issued_there["aud"].as_str().unwrap(),
            nonce: issued_there["nonce"].as_str().unwrap(),
            now: i64::try_from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs(),
            )
            .unwrap(),
            max_age: 300,
            skew: 60,
        },
    )
    .unwrap();
    assert_eq!(verified.disclosed, vec!["age_over_18"]);
    assert_eq!(verified.claims["age_over_18"], json!(true));
    assert!(verified.claims.get("name").is_none());
}
