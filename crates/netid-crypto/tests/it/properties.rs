//! Property tests: round trips hold, and any single-bit change is rejected.

use netid_crypto::{AeadKey, Error, MacKey, Suite};
use proptest::prelude::*;

fn suite_strategy() -> impl Strategy<Value = Suite> {
    prop_oneof![Just(Suite::gm()), Just(Suite::intl())]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn signatures_verify_and_any_bit_flip_is_rejected(
        suite in suite_strategy(),
        message in proptest::collection::vec(any::<u8>(), 0..300),
        flip in any::<prop::sample::Index>(),
    ) {
        let key = suite.generate_signing_key().unwrap();
        let signature = key.sign(&message).unwrap();
        prop_assert!(key.verifying_key().verify(&message, &signature).is_ok());

        let mut fixed = signature.to_fixed();
        let bit = flip.index(fixed.len() * 8);
        fixed[bit / 8] ^= 1 << (bit % 8);
        let verdict = suite.signature_from_fixed(&fixed).and_then(|s| key.verifying_key().verify(&message, &s));
        let rejected = matches!(verdict, Err(Error::BadSignature | Error::MalformedSignature { .. }));
        prop_assert!(rejected, "bit flip accepted: {:?}", verdict);

        let mut tampered = message.clone();
        if tampered.is_empty() { tampered.push(0) } else {
            let bit = flip.index(tampered.len() * 8);
            tampered[bit / 8] ^= 1 << (bit % 8);
        }
        prop_assert_eq!(key.verifying_key().verify(&tampered, &signature), Err(Error::BadSignature));
    }

    #[test]
    fn aead_round_trips_and_rejects_any_change(
        suite in suite_strategy(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..200),
        aad in proptest::collection::vec(any::<u8>(), 0..40),
        flip in any::<prop::sample::Index>(),
    ) {
        let key = AeadKey::generate(&suite).unwrap();
        let sealed = suite.encrypt(&key, &aad, &plaintext).unwrap();
        prop_assert_eq!(&suite.decrypt(&key, &aad, &sealed).unwrap()[..], &plaintext[..]);

        // A flipped bit anywhere: nonce, ciphertext or tag.
        let mut tampered = sealed.clone();
        let bit = flip.index(tampered.len() * 8);
        tampered[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(suite.decrypt(&key, &aad, &tampered).unwrap_err(), Error::BadAeadTag);

        // Other associated data.
        let mut other_aad = aad.clone();
        other_aad.push(1);
        prop_assert_eq!(suite.decrypt(&key, &other_aad, &sealed).unwrap_err(), Error::BadAeadTag);

        // Truncation.
        prop_assert!(suite.decrypt(&key, &aad, &sealed[..sealed.len() - 1]).is_err());

        // Another key.
        let other = AeadKey::generate(&suite).unwrap();
        prop_assert_eq!(suite.decrypt(&other, &aad, &sealed).unwrap_err(), Error::BadAeadTag);
    }

    #[test]
    fn macs_verify_and_reject_changes(
        suite in suite_strategy(),
        message in proptest::collection::vec(any::<u8>(), 1..200),
        split in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let key = MacKey::generate().unwrap();
        let tag = suite.mac(&key, &[&message]);
        // Parts are concatenated: any split gives the same tag.
        let (a, b) = message.split_at(split.index(message.len()));
        prop_assert_eq!(suite.mac(&key, &[a, b]), tag);
        prop_assert!(suite.verify_mac(&key, &[&message], tag.as_ref()).is_ok());

        let mut bad = tag.to_bytes();
        let bit = flip.index(bad.len() * 8);
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(suite.verify_mac(&key, &[&message], &bad), Err(Error::BadMac));
        prop_assert_eq!(suite.verify_mac(&key, &[&message], &tag.as_ref()[..31]), Err(Error::BadMac));
    }

    /// Parsers of keys and signatures never panic on damaged input: a flipped bit or a
    /// truncation gives an error, or (for a bit inside the key's value) a different key.
    #[test]
    fn damaged_encodings_are_refused_or_change_the_key(
        suite in suite_strategy(),
        flip in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let key = suite.generate_signing_key().unwrap();
        let public = key.verifying_key();
        let encodings = [
            key.to_pkcs8_der().unwrap().to_vec(),
            public.to_spki_der().unwrap(),
            key.sign(b"m").unwrap().to_der().unwrap(),
        ];
        for (which, original) in encodings.iter().enumerate() {
            let mut flipped = original.clone();
            let bit = flip.index(flipped.len() * 8);
            flipped[bit / 8] ^= 1 << (bit % 8);
            let truncated = &original[..cut.index(original.len())];
            for damaged in [&flipped[..], truncated] {
                match which {
                    0 => if let Ok(other) = suite.signing_key_from_pkcs8_der(damaged) {
                        prop_assert!(other != key, "damaged pkcs#8 gave the same key");
                    },
                    1 => if let Ok(other) = suite.verifying_key_from_spki_der(damaged) {
                        prop_assert!(&other != public, "damaged spki gave the same key");
                    },
                    _ => if let Ok(signature) = suite.signature_from_der(damaged) {
                        prop_assert_eq!(public.verify(b"m", &signature), Err(Error::BadSignature));
                    },
                }
            }
        }
        // JWK: drop any one character of the private JWK.
        let json = key.to_jwk_json().unwrap();
        let at = cut.index(json.len());
        let mut damaged = json.to_string();
        damaged.remove(at);
        if let Ok(other) = suite.signing_key_from_jwk_json(&damaged) {
            prop_assert!(other != key);
        }
    }

    #[test]
    fn incremental_hashing_equals_one_shot(
        suite in suite_strategy(),
        data in proptest::collection::vec(any::<u8>(), 0..500),
        split in any::<prop::sample::Index>(),
    ) {
        let (a, b) = data.split_at(split.index(data.len() + 1).min(data.len()));
        let mut hasher = suite.hasher();
        hasher.update(a);
        hasher.update(b);
        prop_assert_eq!(hasher.finish(), suite.hash(&data));
    }

    #[test]
    fn derived_keys_depend_on_every_input(
        suite in suite_strategy(),
        info in proptest::collection::vec(any::<u8>(), 0..50),
    ) {
        let base = suite.derive_key(b"ikm", b"salt", &info, 32).unwrap();
        let mut other_info = info.clone();
        other_info.push(0);
        prop_assert_ne!(suite.derive_key(b"ikm", b"salt", &other_info, 32).unwrap(), base.clone());
        prop_assert_ne!(suite.derive_key(b"ikm2", b"salt", &info, 32).unwrap(), base.clone());
        prop_assert_ne!(suite.derive_key(b"ikm", b"salt2", &info, 32).unwrap(), base.clone());
        // A shorter output is a prefix of a longer one (RFC 5869 §2.3).
        prop_assert_eq!(&suite.derive_key(b"ikm", b"salt", &info, 16).unwrap()[..], &base[..16]);
    }
}
