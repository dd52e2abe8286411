//! Compact JWEs with direct key agreement, `ECDH-ES` on P-256 (RFC 7518 §4.6) and content
//! encryption `A128GCM` or `A256GCM` (§5.3): what an OpenID4VP wallet sends a verifier for the
//! `direct_post.jwt` response mode. The primitives are the RustCrypto crates' (P-256 ECDH,
//! SHA-256, AES-GCM); this module only composes them as the RFC says, and is checked against
//! its Appendix C. The Concat KDF of §4.6.2 takes one SHA-256 round here: both content keys
//! are at most 256 bits.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{Error, Jwk, random};

/// The key agreement algorithm.
pub const ALG: &str = "ECDH-ES";
/// The content encryptions a verifier can open.
pub const ENCS: [&str; 2] = ["A128GCM", "A256GCM"];
/// The longest compact JWE opened (a presentation is a few kilobytes).
const MAX_JWE: usize = 256 * 1024;

fn refused(reason: &'static str) -> Error {
    Error::Jwe { reason }
}

/// A verifier's key for encrypted responses: a P-256 key agreement key with its `kid`.
pub struct DecryptionKey {
    secret: p256::SecretKey,
    kid: String,
}

impl core::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl DecryptionKey {
    /// A fresh key, named `kid`.
    pub fn generate(kid: &str) -> Result<Self, Error> {
        Ok(Self {
            secret: fresh_secret()?,
            kid: kid.to_owned(),
        })
    }

    /// The public key as a JWK for a verifier's `client_metadata.jwks`: `use` `enc`, `alg`
    /// `ECDH-ES`, and its `kid`.
    pub fn public_jwk(&self) -> Value {
        let jwk = point_jwk(&self.secret.public_key());
        json!({"kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y,
               "use": "enc", "alg": ALG, "kid": self.kid})
    }

    /// Opens a compact JWE made for this key: its plaintext.
    pub fn decrypt(&self, compact: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        if compact.len() > MAX_JWE {
            return Err(refused("longer than 256 KiB"));
        }
        let mut parts = compact.split('.');
        let (Some(protected), Some(encrypted_key), Some(iv), Some(ciphertext), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(refused("not a compact JWE of five parts"));
        };
        let header: Map<String, Value> = Base64UrlUnpadded::decode_vec(protected)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(refused("the protected header is not base64url JSON"))?;
        let text = |name: &str| header.get(name).and_then(Value::as_str);
        if text("alg") != Some(ALG) {
            return Err(refused("alg must be ECDH-ES"));
        }
        if header.contains_key("zip") || header.contains_key("crit") {
            return Err(refused("zip and crit are not accepted"));
        }
        if !encrypted_key.is_empty() {
            return Err(refused("ECDH-ES carries no encrypted key"));
        }
        let enc = text("enc").ok_or(refused("no enc"))?;
        if let Some(kid) = text("kid") {
            if kid != self.kid {
                return Err(refused("made for another key (kid)"));
            }
        }
        let epk = header
            .get("epk")
            .and_then(|epk| serde_json::from_value::<Jwk>(epk.clone()).ok())
            .ok_or(refused("no epk of kty EC"))?;
        let sender = public_point(&epk)?;
        let party = |name: &str| -> Result<Vec<u8>, Error> {
            text(name).map_or(Ok(Vec::new()), |value| {
                Base64UrlUnpadded::decode_vec(value)
                    .map_err(|_| refused("apu or apv is not base64url"))
            })
        };
        let key = content_key(&self.secret, &sender, enc, &party("apu")?, &party("apv")?)?;
        let decode = |part: &str| {
            Base64UrlUnpadded::decode_vec(part).map_err(|_| refused("a part is not base64url"))
        };
        let (iv, tag) = (decode(iv)?, decode(tag)?);
        let mut plaintext = Zeroizing::new(decode(ciphertext)?);
        let (Ok(nonce), Ok(tag)) = (<[u8; 12]>::try_from(iv), <[u8; 16]>::try_from(tag)) else {
            return Err(refused("iv must be 12 bytes and the tag 16"));
        };
        let opened = match key.len() {
            16 => Aes128Gcm::new_from_slice(&key)
                .map_err(|_| Error::Internal("aes-128-gcm refused a 16-byte key"))?
                .decrypt_inout_detached(
                    (&nonce).into(),
                    protected.as_bytes(),
                    plaintext.as_mut_slice().into(),
                    (&tag).into(),
                ),
            _ => Aes256Gcm::new_from_slice(&key)
                .map_err(|_| Error::Internal("aes-256-gcm refused a 32-byte key"))?
                .decrypt_inout_detached(
                    (&nonce).into(),
                    protected.as_bytes(),
                    plaintext.as_mut_slice().into(),
                    (&tag).into(),
                ),
        };
        opened.map_err(|_| Error::BadAeadTag)?;
        Ok(plaintext)
    }
}

