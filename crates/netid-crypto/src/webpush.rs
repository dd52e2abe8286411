//! Web Push message encryption (RFC 8291): the `aes128gcm` content coding of RFC 8188 with a
//! key agreed by P-256 ECDH between a fresh key of the application server and the browser's
//! subscription key, mixed with the subscription's authentication secret. One record: a
//! push message is at most 4096 bytes. The primitives are the RustCrypto crates'; this module
//! only composes them as the RFC says, and is checked against its Appendix A.

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Error, KeyEncoding, SuiteId, random};

/// The length of a subscription's authentication secret.
pub const AUTH_SECRET_LEN: usize = 16;
/// The length of an uncompressed P-256 public key, as a subscription gives it.
pub const PUBLIC_KEY_LEN: usize = 65;
/// The record size: the whole message, header excluded, is one record of at most this.
const RECORD_SIZE: u32 = 4096;
/// The longest plaintext one record (of [`RECORD_SIZE`]) carries: the padding delimiter and
/// the tag take 17.
pub const MAX_PLAINTEXT: usize = 4096 - 17;

/// Encrypts `plaintext` for the subscription with public key `ua_public` (65 bytes,
/// uncompressed) and authentication secret `auth_secret` (16 bytes), with a fresh sender key
/// and salt: the body of a push message (`Content-Encoding: aes128gcm`).
pub fn encrypt(ua_public: &[u8], auth_secret: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let mut salt = [0u8; 16];
    random::fill(&mut salt)?;
    loop {
        let mut scalar = Zeroizing::new([0u8; 32]);
        random::fill(scalar.as_mut_slice())?;
        // Rejection sampling: `from_slice` refuses 0 and values >= n.
        if let Ok(sender) = p256::SecretKey::from_slice(scalar.as_slice()) {
            return encrypt_with(&sender, &salt, ua_public, auth_secret, plaintext);
        }
    }
}

/// [`encrypt`] with a given sender key and salt (RFC 8291's example fixes both).
fn encrypt_with(
    sender: &p256::SecretKey,
    salt: &[u8; 16],
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    if auth_secret.len() != AUTH_SECRET_LEN {
        return Err(Error::KeyLength {
            got: auth_secret.len(),
            want: AUTH_SECRET_LEN,
        });
    }
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(Error::Internal("a push message is longer than one record"));
    }
    let receiver = p256::PublicKey::from_sec1_bytes(ua_public)
        .ok()
        .filter(|_| ua_public.len() == PUBLIC_KEY_LEN)
        .ok_or(Error::MalformedKey {
            suite: SuiteId::Intl,
            encoding: KeyEncoding::Sec1Point,
        })?;
    let as_public =
        p256::PublicKey::from_secret_scalar(&sender.to_nonzero_scalar()).to_sec1_bytes();
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), receiver.as_affine());
    // RFC 8291 §3.3: IKM from the ECDH secret under the authentication secret.
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(&as_public);
    let mut ikm = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(auth_secret), shared.raw_secret_bytes().as_slice())
        .expand(&key_info, ikm.as_mut_slice())
        .map_err(|_| Error::Internal("hkdf refused 32 bytes"))?;
    // RFC 8188 §2.2 and §2.3: the content-encryption key and nonce from the salt.
    let content = Hkdf::<Sha256>::new(Some(salt), ikm.as_slice());
    let mut cek = Zeroizing::new([0u8; 16]);
    let mut nonce = [0u8; 12];
    content
        .expand(b"Content-Encoding: aes128gcm\0", cek.as_mut_slice())
        .and_then(|()| content.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| Error::Internal("hkdf refused 16 bytes"))?;
    // One record, the last: the plaintext, then the delimiter 0x02 and no padding.
    let mut record = Zeroizing::new(plaintext.to_vec());
    record.push(2);
    let cipher = Aes128Gcm::new_from_slice(cek.as_slice())
        .map_err(|_| Error::Internal("aes-128-gcm refused a 16-byte key"))?;
    let tag = cipher
        .encrypt_inout_detached((&nonce).into(), b"", record.as_mut_slice().into())
        .map_err(|_| Error::Internal("aes-128-gcm refused a record"))?;
    let mut body = Vec::with_capacity(21 + as_public.len() + record.len() + tag.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(u8::try_from(as_public.len()).unwrap_or(u8::MAX));
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&record);
    body.extend_from_slice(&tag);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use base64ct::{Base64UrlUnpadded, Encoding};

    use super::*;

    fn b64(text: &str) -> Vec<u8> {
        Base64UrlUnpadded::decode_vec(text).unwrap()
    }

    /// RFC 8291 Appendix A: the example message, byte for byte.
    #[test]
    fn the_rfc_8291_example_is_reproduced() {
        let sender =
            p256::SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"))
                .unwrap();
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt_with(
            &sender,
            &salt,
            &b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
            &b64("BTBZMqHH6r4Tts7J_aSIgg"),
            b"When I grow up, I want to be a watermelon",
        )
        .unwrap();
        assert_eq!(
            Base64UrlUnpadded::encode_string(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn bad_subscription_keys_and_long_messages_are_refused() {
        let ua = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth = [7u8; 16];
        assert!(encrypt(&ua[..33], &auth, b"x").is_err());
        let mut off_curve = ua.clone();
        off_curve[64] ^= 1;
        assert!(encrypt(&off_curve, &auth, b"x").is_err());
        assert!(encrypt(&ua, &auth[..15], b"x").is_err());
        assert!(encrypt(&ua, &auth, &vec![0; MAX_PLAINTEXT + 1]).is_err());
        // Two messages with the same input differ: a fresh key and salt each.
        assert_ne!(
            encrypt(&ua, &auth, b"x").unwrap(),
            encrypt(&ua, &auth, b"x").unwrap()
        );
    }
}
