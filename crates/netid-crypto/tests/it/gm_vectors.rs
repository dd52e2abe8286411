//! The gm suite against the published vectors of its standards.

use netid_crypto::{AeadKey, DistinguishingId, Error, Suite};
use serde_json::Value;
use sm2::elliptic_curve::ops::Reduce;
use sm2::elliptic_curve::point::AffineCoordinates;
use sm2::elliptic_curve::{Group, PrimeField};
use sm4::cipher::{BlockCipherEncrypt, KeyInit};

use crate::{unhex, vector_file};

fn vectors(file: &str) -> (Value, Vec<Value>) {
    let doc = vector_file(file);
    assert!(
        doc["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{file} names no source"
    );
    let vectors = doc["vectors"].as_array().expect("vectors array").clone();
    assert!(!vectors.is_empty(), "{file} has no vectors");
    (doc, vectors)
}

fn field<'a>(vector: &'a Value, key: &str) -> &'a str {
    vector[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector {} lacks {key}", vector["name"]))
}

#[test]
fn sm3_matches_gb_t_32905_examples() {
    let (_, vectors) = vectors("sm3.json");
    for v in &vectors {
        let digest = Suite::gm().hash(field(v, "message_ascii").as_bytes());
        assert_eq!(
            hex::encode(digest),
            field(v, "digest"),
            "vector {}",
            v["name"]
        );
    }
}

#[test]
fn sm4_block_cipher_matches_gb_t_32907_examples() {
    let (_, vectors) = vectors("sm4.json");
    for v in &vectors {
        let cipher = sm4::Sm4::new_from_slice(&unhex("key", field(v, "key"))).unwrap();
        let mut block = sm4::cipher::Block::<sm4::Sm4>::try_from(
            unhex("plaintext", field(v, "plaintext")).as_slice(),
        )
        .unwrap();
        for _ in 0..v["iterations"].as_u64().unwrap() {
            cipher.encrypt_block(&mut block);
        }
        assert_eq!(
            hex::encode(block),
            field(v, "ciphertext"),
            "vector {}",
            v["name"]
        );
    }
}

#[test]
fn sm4_gcm_matches_rfc_8998_appendix_a1() {
    let (_, vectors) = vectors("sm4_gcm.json");
    let suite = Suite::gm();
    for v in &vectors {
        let key = AeadKey::from_bytes(&suite, &unhex("key", field(v, "key"))).unwrap();
        let nonce: [u8; 12] = unhex("nonce", field(v, "nonce")).try_into().unwrap();
        let aad = unhex("aad", field(v, "aad"));
        let plaintext = unhex("plaintext", field(v, "plaintext"));
        let mut expected = unhex("ciphertext", field(v, "ciphertext"));
        expected.extend(unhex("tag", field(v, "tag")));

        let sealed = suite.seal(&key, &nonce, &aad, &plaintext).unwrap();
        assert_eq!(
            hex::encode(&sealed),
            hex::encode(&expected),
            "vector {}",
            v["name"]
        );
        let opened = suite.open(&key, &nonce, &aad, &expected).unwrap();
        assert_eq!(&opened[..], &plaintext[..], "vector {}", v["name"]);

        let mut tampered = expected.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            suite.open(&key, &nonce, &aad, &tampered),
            Err(Error::BadAeadTag)
        );
    }
}

