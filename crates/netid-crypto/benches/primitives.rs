//! Criterion benchmarks of every primitive netid uses, per suite, plus the RustCrypto
//! alternatives that the `intl` suite's backend was chosen against (and AWS-LC's, with
//! `--features bench-aws-lc`).
//!
//! `scripts/bench-crypto` runs these and `openssl speed` and writes the ratios into
//! BENCHMARKS.md. Bench IDs are `<group>/<suite or baseline>`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netid_crypto::{AeadKey, MacKey, Suite};

/// Bulk primitives are measured on 16 KiB inputs, the size `openssl speed -bytes 16384` uses.
const BULK: usize = 16 * 1024;
const BULK_BYTES: u64 = 16 * 1024;
const MESSAGE: &[u8] =
    b"a net certificate payload of a typical size, about one hundred bytes long......";

fn signatures(c: &mut Criterion) {
    let mut sign = c.benchmark_group("sign");
    for suite in [Suite::gm(), Suite::intl()] {
        let key = suite.generate_signing_key().unwrap();
        sign.bench_function(suite.id().as_str(), |b| {
            b.iter(|| key.sign(black_box(MESSAGE)).unwrap())
        });
    }
    {
        use p256::ecdsa::signature::Signer;
        let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        sign.bench_function("rustcrypto-p256", |b| {
            b.iter(|| -> p256::ecdsa::Signature { key.sign(black_box(MESSAGE)) })
        });
    }
    #[cfg(feature = "bench-aws-lc")]
    {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        sign.bench_function("aws-lc-rs-p256", |b| {
            b.iter(|| key.sign(&rng, black_box(MESSAGE)).unwrap())
        });
    }
    sign.finish();

    let mut verify = c.benchmark_group("verify");
    for suite in [Suite::gm(), Suite::intl()] {
        let key = suite.generate_signing_key().unwrap();
        let signature = key.sign(MESSAGE).unwrap();
        let public = key.verifying_key().clone();
        verify.bench_function(suite.id().as_str(), |b| {
            b.iter(|| public.verify(black_box(MESSAGE), &signature).unwrap())
        });
    }
    {
        // What `gm` used before `sm2_verify`: the crate's constant-time verification.
        use sm2::dsa::signature::{Signer, Verifier};
        let secret = sm2::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let key = sm2::dsa::SigningKey::new("1234567812345678", &secret).unwrap();
        let signature: sm2::dsa::Signature = key.sign(MESSAGE);
        let public = key.verifying_key().clone();
        verify.bench_function("sm2-crate-constant-time", |b| {
            b.iter(|| public.verify(black_box(MESSAGE), &signature).unwrap())
        });
    }
    {
        use p256::ecdsa::signature::{Signer, Verifier};
        let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let signature: p256::ecdsa::Signature = key.sign(MESSAGE);
        let public = *key.verifying_key();
        verify.bench_function("rustcrypto-p256", |b| {
            b.iter(|| public.verify(black_box(MESSAGE), &signature).unwrap())
        });
    }
    #[cfg(feature = "bench-aws-lc")]
    {
        use aws_lc_rs::signature::{
            ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
            UnparsedPublicKey,
        };
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let signature = key.sign(&rng, MESSAGE).unwrap();
        let public = key.public_key().as_ref().to_vec();
        verify.bench_function("aws-lc-rs-p256", |b| {
            b.iter(|| {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public)
                    .verify(black_box(MESSAGE), signature.as_ref())
                    .unwrap()
            })
        });
    }
    verify.finish();
}

fn bulk(c: &mut Criterion) {
    let data = vec![0x5au8; BULK];

    let mut hash = c.benchmark_group("hash");
    hash.throughput(Throughput::Bytes(BULK_BYTES));
    for suite in [Suite::gm(), Suite::intl()] {
        hash.bench_function(suite.id().as_str(), |b| {
            b.iter(|| suite.hash(black_box(&data)))
        });
    }
    hash.bench_function("ring-sha256", |b| {
        b.iter(|| ring::digest::digest(&ring::digest::SHA256, black_box(&data)))
    });
    #[cfg(feature = "bench-aws-lc")]
    hash.bench_function("aws-lc-rs-sha256", |b| {
        b.iter(|| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, black_box(&data)))
    });
    hash.finish();

    let mut mac = c.benchmark_group("hmac");
    mac.throughput(Throughput::Bytes(BULK_BYTES));
    let mac_key = MacKey::generate().unwrap();
    for suite in [Suite::gm(), Suite::intl()] {
        mac.bench_function(suite.id().as_str(), |b| {
            b.iter(|| suite.mac(&mac_key, &[black_box(&data)]))
        });
    }
    mac.finish();

    let mut aead = c.benchmark_group("aead-seal");
    aead.throughput(Throughput::Bytes(BULK_BYTES));
    let nonce = [9u8; 12];
    for suite in [Suite::gm(), Suite::intl()] {
        let key = AeadKey::generate(&suite).unwrap();
        aead.bench_function(suite.id().as_str(), |b| {
            b.iter(|| suite.seal(&key, &nonce, b"aad", black_box(&data)).unwrap())
        });
    }
    {
        use aes_gcm::aead::{AeadInOut, KeyInit};
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&[3u8; 32]).unwrap();
        aead.bench_function("rustcrypto-aes-256-gcm", |b| {
            b.iter(|| {
                let mut buffer = data.clone();
                cipher
                    .encrypt_inout_detached((&nonce).into(), b"aad", buffer.as_mut_slice().into())
                    .unwrap();
                buffer
            })
        });
    }
    #[cfg(feature = "bench-aws-lc")]
    {
        use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[3u8; 32]).unwrap());
        aead.bench_function("aws-lc-rs-aes-256-gcm", |b| {
            b.iter(|| {
                let mut buffer = data.clone();
                key.seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(b"aad"),
                    &mut buffer,
                )
                .unwrap();
                buffer
            })
        });
    }
    aead.finish();
}

/// SM2 public-key encryption of a sealed presentation's size (about 250 bytes): what a wallet
/// pays to seal one, and what the service pays to open it.
fn encryption(c: &mut Criterion) {
    let key = Suite::gm().generate_signing_key().unwrap();
    let plaintext = [0x5au8; 250];
    let sealed = key.verifying_key().sm2_encrypt(&plaintext).unwrap();
    let mut group = c.benchmark_group("sm2-encryption");
    group.bench_function("encrypt-250", |b| {
        b.iter(|| {
            key.verifying_key()
                .sm2_encrypt(black_box(&plaintext))
                .unwrap()
        })
    });
    group.bench_function("decrypt-250", |b| {
        b.iter(|| key.sm2_decrypt(black_box(&sealed)).unwrap())
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = signatures, bulk, encryption }
criterion_main!(benches);
