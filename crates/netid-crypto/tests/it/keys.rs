//! Key and signature encodings, error kinds, and what secrets print.

use netid_crypto::{AeadKey, Error, KeyEncoding, MacKey, SignatureEncoding, Suite, SuiteId};

use crate::both_suites;

#[test]
fn signing_keys_round_trip_through_every_encoding() {
    for suite in both_suites() {
        let key = suite.generate_signing_key().unwrap();
        let from_der = suite
            .signing_key_from_pkcs8_der(&key.to_pkcs8_der().unwrap())
            .unwrap();
        let from_pem = suite
            .signing_key_from_pkcs8_pem(&key.to_pkcs8_pem().unwrap())
            .unwrap();
        let from_jwk = suite
            .signing_key_from_jwk_json(&key.to_jwk_json().unwrap())
            .unwrap();
        assert_eq!(from_der, key);
        assert_eq!(from_pem, key);
        assert_eq!(from_jwk, key);
        assert_ne!(suite.generate_signing_key().unwrap(), key);
    }
}

#[test]
fn verifying_keys_round_trip_through_every_encoding() {
    for suite in both_suites() {
        let key = suite.generate_signing_key().unwrap();
        let public = key.verifying_key();
        assert_eq!(
            &suite
                .verifying_key_from_spki_der(&public.to_spki_der().unwrap())
                .unwrap(),
            public
        );
        assert_eq!(
            &suite
                .verifying_key_from_spki_pem(&public.to_spki_pem().unwrap())
                .unwrap(),
            public
        );
        assert_eq!(
            &suite.verifying_key_from_jwk(&public.to_jwk()).unwrap(),
            public
        );
        assert_eq!(
            &suite
                .verifying_key_from_sec1(&public.to_sec1_uncompressed())
                .unwrap(),
            public
        );
    }
}

#[test]
fn jwk_names_the_curve() {
    let gm = Suite::gm()
        .generate_signing_key()
        .unwrap()
        .verifying_key()
        .to_jwk();
    let intl = Suite::intl()
        .generate_signing_key()
        .unwrap()
        .verifying_key()
        .to_jwk();
    assert_eq!((gm.kty.as_str(), gm.crv.as_str()), ("EC", "SM2"));
    assert_eq!((intl.kty.as_str(), intl.crv.as_str()), ("EC", "P-256"));
    assert_eq!(gm.x.len(), 43);
    assert!(Suite::intl().verifying_key_from_jwk(&gm).is_err());
}

#[test]
fn keys_of_one_suite_are_refused_by_the_other() {
    let gm_key = Suite::gm().generate_signing_key().unwrap();
    let der = gm_key.to_pkcs8_der().unwrap();
    assert_eq!(
        Suite::intl().signing_key_from_pkcs8_der(&der).unwrap_err(),
        Error::MalformedKey {
            suite: SuiteId::Intl,
            encoding: KeyEncoding::Pkcs8Der
        }
    );
    let spki = gm_key.verifying_key().to_spki_der().unwrap();
    assert!(matches!(
        Suite::intl().verifying_key_from_spki_der(&spki),
        Err(Error::MalformedKey {
            encoding: KeyEncoding::SpkiDer,
            ..
        })
    ));

    let intl_key = Suite::intl().generate_signing_key().unwrap();
    let gm_signature = gm_key.sign(b"m").unwrap();
    assert_eq!(
        intl_key.verifying_key().verify(b"m", &gm_signature),
        Err(Error::WrongSuite {
            expected: SuiteId::Intl,
            found: SuiteId::Gm
        })
    );
    let aead_key = AeadKey::generate(&Suite::gm()).unwrap();
    assert_eq!(
        Suite::intl().encrypt(&aead_key, b"", b"x").unwrap_err(),
        Error::WrongSuite {
            expected: SuiteId::Intl,
            found: SuiteId::Gm
        }
    );
}

