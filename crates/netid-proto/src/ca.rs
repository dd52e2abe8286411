//! The certification authority's wire types: its state and certification, holders' and
//! platforms' certificates, revocation, handover to a successor, filings, recognised foreign
//! CAs and path checks.

use serde::{Deserialize, Serialize};

use crate::PublicKey;
#[allow(unused_imports)] // named only by the doc links below
use crate::signing;

/// `GET /v1/operator/ca` and the answer to [`CertifyCaRequest`]: the state of the CA inside
/// the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaStatus {
    /// `gm` (SM2) or `intl` (P-256).
    pub suite: String,
    /// The issuing CA's public key, SPKI PEM: what the offline root certifies.
    pub issuing_public_key: String,
    /// Whether an issuing CA certificate is installed.
    pub certified: bool,
    /// The chain (issuing CA, then root), PEM, once certified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// The next issuing key, SPKI PEM, while a rollover waits for its certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_public_key: Option<String>,
    /// The OCSP responder's key, SPKI PEM: what a predecessor certifies when it hands its
    /// CA over to this service.
    pub responder_public_key: String,
    /// Every issuing CA this service answers for, oldest first.
    pub authorities: Vec<CaAuthority>,
}

/// One issuing CA the service answers for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaAuthority {
    /// Its subject key identifier, hex: how its CRL is named.
    pub key_id: String,
    /// `current` (issues now), `retired` (rolled over; still signs status for what it
    /// issued), `inherited` (a predecessor's, taken over), `handed_over` (to a successor).
    pub status: String,
    /// Its subject name.
    pub subject: String,
    /// End of its certificate's validity, Unix seconds.
    pub not_after: i64,
    /// Where its CRL is published.
    pub crl_url: String,
}

/// `POST /v1/operator/ca/handover`: hands the CA's records and status services to a
/// successor whose OCSP responder key (its `responder_public_key`) this CA certifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoverRequest {
    /// The successor's OCSP responder key, SPKI PEM.
    pub successor_responder_key: String,
}

/// The payload of the signed handover package: what a successor needs to answer for the
/// certificates this CA issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handover {
    /// `netid-ca-handover-v1`.
    pub format: String,
    /// Unix seconds.
    pub generated_at: i64,
    /// Each issuing CA handed over.
    pub authorities: Vec<HandedOverAuthority>,
    /// Every certificate those CAs issued, with its revocation.
    pub certificates: Vec<HandedOverCertificate>,
}

/// One issuing CA in a [`Handover`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandedOverAuthority {
    /// Its root, PEM.
    pub root: String,
    /// The issuing CA certificate, PEM.
    pub issuing: String,
    /// The OCSP responder certificate it issued for the successor's key, PEM.
    pub responder: String,
    /// Its final CRL, PEM, valid until the issuing certificate ends.
    pub final_crl: String,
}

/// One certificate in a [`Handover`]. Holders are not named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandedOverCertificate {
    /// The certificate, base64url DER.
    pub certificate: String,
    /// The profile it was issued under.
    pub profile: String,
    /// When it was revoked, Unix seconds, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
    /// Why, as the CA names it, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/operator/ca/inherit`: the successor takes over a predecessor's CAs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InheritRequest {
    /// The signed handover package.
    pub package: SignedPackage,
    /// The SHA-256 fingerprint (hex) of the predecessor's root, as the operator learned it
    /// from the predecessor or the supervisor: every CA in the package must chain to it.
    pub expected_root_sha256: String,
}

/// `POST /v1/operator/ca/revoke`: the operator revokes a certificate (a platform's, one
/// taken over from a predecessor, or a holder's at their documented request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorRevokeRequest {
    /// The serial number, hex.
    pub serial: String,
    /// `unspecified` (default), `key_compromise`, `superseded` or `cessation_of_operation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/holders/certificates/renew`: a holder renews one of their certificates (the same
/// key, a new validity). The wallet signs [`signing::certificate_renewal_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewCertificateRequest {
    /// The serial number of the certificate to renew, hex.
    pub serial: String,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// `POST /v1/operator/ca/certify`: installs the issuing CA certificate that the offline root
/// issued for the service's issuing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertifyCaRequest {
    /// The root certificate, PEM.
    pub root_certificate: String,
    /// The issuing CA certificate, PEM.
    pub issuing_certificate: String,
}

/// `POST /v1/holders/certificates`: a holder asks for an electronic-signature certificate.
/// The wallet signs [`signing::certificate_request_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderCertificateRequest {
    /// The PKCS#10 request, base64url DER, for a key of the CA's suite.
    pub csr: String,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// `POST /v1/platform/certificates`, authenticated as the platform: a client certificate for
/// mutual TLS, for the key of a PKCS#10 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformCertificateRequest {
    /// The PKCS#10 request, base64url DER, for a key of the CA's suite.
    pub csr: String,
}

/// Answer to [`HolderCertificateRequest`] and [`PlatformCertificateRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderCertificateResponse {
    /// The serial number, lower-case hex.
    pub serial: String,
    /// The certificate, PEM. Its subject is a pseudonym, never a name.
    pub certificate: String,
    /// The issuing CA and root certificates, PEM.
    pub chain: String,
}

/// `POST /v1/holders/certificates/revoke`: a holder revokes one of their certificates. The
/// wallet signs [`signing::certificate_revocation_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeCertificateRequest {
    /// The serial number, hex.
    pub serial: String,
    /// `unspecified` (default), `key_compromise`, `superseded` or `cessation_of_operation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The holder's current wallet public key.
    pub wallet_key: PublicKey,
    /// A fresh id for this request, never sent before: the server refuses it a second time
    /// ([`signing::is_valid_request_id`]).
    pub request_id: String,
    /// Unix seconds when the wallet signed.
    pub timestamp: i64,
    /// base64url signature.
    pub signature: String,
}

