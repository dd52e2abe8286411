//! Cross-implementation checks against the `openssl` binary (OpenSSL 3), which netid does not
//! control. The binary must be on PATH: `scripts/test` installs it where it is missing.
//!
//! OpenSSL 3.0 uses an empty SM2 distinguishing ID unless told, so every SM2 command names
//! `distid:1234567812345678` explicitly, and one test shows that the empty ID does not verify.

use std::path::{Path, PathBuf};
use std::process::Command;

use netid_crypto::{AeadKey, DistinguishingId, MacKey, Suite, SuiteId};

use crate::both_suites;

const DEFAULT_ID_OPT: &str = "distid:1234567812345678";

struct Workdir(tempfile::TempDir);

impl Workdir {
    fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }
}

/// Runs openssl; returns (success, stdout).
fn openssl(args: &[&str]) -> (bool, Vec<u8>) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl binary must be installed (scripts/test installs it)");
    (output.status.success(), output.stdout)
}

fn openssl_ok(args: &[&str]) -> Vec<u8> {
    let (ok, stdout) = openssl(args);
    assert!(ok, "openssl {} failed", args.join(" "));
    stdout
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn digest_name(suite: &Suite) -> &'static str {
    match suite.id() {
        SuiteId::Gm => "-sm3",
        SuiteId::Intl => "-sha256",
    }
}

/// `openssl dgst` arguments for one suite's signature: SM2 needs the distinguishing ID.
fn sig_opts(suite: &Suite) -> Vec<&'static str> {
    match suite.id() {
        SuiteId::Gm => vec!["-sigopt", DEFAULT_ID_OPT],
        SuiteId::Intl => vec![],
    }
}

#[test]
fn netid_signatures_verify_with_openssl() {
    for suite in both_suites() {
        let dir = Workdir::new();
        let key = suite.generate_signing_key().unwrap();
        let public = dir.write(
            "pub.pem",
            key.verifying_key().to_spki_pem().unwrap().as_bytes(),
        );
        let message = dir.write("msg", "统一身份 verification payload".as_bytes());
        let signature = key.sign(&std::fs::read(&message).unwrap()).unwrap();
        let sig = dir.write("sig.der", &signature.to_der().unwrap());

        let mut args = vec!["dgst", digest_name(&suite), "-verify", s(&public)];
        args.extend(sig_opts(&suite));
        args.extend(["-signature", s(&sig), s(&message)]);
        let (ok, stdout) = openssl(&args);
        assert!(ok, "{}: openssl rejected a netid signature", suite.id());
        assert_eq!(String::from_utf8_lossy(&stdout).trim(), "Verified OK");

        let tampered = dir.write("tampered", b"another payload");
        let last = args.len() - 1;
        args[last] = s(&tampered);
        assert!(
            !openssl(&args).0,
            "{}: openssl accepted a tampered message",
            suite.id()
        );
    }
}

#[test]
fn openssl_signatures_verify_in_netid() {
    for suite in both_suites() {
        let dir = Workdir::new();
        let key_path = dir.path("key.pem");
        let curve = match suite.id() {
            SuiteId::Gm => "ec_paramgen_curve:SM2",
            SuiteId::Intl => "ec_paramgen_curve:P-256",
        };
        openssl_ok(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            curve,
            "-out",
            s(&key_path),
        ]);
        let pub_path = dir.path("pub.pem");
        openssl_ok(&["pkey", "-in", s(&key_path), "-pubout", "-out", s(&pub_path)]);
        let message = dir.write("msg", b"signed by openssl");
        let sig_path = dir.path("sig.der");
        let mut args = vec!["dgst", digest_name(&suite), "-sign", s(&key_path)];
        args.extend(sig_opts(&suite));
        args.extend(["-out", s(&sig_path), s(&message)]);
        openssl_ok(&args);

        let public = suite
            .verifying_key_from_spki_pem(&String::from_utf8(dir.read("pub.pem")).unwrap())
            .unwrap();
        let signature = suite.signature_from_der(&dir.read("sig.der")).unwrap();
        public.verify(b"signed by openssl", &signature).unwrap();
        assert!(public.verify(b"signed by someone", &signature).is_err());

        // The private key OpenSSL wrote is readable too, and yields the same public key.
        let private = suite
            .signing_key_from_pkcs8_pem(&String::from_utf8(dir.read("key.pem")).unwrap())
            .unwrap();
        assert_eq!(private.verifying_key(), &public);
    }
}

