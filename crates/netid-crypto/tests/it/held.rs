//! Keys held by a provider (`HeldSigningKey`): here a software stand-in that signs the digest
//! it is handed with a key netid never sees, as a PKCS#11 token or a GM/T 0018 device would.

use std::sync::Arc;

use netid_crypto::{Error, HeldSigningKey, Suite, SuiteId, WrappingError};
use p256::ecdsa::signature::hazmat::PrehashSigner as _;

/// Signs digests with a secret scalar, as a device would; counts nothing, checks nothing.
enum Provider {
    P256(p256::ecdsa::SigningKey),
    Sm2(sm2::dsa::SigningKey),
    /// Answers with bytes that are no signature of the digest.
    Broken,
}

impl HeldSigningKey for Provider {
    fn describe(&self) -> String {
        "a test provider".to_owned()
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> Result<[u8; 64], WrappingError> {
        let failed = |_| WrappingError("the provider refused".into());
        Ok(match self {
            Self::P256(key) => {
                let signature: p256::ecdsa::Signature = key.sign_prehash(digest).map_err(failed)?;
                signature.to_bytes().into()
            }
            Self::Sm2(key) => {
                let signature: sm2::dsa::Signature = key.sign_prehash(digest).map_err(failed)?;
                signature.to_bytes().into()
            }
            Self::Broken => [7; 64],
        })
    }
}

/// A held key of `suite` whose provider holds the scalar of a key made here (the "token's"
/// key), with that key for comparison.
fn held(suite: &Suite) -> (netid_crypto::SigningKey, netid_crypto::SigningKey) {
    let inside = suite.generate_signing_key().unwrap();
    let scalar = inside.expose_secret_scalar().unwrap();
    let provider = match suite.id() {
        SuiteId::Intl => Provider::P256(p256::ecdsa::SigningKey::from_slice(&*scalar).unwrap()),
        SuiteId::Gm => {
            Provider::Sm2(sm2::dsa::SigningKey::from_slice("1234567812345678", &*scalar).unwrap())
        }
    };
    let key = suite
        .held_signing_key(inside.verifying_key().clone(), Arc::new(provider))
        .unwrap();
    (key, inside)
}

#[test]
fn a_held_key_signs_what_its_public_half_verifies_in_both_suites() {
    for suite in [Suite::intl(), Suite::gm()] {
        let (key, inside) = held(&suite);
        assert!(key.is_held());
        let signature = key.sign(b"checkpoint").unwrap();
        assert!(signature.is_canonical());
        inside
            .verifying_key()
            .verify(b"checkpoint", &signature)
            .unwrap();
        assert!(
            key.verifying_key()
                .verify(b"another checkpoint", &signature)
                .is_err()
        );
        // An independent check of the DER form too: the same bytes a certificate carries.
        let der = signature.to_der().unwrap();
        let again = suite.signature_from_der(&der).unwrap();
        key.verifying_key().verify(b"checkpoint", &again).unwrap();
        assert_eq!(key, key);
        assert_ne!(key, inside);
    }
}

#[test]
fn a_held_key_never_leaves_its_provider() {
    let (key, _) = held(&Suite::intl());
    for error in [
        key.to_pkcs8_der().map(|_| ()).unwrap_err(),
        key.to_pkcs8_pem().map(|_| ()).unwrap_err(),
        key.expose_secret_scalar().map(|_| ()).unwrap_err(),
        key.to_jwk_json().map(|_| ()).unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::KeyHeldElsewhere { held } if held == "a test provider"),
            "{error}"
        );
    }
}

#[test]
fn a_provider_holding_another_key_or_failing_signs_nothing() {
    let suite = Suite::intl();
    let public = suite
        .generate_signing_key()
        .unwrap()
        .verifying_key()
        .clone();
    let (_, other) = held(&suite);
    let scalar = other.expose_secret_scalar().unwrap();
    let wrong = Provider::P256(p256::ecdsa::SigningKey::from_slice(&*scalar).unwrap());
    for provider in [wrong, Provider::Broken] {
        let key = suite
            .held_signing_key(public.clone(), Arc::new(provider))
            .unwrap();
        let error = key.sign(b"checkpoint").unwrap_err();
        assert!(matches!(error, Error::HeldKeyFailed { .. }), "{error}");
    }
    // A public key of the other suite is refused up front.
    let gm = Suite::gm().generate_signing_key().unwrap();
    assert!(matches!(
        suite.held_signing_key(gm.verifying_key().clone(), Arc::new(Provider::Broken)),
        Err(Error::WrongSuite { .. })
    ));
}