#[test]
fn malformed_inputs_get_distinct_errors() {
    for suite in both_suites() {
        assert!(matches!(
            suite.signing_key_from_pkcs8_der(b"\x30\x03\x02\x01\x00"),
            Err(Error::MalformedKey {
                encoding: KeyEncoding::Pkcs8Der,
                ..
            })
        ));
        assert!(matches!(
            suite.signing_key_from_pkcs8_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            ),
            Err(Error::MalformedKey {
                encoding: KeyEncoding::Pkcs8Pem,
                ..
            })
        ));
        assert!(matches!(
            suite.verifying_key_from_sec1(&[4u8; 65]),
            Err(Error::MalformedKey {
                encoding: KeyEncoding::Sec1Point,
                ..
            })
        ));
        assert!(matches!(
            suite.signing_key_from_jwk_json("{\"kty\":\"EC\"}"),
            Err(Error::MalformedKey {
                encoding: KeyEncoding::Jwk,
                ..
            })
        ));
        assert_eq!(
            suite.signature_from_fixed(&[1u8; 63]),
            Err(Error::SignatureLength { got: 63, want: 64 })
        );
        assert_eq!(
            suite.signature_from_fixed(&[0u8; 64]),
            Err(Error::MalformedSignature {
                encoding: SignatureEncoding::Fixed
            })
        );
        assert_eq!(
            suite.signature_from_der(&[0x30, 0x02, 0x02, 0x00]),
            Err(Error::MalformedSignature {
                encoding: SignatureEncoding::Der
            })
        );
        let want = netid_crypto::aead_key_len(suite.id());
        assert_eq!(
            AeadKey::from_bytes(&suite, &[0u8; 5]).unwrap_err(),
            Error::KeyLength { got: 5, want }
        );
        let key = AeadKey::generate(&suite).unwrap();
        for len in [0, 11, 12, 27] {
            assert_eq!(
                suite.decrypt(&key, b"", &vec![0u8; len]).unwrap_err(),
                Error::CiphertextTooShort { got: len, min: 28 }
            );
        }
        assert_eq!(
            MacKey::from_bytes(&[1u8; 15]).unwrap_err(),
            Error::KeyLength { got: 15, want: 16 }
        );
        assert!(MacKey::from_bytes(&[1u8; 16]).is_ok());
        // A scalar is exactly 32 bytes: shorter input is not left-padded.
        let mut short = vec![0u8; 31];
        short[30] = 1;
        assert_eq!(
            suite.signing_key_from_scalar(&short).unwrap_err(),
            Error::MalformedKey {
                suite: suite.id(),
                encoding: KeyEncoding::RawScalar
            }
        );
        assert_eq!(
            suite
                .derive_key(b"k", b"s", b"i", 255 * 32 + 1)
                .unwrap_err(),
            Error::DerivedLength {
                requested: 255 * 32 + 1,
                max: 255 * 32
            }
        );
        let mac_key = MacKey::generate().unwrap();
        assert_eq!(
            suite.verify_mac(&mac_key, &[b"m"], &[0u8; 32]),
            Err(Error::BadMac)
        );
        assert_eq!(suite.verify_mac(&mac_key, &[b"m"], &[]), Err(Error::BadMac));
    }
}

/// GB/T 32918.1 §6.1 takes SM2 private keys from [1, n-2]: n-1 would make 1 + d zero.
#[test]
fn sm2_private_key_n_minus_1_is_refused_in_every_encoding() {
    let n_minus_1 =
        hex::decode("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122").unwrap();
    assert_eq!(
        Suite::gm().signing_key_from_scalar(&n_minus_1).unwrap_err(),
        Error::MalformedKey {
            suite: SuiteId::Gm,
            encoding: KeyEncoding::RawScalar
        }
    );
    let jwk = format!(
        r#"{{"kty":"EC","crv":"SM2","x":"AA","y":"AA","d":"{}"}}"#,
        base64_url(&n_minus_1)
    );
    assert!(matches!(
        Suite::gm().signing_key_from_jwk_json(&jwk),
        Err(Error::MalformedKey {
            encoding: KeyEncoding::Jwk,
            ..
        })
    ));
    // n-1 is a fine P-256 key, by contrast.
    let p256_n_minus_1 =
        hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550").unwrap();
    Suite::intl()
        .signing_key_from_scalar(&p256_n_minus_1)
        .unwrap();
}

