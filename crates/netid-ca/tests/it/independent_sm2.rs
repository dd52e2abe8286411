//! netid's SM2 signatures in certificates, CRLs and OCSP responses, checked by `libsm`, an
//! SM2 implementation independent of the RustCrypto crates netid signs with, using the
//! GM/T 0009 default distinguishing ID. This covers what OpenSSL 3.0 cannot check with that
//! ID: a self-signed root, CRLs and OCSP responses.

use der::asn1::{AnyRef, BitString, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence};
use libsm::sm2::signature::{SigCtx, Signature};
use netid_ca::{
    CertificateStatus, OcspResponder, Profile, RevocationReason, RevokedEntry, issue_crl,
};

use crate::{Certificate, DAY, START, Suite, end_entity, hierarchy};

/// Verifies `signature` (DER) over `message` by the public key of `signer`, with libsm.
fn libsm_verifies(signer: &Certificate, message: &[u8], signature: &[u8]) -> bool {
    let context = SigCtx::new();
    let point = signer
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    let key = context.load_pubkey(point).expect("an SM2 point");
    let signature = Signature::der_decode(signature).expect("a DER SM2 signature");
    context.verify(message, &key, &signature).unwrap_or(false)
}

fn certificate_verifies(certificate: &Certificate, signer: &Certificate) -> bool {
    libsm_verifies(
        signer,
        &certificate.tbs_certificate().to_der().unwrap(),
        certificate.signature().raw_bytes(),
    )
}

#[test]
fn sm2_certificates_verify_in_libsm_including_the_self_signed_root() {
    let suite = Suite::gm();
    let h = hierarchy(&suite);
    let leaf = end_entity(&suite, &h, Profile::HolderSigning, 90);
    assert!(certificate_verifies(&h.root, &h.root));
    assert!(certificate_verifies(&h.issuing, &h.root));
    assert!(certificate_verifies(&leaf, &h.issuing));
    // The check can fail: the wrong signer, or a changed byte.
    assert!(!certificate_verifies(&leaf, &h.root));
    let mut tbs = leaf.tbs_certificate().to_der().unwrap();
    let last = tbs.len() - 1;
    tbs[last] ^= 1;
    assert!(!libsm_verifies(
        &h.issuing,
        &tbs,
        leaf.signature().raw_bytes()
    ));
}

#[test]
fn sm2_crls_verify_in_libsm() {
    let suite = Suite::gm();
    let h = hierarchy(&suite);
    let revoked = end_entity(&suite, &h, Profile::HolderSigning, 91);
    let crl = issue_crl(
        &h.issuing,
        &h.issuing_key,
        3,
        START + DAY,
        START + 8 * DAY,
        &[RevokedEntry {
            serial: revoked.tbs_certificate().serial_number().clone(),
            revoked_at: START + DAY,
            reason: RevocationReason::Superseded,
        }],
    )
    .unwrap();
    let tbs = crl.tbs_cert_list.to_der().unwrap();
    assert!(libsm_verifies(&h.issuing, &tbs, crl.signature.raw_bytes()));
    assert!(!libsm_verifies(&h.root, &tbs, crl.signature.raw_bytes()));
}

/// Just enough of RFC 6960 to reach the signed bytes of a basic response.
#[derive(Sequence)]
struct OcspResponse<'a> {
    status: AnyRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bytes: ResponseBytes,
}

#[derive(Sequence)]
struct ResponseBytes {
    kind: ObjectIdentifier,
    response: OctetString,
}

#[derive(Sequence)]
struct BasicResponse<'a> {
    tbs_response_data: AnyRef<'a>,
    algorithm: AnyRef<'a>,
    signature: BitString,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    certs: Option<Vec<Certificate>>,
}

#[test]
fn sm2_ocsp_responses_verify_in_libsm() {
    let suite = Suite::gm();
    let h = hierarchy(&suite);
    let responder_key = suite.generate_signing_key().unwrap();
    let responder_cert = netid_ca::issue(
        &netid_ca::CertificateTemplate::new(
            "CN=netid test ocsp responder,O=netid test",
            Profile::OcspResponder,
            [92; 16],
            START,
            START + 365 * DAY,
        ),
        responder_key.verifying_key(),
        Some(&h.issuing),
        &h.issuing_key,
    )
    .unwrap();
    let responder = OcspResponder::new(&h.issuing, responder_cert.clone(), responder_key).unwrap();
    let leaf = end_entity(&suite, &h, Profile::HolderSigning, 93);
    let dir = tempfile::tempdir().unwrap();
    let issuing = crate::write(dir.path(), "issuing.pem", &h.issuing);
    let leaf_path = crate::write(dir.path(), "leaf.pem", &leaf);
    let request = dir.path().join("request.der");
    let (ok, out) = crate::openssl(&[
        "ocsp",
        "-issuer",
        crate::s(&issuing),
        "-cert",
        crate::s(&leaf_path),
        "-reqout",
        crate::s(&request),
    ]);
    assert!(ok, "{out}");
    let answer = responder
        .respond(
            &std::fs::read(&request).unwrap(),
            START + DAY,
            START + 2 * DAY,
            |_| CertificateStatus::Good,
        )
        .unwrap();

    let outer = OcspResponse::from_der(&answer).unwrap();
    let basic = BasicResponse::from_der(outer.bytes.response.as_bytes()).unwrap();
    let signed = basic.tbs_response_data.to_der().unwrap();
    let signature = basic.signature.raw_bytes();
    assert!(libsm_verifies(&responder_cert, &signed, signature));
    assert!(!libsm_verifies(&h.issuing, &signed, signature));
    assert_eq!(basic.certs.unwrap(), vec![responder_cert]);
    let _ = (outer.status, outer.bytes.kind, basic.algorithm);
}