/// Encrypts `plaintext` for the public key `receiver` (a JWK with `kid`), as a wallet does:
/// a fresh ephemeral key, `enc` one of [`ENCS`], `apu` and `apv` as given.
pub fn encrypt(
    receiver: &Value,
    enc: &str,
    (apu, apv): (&[u8], &[u8]),
    plaintext: &[u8],
) -> Result<String, Error> {
    let jwk: Jwk =
        serde_json::from_value(receiver.clone()).map_err(|_| refused("not an EC public JWK"))?;
    let receiver_point = public_point(&jwk)?;
    let ephemeral = fresh_secret()?;
    let key = content_key(&ephemeral, &receiver_point, enc, apu, apv)?;
    let epk = point_jwk(&ephemeral.public_key());
    let mut header = json!({
        "alg": ALG, "enc": enc,
        "epk": {"kty": epk.kty, "crv": epk.crv, "x": epk.x, "y": epk.y},
        "apu": Base64UrlUnpadded::encode_string(apu),
        "apv": Base64UrlUnpadded::encode_string(apv),
    });
    if let (Some(kid), Some(map)) = (receiver.get("kid"), header.as_object_mut()) {
        map.insert("kid".to_owned(), kid.clone());
    }
    let protected = Base64UrlUnpadded::encode_string(header.to_string().as_bytes());
    let mut nonce = [0u8; 12];
    random::fill(&mut nonce)?;
    let mut ciphertext = plaintext.to_vec();
    let sealed = match key.len() {
        16 => Aes128Gcm::new_from_slice(&key)
            .map_err(|_| Error::Internal("aes-128-gcm refused a 16-byte key"))?
            .encrypt_inout_detached(
                (&nonce).into(),
                protected.as_bytes(),
                ciphertext.as_mut_slice().into(),
            ),
        _ => Aes256Gcm::new_from_slice(&key)
            .map_err(|_| Error::Internal("aes-256-gcm refused a 32-byte key"))?
            .encrypt_inout_detached(
                (&nonce).into(),
                protected.as_bytes(),
                ciphertext.as_mut_slice().into(),
            ),
    };
    let tag = sealed.map_err(|_| Error::Internal("aes-gcm refused a plaintext"))?;
    Ok(format!(
        "{protected}..{}.{}.{}",
        Base64UrlUnpadded::encode_string(&nonce),
        Base64UrlUnpadded::encode_string(&ciphertext),
        Base64UrlUnpadded::encode_string(&tag)
    ))
}

fn fresh_secret() -> Result<p256::SecretKey, Error> {
    loop {
        let mut scalar = Zeroizing::new([0u8; 32]);
        random::fill(scalar.as_mut_slice())?;
        // Rejection sampling: `from_slice` refuses 0 and values >= n.
        if let Ok(secret) = p256::SecretKey::from_slice(scalar.as_slice()) {
            return Ok(secret);
        }
    }
}

fn point_jwk(public: &p256::PublicKey) -> Jwk {
    let point = public.to_sec1_bytes();
    Jwk {
        kty: "EC".to_owned(),
        crv: "P-256".to_owned(),
        x: Base64UrlUnpadded::encode_string(point.get(1..33).unwrap_or_default()),
        y: Base64UrlUnpadded::encode_string(point.get(33..65).unwrap_or_default()),
    }
}

fn public_point(jwk: &Jwk) -> Result<p256::PublicKey, Error> {
    if jwk.kty != "EC" || jwk.crv != "P-256" {
        return Err(refused("the key must be EC P-256"));
    }
    let (Ok(x), Ok(y)) = (
        Base64UrlUnpadded::decode_vec(&jwk.x),
        Base64UrlUnpadded::decode_vec(&jwk.y),
    ) else {
        return Err(refused("x and y must be base64url"));
    };
    if x.len() != 32 || y.len() != 32 {
        return Err(refused("x and y must be 32 bytes"));
    }
    let point = [&[4u8][..], &x, &y].concat();
    p256::PublicKey::from_sec1_bytes(&point).map_err(|_| refused("the key is not on P-256"))
}