#[test]
fn sm2_signature_under_openssl_default_empty_id_is_rejected_by_default_netid() {
    let dir = Workdir::new();
    let key_path = dir.path("key.pem");
    openssl_ok(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:SM2",
        "-out",
        s(&key_path),
    ]);
    let message = dir.write("msg", b"id matters");
    let sig_path = dir.path("sig.der");
    // No -sigopt: OpenSSL 3.0 hashes an empty distinguishing ID into Z_A.
    openssl_ok(&[
        "dgst",
        "-sm3",
        "-sign",
        s(&key_path),
        "-out",
        s(&sig_path),
        s(&message),
    ]);

    let pem = String::from_utf8(dir.read("key.pem")).unwrap();
    let signature = Suite::gm()
        .signature_from_der(&dir.read("sig.der"))
        .unwrap();
    let default_id = Suite::gm().signing_key_from_pkcs8_pem(&pem).unwrap();
    assert_eq!(
        default_id.verifying_key().verify(b"id matters", &signature),
        Err(netid_crypto::Error::BadSignature)
    );
    let empty_id = Suite::gm_with_distinguishing_id(DistinguishingId::new("").unwrap());
    let key = empty_id.signing_key_from_pkcs8_pem(&pem).unwrap();
    key.verifying_key()
        .verify(b"id matters", &signature)
        .unwrap();

    // And the other way: a netid signature does not verify in OpenSSL without the ID.
    let netid_key = Suite::gm().generate_signing_key().unwrap();
    let public = dir.write(
        "netid.pem",
        netid_key.verifying_key().to_spki_pem().unwrap().as_bytes(),
    );
    let netid_sig = dir.write(
        "netid.sig",
        &netid_key.sign(b"id matters").unwrap().to_der().unwrap(),
    );
    let (ok, _) = openssl(&[
        "dgst",
        "-sm3",
        "-verify",
        s(&public),
        "-signature",
        s(&netid_sig),
        s(&message),
    ]);
    assert!(
        !ok,
        "openssl verified under the empty id a signature made under the default id"
    );
}

/// A distinguishing ID other than the default, passed to OpenSSL as `distid:`, works both ways.
#[test]
fn sm2_custom_distinguishing_id_interoperates_with_openssl() {
    let id = "netid-test-signer@example.invalid";
    let suite = Suite::gm_with_distinguishing_id(DistinguishingId::new(id).unwrap());
    let opt = format!("distid:{id}");
    let dir = Workdir::new();
    let key = suite.generate_signing_key().unwrap();
    let key_path = dir.write("key.pem", key.to_pkcs8_pem().unwrap().as_bytes());
    let pub_path = dir.write(
        "pub.pem",
        key.verifying_key().to_spki_pem().unwrap().as_bytes(),
    );
    let message = dir.write("msg", b"custom id");

    let ours = dir.write(
        "ours.sig",
        &key.sign(b"custom id").unwrap().to_der().unwrap(),
    );
    let (ok, _) = openssl(&[
        "dgst",
        "-sm3",
        "-verify",
        s(&pub_path),
        "-sigopt",
        &opt,
        "-signature",
        s(&ours),
        s(&message),
    ]);
    assert!(
        ok,
        "openssl rejected a netid signature under a custom distinguishing id"
    );
    let (ok, _) = openssl(&[
        "dgst",
        "-sm3",
        "-verify",
        s(&pub_path),
        "-sigopt",
        DEFAULT_ID_OPT,
        "-signature",
        s(&ours),
        s(&message),
    ]);
    assert!(
        !ok,
        "openssl accepted a custom-id signature under the default id"
    );

    let theirs = dir.path("theirs.sig");
    openssl_ok(&[
        "dgst",
        "-sm3",
        "-sign",
        s(&key_path),
        "-sigopt",
        &opt,
        "-out",
        s(&theirs),
        s(&message),
    ]);
    let signature = suite.signature_from_der(&dir.read("theirs.sig")).unwrap();
    key.verifying_key()
        .verify(b"custom id", &signature)
        .unwrap();
    let default_key = Suite::gm()
        .verifying_key_from_sec1(&key.verifying_key().to_sec1_uncompressed())
        .unwrap();
    assert_eq!(
        default_key.verify(b"custom id", &signature),
        Err(netid_crypto::Error::BadSignature)
    );
    assert_ne!(
        &default_key,
        key.verifying_key(),
        "keys under different ids compare equal"
    );
}

#[test]
fn netid_private_keys_are_readable_by_openssl() {
    for suite in both_suites() {
        let dir = Workdir::new();
        let key = suite.generate_signing_key().unwrap();
        let der = dir.write("key.der", &key.to_pkcs8_der().unwrap());
        let public_from_openssl = openssl_ok(&[
            "pkey",
            "-inform",
            "DER",
            "-in",
            s(&der),
            "-pubout",
            "-outform",
            "DER",
        ]);
        assert_eq!(
            public_from_openssl,
            key.verifying_key().to_spki_der().unwrap(),
            "{}",
            suite.id()
        );
        let pem = dir.write("key.pem", key.to_pkcs8_pem().unwrap().as_bytes());
        openssl_ok(&["pkey", "-in", s(&pem), "-check", "-noout"]);
    }
}

#[test]
fn hashes_match_openssl() {
    for suite in both_suites() {
        for len in [0usize, 1, 55, 56, 64, 1000, 70_000] {
            let dir = Workdir::new();
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let file = dir.write("data", &data);
            let out = openssl_ok(&["dgst", digest_name(&suite), "-binary", s(&file)]);
            assert_eq!(
                out,
                suite.hash(&data).as_ref(),
                "{} length {len}",
                suite.id()
            );
        }
    }
}

