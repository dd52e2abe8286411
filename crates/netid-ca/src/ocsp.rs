//! OCSP (RFC 6960): answering status requests with responses signed by a delegated responder,
//! and checking such responses.
//!
//! The ASN.1 structures are declared here with `der`'s derives because RustCrypto's
//! `x509-ocsp` 0.2 is built on `x509-cert` 0.2, not the 0.3 this crate uses. The responder
//! identifies itself by name, so it needs no SHA-1 of its own key; it accepts request CertIDs
//! hashed with SHA-1 (what OpenSSL and RFC 5019 clients send), SHA-256 or SM3. SHA-1 here only
//! names the issuer; the serial number and the responder's signature carry the security.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::ID_KP_OCSP_SIGNING;
use der::asn1::{BitString, GeneralizedTime, Null, OctetString};
use der::{Choice, Decode, Encode, Enumerated, Sequence};
use netid_crypto::{SigningKey, Suite};
use sha1::Digest;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;

use crate::certificate::{signature_algorithm, verify_issuer_signature};
use crate::{Error, RevocationReason, signature_suite, verify_signed_by};

/// The most certificates one request may ask about; more is `malformedRequest` (RFC 5019
/// clients ask about one).
pub const MAX_OCSP_REQUESTS: usize = 16;
/// `id-pkix-ocsp-basic`, RFC 6960 §4.2.1.
const ID_PKIX_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// `id-pkix-ocsp-nonce`, RFC 6960 §4.4.1.
const ID_PKIX_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// SM3, GM/T 0006: `1.2.156.10197.1.401`.
const ID_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");

/// `OCSPRequest`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OcspRequest {
    tbs_request: TbsRequest,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    optional_signature: Option<RequestSignature>,
}

/// `TBSRequest`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TbsRequest {
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    version: Option<u8>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    requestor_name: Option<GeneralName>,
    request_list: Vec<Request>,
    #[asn1(context_specific = "2", optional = "true", tag_mode = "EXPLICIT")]
    request_extensions: Option<Extensions>,
}

/// `Signature` of a signed request (accepted, not required, not checked: RFC 6960 §4.1.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct RequestSignature {
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    certs: Option<Vec<Certificate>>,
}

/// `Request`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct Request {
    req_cert: CertId,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    single_request_extensions: Option<Extensions>,
}

/// `CertID`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct CertId {
    hash_algorithm: AlgorithmIdentifierOwned,
    issuer_name_hash: OctetString,
    issuer_key_hash: OctetString,
    serial_number: SerialNumber,
}

/// `OCSPResponseStatus`.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Enumerated)]
#[repr(u32)]
enum ResponseStatus {
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
}

impl ResponseStatus {
    /// The status's number in RFC 6960.
    fn code(self) -> u32 {
        match self {
            Self::Successful => 0,
            Self::MalformedRequest => 1,
            Self::InternalError => 2,
            Self::TryLater => 3,
            Self::SigRequired => 5,
            Self::Unauthorized => 6,
        }
    }
}

/// `OCSPResponse`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OcspResponse {
    response_status: ResponseStatus,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    response_bytes: Option<ResponseBytes>,
}

/// `ResponseBytes`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct ResponseBytes {
    response_type: ObjectIdentifier,
    response: OctetString,
}

/// `BasicOCSPResponse`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct BasicOcspResponse {
    tbs_response_data: ResponseData,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    certs: Option<Vec<Certificate>>,
}

/// `ResponseData`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct ResponseData {
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    version: Option<u8>,
    responder_id: ResponderId,
    produced_at: GeneralizedTime,
    responses: Vec<SingleResponse>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    response_extensions: Option<Extensions>,
}

/// `ResponderID`; the OCSP module's tags are explicit.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
enum ResponderId {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    ByName(Name),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(OctetString),
}

/// `SingleResponse`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SingleResponse {
    cert_id: CertId,
    cert_status: CertStatus,
    this_update: GeneralizedTime,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    next_update: Option<GeneralizedTime>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    single_extensions: Option<Extensions>,
}

/// `CertStatus`, with its implicit tags.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
enum CertStatus {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

/// `RevokedInfo`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct RevokedInfo {
    revocation_time: GeneralizedTime,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    revocation_reason: Option<CrlReason>,
}

/// What the CA knows about one serial number of its issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    /// Issued and not revoked.
    Good,
    /// Revoked at `revoked_at` (Unix seconds) for `reason`.
    Revoked {
        /// When.
        revoked_at: u64,
        /// Why.
        reason: RevocationReason,
    },
    /// Never issued by this issuer.
    Unknown,
}