/// The content key: ECDH between `secret` and `public`, then the Concat KDF of RFC 7518
/// §4.6.2 with `enc` as the algorithm id, `apu`, `apv` and the key length in bits.
fn content_key(
    secret: &p256::SecretKey,
    public: &p256::PublicKey,
    enc: &str,
    apu: &[u8],
    apv: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let bytes: usize = match enc {
        "A128GCM" => 16,
        "A256GCM" => 32,
        _ => return Err(refused("enc must be A128GCM or A256GCM")),
    };
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
    let length = |data: &[u8]| u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes();
    let bits = u32::try_from(bytes * 8).unwrap_or_default().to_be_bytes();
    let digest = Sha256::new()
        .chain_update(1u32.to_be_bytes())
        .chain_update(shared.raw_secret_bytes().as_slice())
        .chain_update(length(enc.as_bytes()))
        .chain_update(enc.as_bytes())
        .chain_update(length(apu))
        .chain_update(apu)
        .chain_update(length(apv))
        .chain_update(apv)
        .chain_update(bits)
        .finalize();
    Ok(Zeroizing::new(
        digest.get(..bytes).unwrap_or_default().to_vec(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> Vec<u8> {
        Base64UrlUnpadded::decode_vec(text).unwrap()
    }

    /// RFC 7518 Appendix C: Alice's ephemeral key, Bob's key, apu "Alice", apv "Bob" and
    /// A128GCM give the content key of the RFC.
    #[test]
    fn the_rfc_7518_appendix_c_key_is_derived() {
        let alice =
            p256::SecretKey::from_slice(&b64("0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"))
                .unwrap();
        let bob = p256::SecretKey::from_slice(&b64("VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"))
            .unwrap();
        let key = content_key(&alice, &bob.public_key(), "A128GCM", b"Alice", b"Bob").unwrap();
        assert_eq!(
            Base64UrlUnpadded::encode_string(&key),
            "VqqN6vgjbSBcIijNcacQGg"
        );
        // The same key from Bob's side: that is what the verifier computes.
        let again = content_key(&bob, &alice.public_key(), "A128GCM", b"Alice", b"Bob").unwrap();
        assert_eq!(key, again);
        assert_eq!(
            point_jwk(&alice.public_key()).x,
            "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"
        );
    }

    #[test]
    fn what_is_encrypted_for_a_key_opens_with_it_alone_and_untouched() {
        let key = DecryptionKey::generate("verifier-1").unwrap();
        for enc in ENCS {
            let jwe = encrypt(
                &key.public_jwk(),
                enc,
                (b"wallet", b"nonce-1"),
                b"{\"vp_token\":{}}",
            )
            .unwrap();
            assert_eq!(key.decrypt(&jwe).unwrap().as_slice(), b"{\"vp_token\":{}}");
            // Another key of the same kid cannot open it.
            let other = DecryptionKey::generate("verifier-1").unwrap();
            assert_eq!(other.decrypt(&jwe), Err(Error::BadAeadTag));
            // A changed header (the AAD) or ciphertext is refused.
            let parts: Vec<&str> = jwe.split('.').collect();
            let mut header: Value = serde_json::from_slice(&b64(parts[0])).unwrap();
            header["apv"] = json!(Base64UrlUnpadded::encode_string(b"nonce-2"));
            let swapped = [
                Base64UrlUnpadded::encode_string(header.to_string().as_bytes()).as_str(),
                "",
                parts[2],
                parts[3],
                parts[4],
            ]
            .join(".");
            assert!(key.decrypt(&swapped).is_err());
            let mut flipped = b64(parts[3]);
            flipped[0] ^= 1;
            let flipped = [
                parts[0],
                "",
                parts[2],
                &Base64UrlUnpadded::encode_string(&flipped),
                parts[4],
            ]
            .join(".");
            assert_eq!(key.decrypt(&flipped), Err(Error::BadAeadTag));
        }
        let jwe = encrypt(&key.public_jwk(), "A192GCM", (b"", b""), b"x");
        assert!(jwe.is_err());
        assert!(key.decrypt("a.b.c").is_err());
    }
}
