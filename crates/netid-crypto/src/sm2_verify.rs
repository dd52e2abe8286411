//! SM2 signature verification (GB/T 32918.2 §7, steps B1–B7) in variable time.
//!
//! Why not `sm2::dsa::VerifyingKey::verify`: `sm2` 0.14 computes `[s]G + [t]P` with the
//! constant-time `lincomb`, which was more than half of the server's CPU in an online
//! verification (`benches/primitives.rs` compares the two). Every input to a verification is
//! public (key, message, signature), so nothing can leak through timing; RustCrypto's own
//! `ecdsa` 0.17 verifies with the variable-time `mul_by_generator_and_mul_add_vartime` for this
//! reason. The steps below are those of `sm2`'s `verify_prehash`, with that one call changed.
//! All arithmetic and hashing is the crates' own; `tests::agrees_with_the_sm2_crate` holds the
//! answers to `sm2`'s.

use primeorder::PrimeCurveParams;
use sm2::elliptic_curve::ops::{MulByGeneratorVartime, Reduce};
use sm2::elliptic_curve::point::AffineCoordinates;
use sm2::elliptic_curve::sec1::ToSec1Point;
use sm2::{FieldBytes, ProjectivePoint, Scalar, Sm2};
use sm3::{Digest, Sm3};

/// A public key ready to verify: the key, the signer's distinguishing ID, and `Z_A`, the hash
/// of both that every message hash starts with.
#[derive(Clone)]
pub(crate) struct Sm2Verifier {
    public: sm2::PublicKey,
    distinguishing_id: String,
    identity_hash: [u8; 32],
}

impl Sm2Verifier {
    /// `distinguishing_id` is at most `DistinguishingId::MAX_LEN` bytes (checked where it is
    /// made), so its length in bits fits `ENTL_A`'s two bytes.
    pub(crate) fn new(distinguishing_id: &str, public: &sm2::PublicKey) -> Option<Self> {
        let bits = u16::try_from(distinguishing_id.len().checked_mul(8)?).ok()?;
        let encoded = public.as_affine().to_sec1_point(false);
        let (x, y) = (encoded.x()?, encoded.y()?);
        let mut z = Sm3::new();
        z.update(bits.to_be_bytes());
        z.update(distinguishing_id.as_bytes());
        z.update(Sm2::EQUATION_A.to_bytes());
        z.update(Sm2::EQUATION_B.to_bytes());
        z.update(Sm2::GENERATOR.0.to_bytes());
        z.update(Sm2::GENERATOR.1.to_bytes());
        z.update(x);
        z.update(y);
        Some(Self {
            public: *public,
            distinguishing_id: distinguishing_id.to_owned(),
            identity_hash: z.finalize().into(),
        })
    }

    pub(crate) fn public(&self) -> &sm2::PublicKey {
        &self.public
    }

    pub(crate) fn distinguishing_id(&self) -> &str {
        &self.distinguishing_id
    }

    /// `SM3(Z_A || message)`, the digest an SM2 signature signs.
    pub(crate) fn digest(&self, message: &[u8]) -> [u8; 32] {
        Sm3::new_with_prefix(self.identity_hash)
            .chain_update(message)
            .finalize()
            .into()
    }

    /// True when `signature` is a valid SM2 signature over `message` by this key.
    pub(crate) fn verify(&self, message: &[u8], signature: &sm2::dsa::Signature) -> bool {
        // B1, B2: r and s in [1, n-1] was checked when the signature was parsed.
        let (r, s) = (*signature.r(), *signature.s());
        // B3, B4: e = SM3(Z_A || M), reduced mod n.
        let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(self.digest(message)));
        // B5
        let t = r + s;
        if bool::from(t.is_zero()) {
            return false;
        }
        // B6: public inputs only, so variable time is sound here.
        let point = ProjectivePoint::mul_by_generator_and_mul_add_vartime(
            &s,
            &t,
            &self.public.to_projective(),
        );
        if bool::from(sm2::elliptic_curve::Group::is_identity(&point)) {
            return false;
        }
        // B7
        let x = <Scalar as Reduce<FieldBytes>>::reduce(&point.to_affine().x());
        r == e + x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sm2::dsa::signature::{Signer as _, Verifier as _};

    fn key(seed: [u8; 32], distinguishing_id: &str) -> Option<sm2::dsa::SigningKey> {
        let secret = sm2::SecretKey::from_slice(&seed).ok()?;
        sm2::dsa::SigningKey::new(distinguishing_id, &secret).ok()
    }

    /// The GM/T 0003.5 example: `Z_A`, and the signature verifies.
    #[test]
    fn the_standard_example_verifies() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../tests/vectors/sm2_sign.json")).unwrap();
        let v = &vectors["vectors"][0];
        let field = |name: &str| hex::decode(v[name].as_str().unwrap()).unwrap();
        let mut sec1 = vec![4];
        sec1.extend(field("public_x"));
        sec1.extend(field("public_y"));
        let public = sm2::PublicKey::from_sec1_bytes(&sec1).unwrap();
        let id = v["distinguishing_id_ascii"].as_str().unwrap();
        let verifier = Sm2Verifier::new(id, &public).unwrap();
        assert_eq!(verifier.identity_hash.to_vec(), field("za"));
        let mut rs = field("r");
        rs.extend(field("s"));
        let signature = sm2::dsa::Signature::from_slice(&rs).unwrap();
        let message = v["message_ascii"].as_str().unwrap().as_bytes();
        assert!(verifier.verify(message, &signature));
        assert!(!verifier.verify(b"message digesT", &signature));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Valid signatures under any ID, and signatures checked over another message, under
        /// another ID, with a bit of r or s flipped, or arbitrary bytes: the answer is always
        /// the `sm2` crate's.
        #[test]
        fn agrees_with_the_sm2_crate(
            seed in any::<[u8; 32]>(),
            message in proptest::collection::vec(any::<u8>(), 0..200),
            other in proptest::collection::vec(any::<u8>(), 0..200),
            id in "[ -~]{0,40}",
            flip in 0usize..64,
            noise in any::<[u8; 32]>(),
        ) {
            let Some(signer) = key(seed, &id) else { return Ok(()) };
            let public = sm2::PublicKey::from(signer.verifying_key());
            let signature: sm2::dsa::Signature = signer.sign(&message);
            let mut bytes = signature.to_bytes().to_vec();
            bytes[flip] ^= 1;
            let mut random = noise.to_vec();
            random.extend_from_slice(&noise);
            let candidates: Vec<sm2::dsa::Signature> = [signature.to_bytes().to_vec(), bytes, random]
                .iter()
                .filter_map(|b| sm2::dsa::Signature::from_slice(b).ok())
                .collect();
            for distinguishing_id in ["1234567812345678", id.as_str()] {
                let ours = Sm2Verifier::new(distinguishing_id, &public).unwrap();
                let theirs = sm2::dsa::VerifyingKey::new(distinguishing_id, public).unwrap();
                for candidate in &candidates {
                    for text in [&message, &other] {
                        prop_assert_eq!(
                            ours.verify(text, candidate),
                            theirs.verify(text, candidate).is_ok()
                        );
                    }
                }
            }
            prop_assert!(Sm2Verifier::new(&id, &public).unwrap().verify(&message, &signature));
        }
    }
}