/// Answer to [`RevokeCertificateRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeCertificateResponse {
    /// `false` if it was already revoked.
    pub revoked: bool,
}

/// A package the CA signs: the filing for the supervisor (Electronic Certification Service
/// Measures, `GET /v1/operator/ca/filing`, a [`Filing`]) or the handover to a successor
/// (`POST /v1/operator/ca/handover`, a [`Handover`]). `payload` is base64url of the JSON,
/// `signature` base64url of the DER signature over those bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedPackage {
    /// `SM2SM3` or `ES256`.
    pub alg: String,
    /// base64url of the JSON bytes.
    pub payload: String,
    /// base64url of the DER signature over the payload bytes.
    pub signature: String,
    /// The signer: the issuing CA certificate, PEM.
    pub signer: String,
}

/// What the CA files with its supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filing {
    /// `netid-ca-filing-v1`.
    pub format: String,
    /// When it was made, Unix seconds.
    pub generated_at: i64,
    /// The CA's suite.
    pub suite: String,
    /// The chain, issuing CA first, PEM each.
    pub chain: Vec<String>,
    /// Fingerprints of the chain's certificates.
    pub fingerprints: Vec<CertificateFingerprint>,
    /// The certificate policy OIDs the CA's certificates carry.
    pub policies: Vec<String>,
    /// Where relying parties get revocation status.
    pub crl_url: String,
    /// The OCSP responder.
    pub ocsp_url: String,
    /// Issuance and revocation counts per certificate profile.
    pub counts: Vec<IssuanceCount>,
}

/// A certificate's subject and fingerprints (hex of SM3 and of SHA-256 over its DER).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateFingerprint {
    /// The subject, RFC 4514 form.
    pub subject: String,
    /// SM3 of the DER, hex.
    pub sm3: String,
    /// SHA-256 of the DER, hex.
    pub sha256: String,
}

/// How many certificates of one profile the CA issued, and how many are revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuanceCount {
    /// The profile, e.g. `holder-signing`.
    pub profile: String,
    /// Issued.
    pub issued: u64,
    /// Of those, revoked.
    pub revoked: u64,
}

/// `POST /v1/operator/ca/foreign`: recognise a foreign CA, with its documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecogniseForeignCaRequest {
    /// The operator's name for it.
    pub name: String,
    /// Its root certificate, PEM.
    pub certificate: String,
    /// Its qualification (licence, supervisor).
    pub qualification: String,
    /// The type of certificates it issues.
    pub certificate_type: String,
    /// The technical standard its certificates follow.
    pub technical_standard: String,
    /// The application scenarios its certificates are recognised for (1 to 32).
    pub scenarios: Vec<String>,
}

/// A recognised foreign CA, as `GET /v1/ca/foreign` publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignCa {
    /// The operator's name for it.
    pub name: String,
    /// Its root certificate, PEM.
    pub certificate: String,
    /// SHA-256 of the certificate's DER, hex.
    pub sha256: String,
    /// Its qualification.
    pub qualification: String,
    /// The type of certificates it issues.
    pub certificate_type: String,
    /// The technical standard its certificates follow.
    pub technical_standard: String,
    /// The scenarios its certificates are recognised for.
    pub scenarios: Vec<String>,
    /// When it was recognised, Unix seconds.
    pub recognised_at: i64,
}

/// `GET /v1/ca/foreign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignCaList {
    /// The recognised foreign CAs, by name.
    pub foreign_cas: Vec<ForeignCa>,
}

/// `POST /v1/operator/ca/foreign/withdraw`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawForeignCaRequest {
    /// The foreign CA's name.
    pub name: String,
}

/// Answer to [`WithdrawForeignCaRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawForeignCaResponse {
    /// `false` if it was not recognised.
    pub withdrawn: bool,
}

/// `POST /v1/ca/verify`: is this certificate trusted here, for this scenario?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyCertificateRequest {
    /// The certificate first, then any intermediates, PEM each.
    pub chain: Vec<String>,
    /// The application scenario it is used in; a foreign CA's certificate is trusted only
    /// for the scenarios its recognition names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// CRLs (PEM) of a foreign chain's issuers, which the caller fetched: netid checks each
    /// against its issuer and that it is current, and refuses a certificate one lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crls: Vec<String>,
}

/// Answer to [`VerifyCertificateRequest`] when the certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyCertificateResponse {
    /// Always `true` (an untrusted certificate gets a problem instead).
    pub trusted: bool,
    /// `netid` for netid's own root, else the foreign CA's name.
    pub anchor: String,
    /// The scenarios it is trusted for; empty for netid's own certificates (no limit).
    pub scenarios: Vec<String>,
    /// Whether every certificate below the anchor was checked against a current CRL of its
    /// issuer (always for netid's own; for a foreign chain, when the caller sent them).
    pub revocation_checked: bool,
}

/// `GET /v1/operator/ca/expiring?days=N`: the CA's certificates, not revoked, whose validity
/// ends within N days (or has ended), soonest first. Holders are not named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiringCertificates {
    /// The certificates.
    pub certificates: Vec<ExpiringCertificate>,
}

/// One certificate near the end of its validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiringCertificate {
    /// The serial number, hex.
    pub serial: String,
    /// Its profile, e.g. `holder-signing`.
    pub profile: String,
    /// The end of its validity, Unix seconds.
    pub not_after: i64,
}