#[test]
fn hmacs_match_openssl() {
    for suite in both_suites() {
        let digest = match suite.id() {
            SuiteId::Gm => "SM3",
            SuiteId::Intl => "SHA256",
        };
        for key_len in [1usize, 32, 64, 65, 200] {
            let dir = Workdir::new();
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            let data = dir.write("data", b"pairwise pseudonym input");
            let hexkey = format!("hexkey:{}", hex::encode(&key));
            let out = openssl_ok(&[
                "mac",
                "-digest",
                digest,
                "-macopt",
                &hexkey,
                "-in",
                s(&data),
                "HMAC",
            ]);
            let tag = suite.mac(
                &MacKey::danger_from_any_bytes(&key),
                &[b"pairwise pseudonym input"],
            );
            assert_eq!(
                String::from_utf8_lossy(&out).trim(),
                hex::encode_upper(tag),
                "{} key length {key_len}",
                suite.id()
            );
        }
    }
}

#[test]
fn hkdf_matches_openssl() {
    for suite in both_suites() {
        let digest = match suite.id() {
            SuiteId::Gm => "digest:SM3",
            SuiteId::Intl => "digest:SHA256",
        };
        for len in [16usize, 32, 42, 100] {
            let (ikm, salt, info) = (
                b"master secret".as_slice(),
                b"netid salt".as_slice(),
                b"holder 1 data key".as_slice(),
            );
            let keylen = len.to_string();
            let (k, sa, i) = (
                format!("hexkey:{}", hex::encode(ikm)),
                format!("hexsalt:{}", hex::encode(salt)),
                format!("hexinfo:{}", hex::encode(info)),
            );
            let out = openssl_ok(&[
                "kdf", "-keylen", &keylen, "-kdfopt", digest, "-kdfopt", &k, "-kdfopt", &sa,
                "-kdfopt", &i, "HKDF",
            ]);
            let ours = suite.derive_key(ikm, salt, info, len).unwrap();
            let theirs = String::from_utf8_lossy(&out).trim().replace(':', "");
            assert_eq!(
                theirs,
                hex::encode_upper(ours.as_slice()),
                "{} length {len}",
                suite.id()
            );
        }
    }
}

/// GCM encrypts with CTR mode from counter block `nonce || 00000002` (SP 800-38D §7.1); OpenSSL
/// 3.0's `enc` has no GCM, so the ciphertext part is checked against its CTR mode, and the tag
/// by the RFC 8998 and Wycheproof vectors.
#[test]
fn aead_ciphertexts_match_openssl_ctr_keystream() {
    for suite in both_suites() {
        let cipher = match suite.id() {
            SuiteId::Gm => "-sm4-ctr",
            SuiteId::Intl => "-aes-256-ctr",
        };
        let dir = Workdir::new();
        let key = AeadKey::generate(&suite).unwrap();
        let nonce = [0x5au8; 12];
        let plaintext: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect();
        let file = dir.write("pt", &plaintext);
        let sealed = suite.seal(&key, &nonce, b"aad", &plaintext).unwrap();
        let iv = format!("{}00000002", hex::encode(nonce));
        let key_hex = hex::encode(key.expose_secret());
        let out = openssl_ok(&["enc", cipher, "-K", &key_hex, "-iv", &iv, "-in", s(&file)]);
        assert_eq!(out, sealed[..plaintext.len()], "{}", suite.id());
    }
}

/// SM2 encryption both ways with OpenSSL: what netid seals OpenSSL opens, and the reverse;
/// two sealings of one message differ; another key opens nothing; P-256 keys are refused.
#[test]
fn sm2_encryption_round_trips_through_openssl() {
    let work = Workdir::new();
    let key = Suite::gm().generate_signing_key().unwrap();
    let key_path = work.write("sm2.pem", key.to_pkcs8_pem().unwrap().as_bytes());
    let message = "测试 sealed message".as_bytes();

    let sealed = key.verifying_key().sm2_encrypt(message).unwrap();
    assert_ne!(sealed, key.verifying_key().sm2_encrypt(message).unwrap());
    let sealed_path = work.write("sealed.der", &sealed);
    let opened = openssl_ok(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        s(&key_path),
        "-in",
        s(&sealed_path),
    ]);
    assert_eq!(opened, message);

    let plain_path = work.write("plain.txt", message);
    openssl_ok(&[
        "pkeyutl",
        "-encrypt",
        "-inkey",
        s(&key_path),
        "-in",
        s(&plain_path),
        "-out",
        s(&work.path("by-openssl.der")),
    ]);
    assert_eq!(
        *key.sm2_decrypt(&work.read("by-openssl.der")).unwrap(),
        message
    );

    let other = Suite::gm().generate_signing_key().unwrap();
    assert!(other.sm2_decrypt(&sealed).is_err());
    let p256 = Suite::intl().generate_signing_key().unwrap();
    assert!(p256.verifying_key().sm2_encrypt(message).is_err());
    assert!(p256.sm2_decrypt(&sealed).is_err());
}