/// The issuer's name and key hashed with each CertID hash netid accepts.
#[derive(Debug, Clone)]
struct IssuerHashes {
    algorithm: ObjectIdentifier,
    name: Vec<u8>,
    key: Vec<u8>,
}

impl IssuerHashes {
    /// The issuer's hashes in every CertID hash algorithm netid accepts.
    fn all_of(issuer: &Certificate) -> Result<Vec<Self>, Error> {
        let tbs = issuer.tbs_certificate();
        let name = tbs.subject().to_der().map_err(|_| Error::MalformedDer {
            what: "issuer name",
        })?;
        let key_bits = tbs.subject_public_key_info().subject_public_key.raw_bytes();
        Ok([ID_SHA1, ID_SHA256, ID_SM3]
            .into_iter()
            .filter_map(|algorithm| {
                Some(Self {
                    algorithm,
                    name: cert_id_hash(algorithm, &name)?,
                    key: cert_id_hash(algorithm, key_bits)?,
                })
            })
            .collect())
    }

    fn matches(&self, cert_id: &CertId) -> bool {
        self.algorithm == cert_id.hash_algorithm.oid
            && self.name == cert_id.issuer_name_hash.as_bytes()
            && self.key == cert_id.issuer_key_hash.as_bytes()
    }
}

/// An OCSP responder for one issuing CA, signing with a delegated responder certificate that
/// the issuer certified for OCSPSigning (RFC 6960 §4.2.2.2).
pub struct OcspResponder {
    issuer_hashes: Vec<IssuerHashes>,
    responder: Certificate,
    key: SigningKey,
}

impl core::fmt::Debug for OcspResponder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OcspResponder").finish_non_exhaustive()
    }
}

impl OcspResponder {
    /// A responder for `issuer`, signing as `responder` (which `issuer` must have signed and
    /// given the OCSPSigning extended key usage) with `key`.
    pub fn new(
        issuer: &Certificate,
        responder: Certificate,
        key: SigningKey,
    ) -> Result<Self, Error> {
        verify_signed_by(&responder, issuer)?;
        if !has_ocsp_signing(&responder)? {
            return Err(Error::NotAnOcspResponder);
        }
        let responder_spki = responder
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|_| Error::MalformedDer {
                what: "responder public key",
            })?;
        if key.verifying_key().to_spki_der()? != responder_spki {
            return Err(Error::KeyMismatch);
        }
        let issuer_hashes = IssuerHashes::all_of(issuer)?;
        Ok(Self {
            issuer_hashes,
            responder,
            key,
        })
    }

    /// Answers the DER `request`: `status_of` tells the status of each serial number of this
    /// issuer. The answer is always a DER `OCSPResponse`: `malformedRequest` if the request
    /// does not parse, `unauthorized` if it asks about another issuer, otherwise a signed
    /// response produced `now`, valid until `next_update` (Unix seconds), echoing the nonce.
    pub fn respond(
        &self,
        request: &[u8],
        now: u64,
        next_update: u64,
        status_of: impl Fn(&SerialNumber) -> CertificateStatus,
    ) -> Result<Vec<u8>, Error> {
        let Ok(request) = OcspRequest::from_der(request) else {
            return unsuccessful(ResponseStatus::MalformedRequest);
        };
        let requests = &request.tbs_request.request_list;
        if requests.is_empty() || requests.len() > MAX_OCSP_REQUESTS {
            return unsuccessful(ResponseStatus::MalformedRequest);
        }
        let this_update = generalized_time(now)?;
        let next_update = generalized_time(next_update)?;
        let mut responses = Vec::with_capacity(requests.len());
        for single in requests {
            let cert_id = &single.req_cert;
            if !self.is_our_issuer(cert_id) {
                return unsuccessful(ResponseStatus::Unauthorized);
            }
            let cert_status = match status_of(&cert_id.serial_number) {
                CertificateStatus::Good => CertStatus::Good(Null),
                CertificateStatus::Unknown => CertStatus::Unknown(Null),
                CertificateStatus::Revoked { revoked_at, reason } => {
                    CertStatus::Revoked(RevokedInfo {
                        revocation_time: generalized_time(revoked_at)?,
                        revocation_reason: Some(reason.crl_reason()),
                    })
                }
            };
            responses.push(SingleResponse {
                cert_id: cert_id.clone(),
                cert_status,
                this_update,
                next_update: Some(next_update),
                single_extensions: None,
            });
        }
        let nonce = request
            .tbs_request
            .request_extensions
            .iter()
            .flatten()
            .find(|extension| extension.extn_id == ID_PKIX_OCSP_NONCE)
            .cloned();
        let data = ResponseData {
            version: None,
            responder_id: ResponderId::ByName(self.responder.tbs_certificate().subject().clone()),
            produced_at: this_update,
            responses,
            response_extensions: nonce.map(|nonce| vec![nonce]),
        };
        let signed = data
            .to_der()
            .map_err(|_| Error::Internal("ocsp response data encoding"))?;
        let signature = self.key.sign(&signed)?.to_der()?;
        let basic = BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: signature_algorithm(self.key.suite()),
            signature: BitString::from_bytes(&signature)
                .map_err(|_| Error::Internal("signature bit string"))?,
            certs: Some(vec![self.responder.clone()]),
        };
        let basic = basic
            .to_der()
            .map_err(|_| Error::Internal("basic ocsp response encoding"))?;
        OcspResponse {
            response_status: ResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: ID_PKIX_OCSP_BASIC,
                response: OctetString::new(basic)
                    .map_err(|_| Error::Internal("ocsp response bytes"))?,
            }),
        }
        .to_der()
        .map_err(|_| Error::Internal("ocsp response encoding"))
    }

    /// Whether the DER `request` is about this responder's issuer (judged by its first
    /// CertID): how a service answering for several issuers picks the responder.
    pub fn answers_for(&self, request: &[u8]) -> bool {
        OcspRequest::from_der(request)
            .ok()
            .and_then(|request| request.tbs_request.request_list.into_iter().next())
            .is_some_and(|single| self.is_our_issuer(&single.req_cert))
    }

    fn is_our_issuer(&self, cert_id: &CertId) -> bool {
        self.issuer_hashes
            .iter()
            .any(|hashes| hashes.matches(cert_id))
    }
}