/// GM/T 0003.5's worked example: key pair, `Z_A`, `e`, and the signature for its fixed `k`.
///
/// netid signs with RFC 6979 nonces, so the fixed-`k` signature is recomputed here from the
/// standard's formulas with the `sm2` crate's curve arithmetic (the same arithmetic netid signs
/// with), and the published `(r, s)` must then verify through netid's API.
#[test]
fn sm2_matches_gm_t_0003_5_example_on_sm2p256v1() {
    let (doc, vectors) = vectors("sm2_sign.json");
    let curve = &doc["curve"];
    for v in &vectors {
        let id = field(v, "distinguishing_id_ascii");
        let suite = Suite::gm_with_distinguishing_id(DistinguishingId::new(id).unwrap());
        let d = unhex("private_key", field(v, "private_key"));
        let key = suite.signing_key_from_scalar(&d).unwrap();

        // The public key the standard derives from d.
        let mut public = vec![4u8];
        public.extend(unhex("public_x", field(v, "public_x")));
        public.extend(unhex("public_y", field(v, "public_y")));
        assert_eq!(
            key.verifying_key().to_sec1_uncompressed(),
            public,
            "vector {}",
            v["name"]
        );

        // Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), GM/T 0003.2 §5.5.
        let mut z_input = ((id.len() * 8) as u16).to_be_bytes().to_vec();
        z_input.extend(id.as_bytes());
        for name in ["a", "b", "gx", "gy"] {
            z_input.extend(unhex(name, curve[name].as_str().unwrap()));
        }
        z_input.extend(&public[1..]);
        let za = Suite::gm().hash(&z_input);
        assert_eq!(hex::encode(za), field(v, "za"), "vector {}", v["name"]);

        let mut e_input = za.to_bytes().to_vec();
        e_input.extend(field(v, "message_ascii").as_bytes());
        let e_bytes = Suite::gm().hash(&e_input);
        assert_eq!(hex::encode(e_bytes), field(v, "e"), "vector {}", v["name"]);

        // A4..A6 with the standard's k.
        let scalar = |name: &str| {
            let bytes: [u8; 32] = unhex(name, field(v, name)).try_into().unwrap();
            sm2::Scalar::from_repr(bytes.into()).unwrap()
        };
        let (k, d) = (scalar("k"), scalar("private_key"));
        let e = <sm2::Scalar as Reduce<sm2::FieldBytes>>::reduce(&e_bytes.to_bytes().into());
        let x1 = (sm2::ProjectivePoint::generator() * k).to_affine().x();
        let r = e + <sm2::Scalar as Reduce<sm2::FieldBytes>>::reduce(&x1);
        let s = (sm2::Scalar::ONE + d).invert().unwrap() * (k - r * d);
        assert_eq!(
            hex::encode(r.to_repr()),
            field(v, "r"),
            "vector {}",
            v["name"]
        );
        assert_eq!(
            hex::encode(s.to_repr()),
            field(v, "s"),
            "vector {}",
            v["name"]
        );

        // The published signature verifies through netid, and not under another ID.
        let mut rs = unhex("r", field(v, "r"));
        rs.extend(unhex("s", field(v, "s")));
        let signature = suite.signature_from_fixed(&rs).unwrap();
        let message = field(v, "message_ascii").as_bytes();
        key.verifying_key().verify(message, &signature).unwrap();
        let other_id = Suite::gm_with_distinguishing_id(DistinguishingId::new("").unwrap());
        let other_key = other_id.verifying_key_from_sec1(&public).unwrap();
        assert_eq!(
            other_key.verify(message, &signature),
            Err(Error::BadSignature)
        );
        assert_eq!(
            key.verifying_key().verify(b"message digesT", &signature),
            Err(Error::BadSignature)
        );
    }
}

#[test]
fn sm2_default_distinguishing_id_is_the_standard_one() {
    assert_eq!(Suite::gm().distinguishing_id().as_str(), "1234567812345678");
}

#[test]
fn sm2_distinguishing_id_longer_than_entl_allows_is_refused() {
    let too_long = "x".repeat(8192);
    assert_eq!(
        DistinguishingId::new(&too_long),
        Err(Error::DistinguishingIdTooLong {
            len: 8192,
            max: 8191
        })
    );
    assert!(DistinguishingId::new(&too_long[..8191]).is_ok());
}

#[test]
fn sm2_signature_from_scalar_zero_is_refused() {
    let zero = [0u8; 32];
    assert!(matches!(
        Suite::gm().signing_key_from_scalar(&zero),
        Err(Error::MalformedKey { .. })
    ));
    let n = unhex(
        "n",
        "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123",
    );
    assert!(matches!(
        Suite::gm().signing_key_from_scalar(&n),
        Err(Error::MalformedKey { .. })
    ));
    let mut rs = n.clone();
    rs.extend(&n);
    assert!(matches!(
        Suite::gm().signature_from_fixed(&rs),
        Err(Error::MalformedSignature { .. })
    ));
}

#[test]
fn sm2_decryption_opens_the_openssl_made_vectors_and_refuses_them_altered() {
    let (_, vectors) = vectors("sm2_encrypt.json");
    for vector in &vectors {
        let name = field(vector, "name");
        let key = Suite::gm()
            .signing_key_from_scalar(&unhex("private_key", field(vector, "private_key")))
            .unwrap();
        let ciphertext = unhex("ciphertext_der", field(vector, "ciphertext_der"));
        let opened = key
            .sm2_decrypt(&ciphertext)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            *opened,
            unhex("plaintext", field(vector, "plaintext")),
            "{name}"
        );
        // Any flipped bit of the hash or the ciphertext (the last 41 bytes) is refused.
        for position in ciphertext.len() - 41..ciphertext.len() {
            let mut altered = ciphertext.clone();
            altered[position] ^= 0x01;
            assert!(
                matches!(key.sm2_decrypt(&altered), Err(Error::BadAeadTag)),
                "{name}: byte {position}"
            );
        }
    }
}