fn base64_url(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

#[test]
fn jwk_whose_public_part_does_not_match_d_is_refused() {
    for suite in both_suites() {
        let a = suite.generate_signing_key().unwrap();
        let b = suite.generate_signing_key().unwrap();
        let a_json: serde_json::Value = serde_json::from_str(&a.to_jwk_json().unwrap()).unwrap();
        let mut mixed: serde_json::Value = serde_json::from_str(&b.to_jwk_json().unwrap()).unwrap();
        mixed["d"] = a_json["d"].clone();
        assert!(matches!(
            suite.signing_key_from_jwk_json(&mixed.to_string()),
            Err(Error::MalformedKey {
                encoding: KeyEncoding::Jwk,
                ..
            })
        ));
    }
}

#[test]
fn secrets_print_nothing_but_their_kind() {
    for suite in both_suites() {
        let key = suite.generate_signing_key().unwrap();
        let scalar_hex = hex::encode(key.expose_secret_scalar().unwrap().as_slice());
        let printed = format!("{key:?}");
        assert!(
            !printed.contains(&scalar_hex) && !printed.contains(&scalar_hex[..8]),
            "{printed}"
        );
        assert_eq!(
            printed,
            format!("SigningKey {{ suite: {:?}, .. }}", suite.id())
        );

        let aead = AeadKey::generate(&suite).unwrap();
        assert_eq!(
            format!("{aead:?}"),
            format!("AeadKey {{ suite: {:?}, .. }}", suite.id())
        );
        let mac = MacKey::generate().unwrap();
        assert_eq!(format!("{mac:?}"), "MacKey { .. }");
        assert_eq!(format!("{:?}", suite.mac(&mac, &[b"x"])), "Tag { .. }");
    }
}

#[test]
fn error_messages_are_lowercase_clauses_without_key_bytes() {
    let errors = [
        Error::MalformedKey {
            suite: SuiteId::Gm,
            encoding: KeyEncoding::Jwk,
        },
        Error::SignatureLength { got: 63, want: 64 },
        Error::BadAeadTag,
        Error::UnknownSuite,
        Error::Internal("x"),
    ];
    for error in errors {
        let text = error.to_string();
        assert!(text.chars().next().unwrap().is_lowercase(), "{text}");
        assert!(!text.ends_with('.'), "{text}");
    }
    assert_eq!("gm".parse::<SuiteId>(), Ok(SuiteId::Gm));
    assert_eq!("intl".parse::<SuiteId>(), Ok(SuiteId::Intl));
    assert_eq!("GM".parse::<SuiteId>(), Err(Error::UnknownSuite));
}

#[test]
fn der_and_fixed_signatures_convert_both_ways() {
    for suite in both_suites() {
        let key = suite.generate_signing_key().unwrap();
        let signature = key.sign(b"payload").unwrap();
        let der = signature.to_der().unwrap();
        assert_eq!(der[0], 0x30);
        let back = suite.signature_from_der(&der).unwrap();
        assert_eq!(back, signature);
        assert_eq!(
            suite.signature_from_fixed(&signature.to_fixed()).unwrap(),
            signature
        );
        key.verifying_key().verify(b"payload", &back).unwrap();
    }
}

/// netid keys work through the RustCrypto `signature` traits too.
#[test]
fn keys_implement_the_rustcrypto_signature_traits() {
    use signature::{Keypair, Signer, Verifier};
    fn sign_generic<S: Signer<netid_crypto::Signature>>(signer: &S) -> netid_crypto::Signature {
        signer.sign(b"generic")
    }
    for suite in both_suites() {
        let key = suite.generate_signing_key().unwrap();
        let signature = sign_generic(&key);
        let public = Keypair::verifying_key(&key);
        Verifier::verify(&public, b"generic", &signature).unwrap();
        assert!(Verifier::verify(&public, b"other", &signature).is_err());
        let bytes: [u8; 64] = signature.into();
        assert_eq!(bytes, signature.to_fixed());
    }
}

/// `n - s` for P-256's group order `n`, big-endian, as an attacker makes an ECDSA twin.
fn p256_twin(fixed: &[u8; 64]) -> [u8; 64] {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let mut twin = *fixed;
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let difference = i16::from(N[i]) - i16::from(fixed[32 + i]) - borrow;
        borrow = i16::from(difference < 0);
        twin[32 + i] = difference.rem_euclid(256) as u8;
    }
    twin
}

#[test]
fn p256_signatures_are_low_s_and_their_high_s_twins_are_not_canonical() {
    let suite = Suite::intl();
    let key = suite.generate_signing_key().unwrap();
    // About half of raw ECDSA signatures have a high s: 64 make a miss unlikely (2^-64).
    for round in 0..64u8 {
        let message = [round; 8];
        let signature = key.sign(&message).unwrap();
        assert!(
            signature.is_canonical(),
            "round {round}: a high s was signed"
        );
        let twin = suite
            .signature_from_fixed(&p256_twin(&signature.to_fixed()))
            .unwrap();
        // The twin verifies (ECDSA is malleable), and is refused as not canonical.
        key.verifying_key().verify(&message, &twin).unwrap();
        assert!(!twin.is_canonical(), "round {round}");
    }
}

#[test]
fn sm2_signatures_are_always_canonical() {
    let key = Suite::gm().generate_signing_key().unwrap();
    assert!(key.sign(b"message").unwrap().is_canonical());
}