/// The serial numbers an OCSP request asks about (empty if it does not parse or asks about
/// more than [`MAX_OCSP_REQUESTS`]), so that a caller can look their statuses up before
/// [`OcspResponder::respond`].
pub fn requested_serials(request: &[u8]) -> Vec<SerialNumber> {
    OcspRequest::from_der(request)
        .ok()
        .filter(|request| request.tbs_request.request_list.len() <= MAX_OCSP_REQUESTS)
        .map(|request| {
            request
                .tbs_request
                .request_list
                .into_iter()
                .map(|single| single.req_cert.serial_number)
                .collect()
        })
        .unwrap_or_default()
}

/// A checked OCSP response: the status of each serial it answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedResponse {
    /// Serial number and status, in response order.
    pub statuses: Vec<(SerialNumber, CertificateStatus)>,
    /// The nonce the response echoes, if any (the `extnValue` bytes).
    pub nonce: Option<Vec<u8>>,
}

/// How far a response's `thisUpdate` may lie ahead of the checker's clock.
const CLOCK_SKEW_SECONDS: u64 = 300;

/// Checks a DER `OCSPResponse` about certificates of `issuer` at time `at` (Unix seconds): it
/// must be successful, basic, signed by a responder certificate that `issuer` signed for
/// OCSPSigning and that is valid at `at` (or by `issuer` itself), answer only for `issuer`'s
/// certificates, and be current: `thisUpdate` not after `at` (five minutes' skew allowed) and
/// `nextUpdate`, if given, not before it. A replayed old answer is refused.
pub fn verify_ocsp_response(
    response: &[u8],
    issuer: &Certificate,
    at: u64,
) -> Result<CheckedResponse, Error> {
    let malformed = Error::MalformedDer {
        what: "ocsp response",
    };
    let response = OcspResponse::from_der(response).map_err(|_| malformed.clone())?;
    if response.response_status != ResponseStatus::Successful {
        return Err(Error::OcspUnsuccessful {
            status: response.response_status.code(),
        });
    }
    let bytes = response.response_bytes.ok_or(malformed.clone())?;
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return Err(malformed);
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).map_err(|_| malformed)?;
    let data_der = basic
        .tbs_response_data
        .to_der()
        .map_err(|_| Error::Internal("ocsp response data encoding"))?;
    let signer = match &basic.tbs_response_data.responder_id {
        ResponderId::ByName(name) if name == issuer.tbs_certificate().subject() => issuer.clone(),
        ResponderId::ByName(name) => {
            let delegated = basic
                .certs
                .iter()
                .flatten()
                .find(|cert| cert.tbs_certificate().subject() == name)
                .ok_or(Error::NotAnOcspResponder)?;
            verify_signed_by(delegated, issuer)?;
            if !has_ocsp_signing(delegated)? {
                return Err(Error::NotAnOcspResponder);
            }
            let validity = delegated.tbs_certificate().validity();
            if at < validity.not_before.to_unix_duration().as_secs()
                || at > validity.not_after.to_unix_duration().as_secs()
            {
                return Err(Error::NotAnOcspResponder);
            }
            delegated.clone()
        }
        ResponderId::ByKey(_) => return Err(Error::NotAnOcspResponder),
    };
    signature_suite(&basic.signature_algorithm)?;
    verify_issuer_signature(
        &signer,
        &basic.signature_algorithm,
        &basic.signature,
        &data_der,
        "ocsp response",
    )?;
    let hashes = IssuerHashes::all_of(issuer)?;
    let statuses = basic
        .tbs_response_data
        .responses
        .iter()
        .map(|single| {
            if !hashes.iter().any(|h| h.matches(&single.cert_id)) {
                return Err(Error::IssuerMismatch);
            }
            let this_update = single.this_update.to_unix_duration().as_secs();
            let expired = single
                .next_update
                .is_some_and(|next| next.to_unix_duration().as_secs() < at);
            if this_update > at.saturating_add(CLOCK_SKEW_SECONDS) || expired {
                return Err(Error::StaleStatus);
            }
            let status = match &single.cert_status {
                CertStatus::Good(_) => CertificateStatus::Good,
                CertStatus::Unknown(_) => CertificateStatus::Unknown,
                CertStatus::Revoked(info) => CertificateStatus::Revoked {
                    revoked_at: info.revocation_time.to_unix_duration().as_secs(),
                    reason: info.revocation_reason.map_or(
                        RevocationReason::Unspecified,
                        RevocationReason::from_crl_reason,
                    ),
                },
            };
            Ok((single.cert_id.serial_number.clone(), status))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let nonce = basic
        .tbs_response_data
        .response_extensions
        .iter()
        .flatten()
        .find(|extension| extension.extn_id == ID_PKIX_OCSP_NONCE)
        .map(|extension| extension.extn_value.as_bytes().to_vec());
    Ok(CheckedResponse { statuses, nonce })
}

/// Why a responder could not answer at all (RFC 6960 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspFailure {
    /// The request could not be read.
    MalformedRequest,
    /// The responder cannot answer now (for example, it is not certified yet).
    TryLater,
    /// The responder does not answer for this issuer (any more): ask another.
    Unauthorized,
}

/// The unsigned `OCSPResponse` (DER) that reports `failure`.
pub fn ocsp_failure_response(failure: OcspFailure) -> Result<Vec<u8>, Error> {
    unsuccessful(match failure {
        OcspFailure::MalformedRequest => ResponseStatus::MalformedRequest,
        OcspFailure::TryLater => ResponseStatus::TryLater,
        OcspFailure::Unauthorized => ResponseStatus::Unauthorized,
    })
}

fn unsuccessful(status: ResponseStatus) -> Result<Vec<u8>, Error> {
    OcspResponse {
        response_status: status,
        response_bytes: None,
    }
    .to_der()
    .map_err(|_| Error::Internal("ocsp response encoding"))
}

fn generalized_time(unix_seconds: u64) -> Result<GeneralizedTime, Error> {
    GeneralizedTime::from_unix_duration(core::time::Duration::from_secs(unix_seconds))
        .map_err(|_| Error::BadValidity)
}

fn has_ocsp_signing(certificate: &Certificate) -> Result<bool, Error> {
    let eku = certificate
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|_| Error::MalformedDer {
            what: "extended key usage",
        })?;
    Ok(eku.is_some_and(|(_, eku)| eku.0.contains(&ID_KP_OCSP_SIGNING)))
}

/// `H(data)` with a CertID hash algorithm netid accepts.
fn cert_id_hash(algorithm: ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    match algorithm {
        ID_SHA1 => Some(sha1::Sha1::digest(data).to_vec()),
        ID_SHA256 => Some(Suite::intl().hash(data).as_ref().to_vec()),
        ID_SM3 => Some(Suite::gm().hash(data).as_ref().to_vec()),
        _ => None,
    }
}
