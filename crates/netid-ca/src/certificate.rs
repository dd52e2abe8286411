//! Issuing and checking X.509 v3 certificates (RFC 5280; GM/T 0015 for SM2).

use core::str::FromStr;
use core::time::Duration;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{ID_AD_OCSP, ID_KP_CLIENT_AUTH, ID_KP_OCSP_SIGNING};
use der::asn1::{BitString, GeneralizedTime, Ia5String, Null, OctetString, UtcTime};
use der::{Decode, Encode, EncodePem, oid::AssociatedOid};
use netid_crypto::{SigningKey, Suite, SuiteId, VerifyingKey};
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey,
    SignatureBitStringEncoding, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef,
};
use x509_cert::Certificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints,
    CertificatePolicies, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::Error;

/// `sm2-with-sm3`, GM/T 0006 / GM/T 0015: `1.2.156.10197.1.501`.
const SM2_WITH_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");
/// `id-pkix-ocsp-nocheck`, RFC 6960 §4.2.2.2.1.
const ID_PKIX_OCSP_NOCHECK: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// `ecdsa-with-SHA256`, RFC 5758 §3.2: `1.2.840.10045.4.3.2`.
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// `anyPolicy` (RFC 5280 §4.2.1.4), the default policy of a template until the operator
/// names the policy OID registered for their CA.
pub const ANY_POLICY_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32.0");

/// What a certificate is for; each profile fixes its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// The offline root: CA, signs certificates and CRLs, no path length limit.
    Root,
    /// An issuing CA under the root: CA with path length 0.
    IssuingCa,
    /// A Net Certificate issuer key: end entity, digital signature.
    CredentialIssuer,
    /// A platform's client certificate for mutual TLS: digital signature, clientAuth.
    PlatformClient,
    /// A holder's electronic-signature certificate: digital signature and non-repudiation.
    HolderSigning,
    /// A delegated OCSP responder (RFC 6960 §4.2.2.2): OCSPSigning, with `ocsp-nocheck`.
    OcspResponder,
}

/// Everything about a certificate that the caller decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateTemplate {
    /// Subject distinguished name, RFC 4514 string form (`CN=...,O=...`).
    pub subject: String,
    /// What the certificate is for.
    pub profile: Profile,
    /// The serial number: 16 random bytes from the caller (RFC 5280 §4.1.2.2 allows 20 octets;
    /// the top bit is cleared so the INTEGER stays positive).
    pub serial: [u8; 16],
    /// Start of validity, seconds since the Unix epoch.
    pub not_before: u64,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: u64,
    /// Where relying parties fetch the issuer's CRL (CRL distribution points).
    pub crl_url: Option<String>,
    /// The issuer's OCSP responder (authority information access).
    pub ocsp_url: Option<String>,
    /// Certificate policy OIDs (the CA's registered policy; `anyPolicy` by default).
    pub policies: Vec<ObjectIdentifier>,
}

impl CertificateTemplate {
    /// A template with no CRL or OCSP location.
    pub fn new(
        subject: &str,
        profile: Profile,
        serial: [u8; 16],
        not_before: u64,
        not_after: u64,
    ) -> Self {
        Self {
            subject: subject.to_owned(),
            profile,
            serial,
            not_before,
            not_after,
            crl_url: None,
            ocsp_url: None,
            policies: vec![ANY_POLICY_OID],
        }
    }
}

/// Issues a certificate for `subject_key` from `template`, signed by `issuer_key`. With
/// `issuer` = `None` the certificate is self-signed (a root): `issuer_key` must then be the
/// subject's own key.
pub fn issue(
    template: &CertificateTemplate,
    subject_key: &VerifyingKey,
    issuer: Option<&Certificate>,
    issuer_key: &SigningKey,
) -> Result<Certificate, Error> {
    let suite = Suite::new(issuer_key.suite());
    if subject_key.suite() != suite.id() {
        return Err(Error::SuiteMismatch);
    }
    if let Some(issuer) = issuer {
        if signature_suite(issuer.signature_algorithm())? != suite.id() {
            return Err(Error::SuiteMismatch);
        }
    }
    let subject = Name::from_str(&template.subject).map_err(|_| Error::MalformedName)?;
    let subject_spki = spki_of(subject_key)?;
    let signer = CaSigner::new(issuer_key)?;
    let issuer_spki = spki_of(issuer_key.verifying_key())?;
    let profile = NetidProfile {
        issuer: issuer.map_or_else(
            || subject.clone(),
            |c| c.tbs_certificate().subject().clone(),
        ),
        subject,
        extensions: extensions(template, &suite, &subject_spki, &issuer_spki)?,
    };

    let mut serial = template.serial;
    serial[0] &= 0x7f;
    let serial = SerialNumber::new(&serial).map_err(|_| Error::Internal("serial number"))?;
    let validity = Validity::new(
        x509_time(template.not_before)?,
        x509_time(template.not_after)?,
    );
    if template.not_after <= template.not_before {
        return Err(Error::BadValidity);
    }
    let builder = CertificateBuilder::new(profile, serial, validity, subject_spki)
        .map_err(|_| Error::BadValidity)?;
    builder
        .build::<CaSigner, DerSignature>(&signer)
        .map_err(|error| match error {
            x509_cert::builder::Error::Signature(_) => Error::Internal("signing the certificate"),
            _ => Error::Internal("assembling the certificate"),
        })
}

/// A PKCS#10 request (DER) for `key`, naming `subject` (`CN=...`), signed with `key` as proof
/// of possession.
pub fn build_request(subject: &str, key: &SigningKey) -> Result<Vec<u8>, Error> {
    let subject = Name::from_str(subject).map_err(|_| Error::MalformedName)?;
    let builder = x509_cert::request::RequestBuilder::new(subject)
        .map_err(|_| Error::Internal("request builder"))?;
    let request = builder
        .build::<CaSigner, DerSignature>(&CaSigner::new(key)?)
        .map_err(|_| Error::Internal("signing the request"))?;
    request
        .to_der()
        .map_err(|_| Error::Internal("request encoding"))
}

/// The profile the x509-cert builder consults: names and the extensions computed up front.
struct NetidProfile {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for NetidProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _subject_key: SubjectPublicKeyInfoRef<'_>,
        _issuer_key: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

/// A netid signing key as the x509-cert builder's signer. It signs with DER signatures: the
/// builder would otherwise write the raw `r || s`, which OpenSSL rejects.
struct CaSigner<'a> {
    key: &'a SigningKey,
    public: CaPublicKey,
}

impl<'a> CaSigner<'a> {
    fn new(key: &'a SigningKey) -> Result<Self, Error> {
        Ok(Self {
            key,
            public: CaPublicKey(key.verifying_key().to_spki_der()?),
        })
    }
}

/// A public key as SubjectPublicKeyInfo DER, for the builder's `Keypair` bound.
#[derive(Clone)]
struct CaPublicKey(Vec<u8>);

impl EncodePublicKey for CaPublicKey {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::from_der(&self.0)?)
    }
}

impl signature::Keypair for CaSigner<'_> {
    type VerifyingKey = CaPublicKey;

    fn verifying_key(&self) -> CaPublicKey {
        self.public.clone()
    }
}

impl DynSignatureAlgorithmIdentifier for CaSigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(signature_algorithm(self.key.suite()))
    }
}

/// An ASN.1 DER `ECDSA-Sig-Value` / SM2 signature.
struct DerSignature(Vec<u8>);

impl SignatureBitStringEncoding for DerSignature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}

impl signature::Signer<DerSignature> for CaSigner<'_> {
    fn try_sign(&self, message: &[u8]) -> Result<DerSignature, signature::Error> {
        self.key
            .sign(message)
            .and_then(|signature| signature.to_der())
            .map(DerSignature)
            .map_err(|_| signature::Error::new())
    }
}

/// Whether `certificate`'s subject is the distinguished name `subject` (RFC 4514 text, as
/// [`CertificateTemplate`] takes it), compared as names rather than as text.
pub fn has_subject(certificate: &Certificate, subject: &str) -> bool {
    Name::from_str(subject).is_ok_and(|name| *certificate.tbs_certificate().subject() == name)
}

/// Checks that `certificate` names `issuer` as its issuer and carries a valid signature by
/// `issuer`'s key. (Validity times, constraints and revocation are the path validator's
/// business.)
pub fn verify_signed_by(certificate: &Certificate, issuer: &Certificate) -> Result<(), Error> {
    let tbs = certificate.tbs_certificate();
    if tbs.issuer() != issuer.tbs_certificate().subject() {
        return Err(Error::IssuerMismatch);
    }
    if certificate.signature_algorithm() != tbs.signature() {
        return Err(Error::BadSignature {
            what: "certificate",
        });
    }
    let tbs_der = tbs.to_der().map_err(|_| Error::MalformedDer {
        what: "certificate",
    })?;
    verify_issuer_signature(
        issuer,
        certificate.signature_algorithm(),
        certificate.signature(),
        &tbs_der,
        "certificate",
    )
}

/// Checks `signature` (DER in a BIT STRING) by `issuer`'s key over `signed`: shared by
/// certificates, CRLs and whatever else a CA signs.
pub(crate) fn verify_issuer_signature(
    issuer: &Certificate,
    algorithm: &AlgorithmIdentifierOwned,
    signature: &BitString,
    signed: &[u8],
    what: &'static str,
) -> Result<(), Error> {
    let suite = Suite::new(signature_suite(algorithm)?);
    let issuer_spki = spki_der(issuer, "issuer public key")?;
    let key = suite
        .verifying_key_from_spki_der(&issuer_spki)
        .map_err(|_| Error::SuiteMismatch)?;
    let signature = signature
        .as_bytes()
        .and_then(|der| suite.signature_from_der(der).ok())
        .ok_or(Error::BadSignature { what })?;
    key.verify(signed, &signature)
        .map_err(|_| Error::BadSignature { what })
}

/// A certificate's subject public key, DER.
fn spki_der(certificate: &Certificate, what: &'static str) -> Result<Vec<u8>, Error> {
    certificate
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|_| Error::MalformedDer { what })
}

/// A certificate's subject key, of whichever suite it is (an SM2 or a P-256 key).
pub fn public_key(certificate: &Certificate) -> Result<VerifyingKey, Error> {
    let spki = spki_der(certificate, "certificate public key")?;
    [Suite::gm(), Suite::intl()]
        .into_iter()
        .find_map(|suite| suite.verifying_key_from_spki_der(&spki).ok())
        .ok_or(Error::UnsupportedAlgorithm)
}

/// The suite of a certificate's subject key: `gm` for an SM2 key, `intl` for a P-256 key.
pub fn key_suite(certificate: &Certificate) -> Result<SuiteId, Error> {
    Ok(public_key(certificate)?.suite())
}

/// Checks a DER `signature` over `data` by the key `signer` certifies: how a CA's signed
/// packages (the filing, a handover) are checked.
pub fn verify_data_signature(
    signer: &Certificate,
    data: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let key = public_key(signer)?;
    let suite = Suite::new(key.suite());
    let signature = suite
        .signature_from_der(signature)
        .map_err(|_| Error::BadSignature { what: "data" })?;
    key.verify(data, &signature)
        .map_err(|_| Error::BadSignature { what: "data" })
}

/// The suite of a signature algorithm identifier: `gm` for sm2-with-sm3, `intl` for
/// ecdsa-with-SHA256.
pub fn signature_suite(algorithm: &AlgorithmIdentifierOwned) -> Result<SuiteId, Error> {
    match algorithm.oid {
        SM2_WITH_SM3 => Ok(SuiteId::Gm),
        ECDSA_WITH_SHA256 => Ok(SuiteId::Intl),
        _ => Err(Error::UnsupportedAlgorithm),
    }
}

/// The key identifier of a certificate's subject key identifier extension, if it has one.
pub fn subject_key_identifier(certificate: &Certificate) -> Option<Vec<u8>> {
    certificate
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
        .ok()
        .flatten()
        .map(|(_, ski)| ski.0.as_bytes().to_vec())
}

/// The key identifier netid computes for a certificate's subject key (RFC 7093 §2 method 1
/// with the key's suite hash): what netid's CAs write as SKI, and as AKI in what they issue.
pub fn computed_key_identifier(certificate: &Certificate) -> Option<Vec<u8>> {
    let suite = Suite::new(key_suite(certificate).ok()?);
    key_identifier(
        &suite,
        certificate.tbs_certificate().subject_public_key_info(),
    )
    .ok()
    .map(|id| id.as_bytes().to_vec())
}

/// The key identifier of a certificate's authority key identifier extension, if it has one:
/// which of an issuer's keys signed it.
pub fn authority_key_identifier(certificate: &Certificate) -> Option<Vec<u8>> {
    certificate
        .tbs_certificate()
        .get_extension::<AuthorityKeyIdentifier>()
        .ok()
        .flatten()
        .and_then(|(_, aki)| aki.key_identifier)
        .map(|id| id.as_bytes().to_vec())
}

/// A certificate as PEM (`-----BEGIN CERTIFICATE-----`), LF line endings.
pub fn to_pem(certificate: &Certificate) -> Result<String, Error> {
    certificate
        .to_pem(der::pem::LineEnding::LF)
        .map_err(|_| Error::Internal("certificate pem encoding"))
}

pub(crate) fn signature_algorithm(suite: SuiteId) -> AlgorithmIdentifierOwned {
    // Both algorithms take no parameters (GM/T 0015 §7.2; RFC 5758 §3.2 says absent).
    AlgorithmIdentifierOwned {
        oid: match suite {
            SuiteId::Gm => SM2_WITH_SM3,
            SuiteId::Intl => ECDSA_WITH_SHA256,
        },
        parameters: None,
    }
}

fn spki_of(key: &VerifyingKey) -> Result<SubjectPublicKeyInfoOwned, Error> {
    SubjectPublicKeyInfoOwned::from_der(&key.to_spki_der()?)
        .map_err(|_| Error::Internal("netid-crypto wrote an unreadable spki"))
}

/// RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
pub(crate) fn x509_time(unix_seconds: u64) -> Result<Time, Error> {
    let duration = Duration::from_secs(unix_seconds);
    let date = der::DateTime::from_unix_duration(duration).map_err(|_| Error::BadValidity)?;
    if date.year() < 2050 {
        UtcTime::from_unix_duration(duration).map(Time::UtcTime)
    } else {
        GeneralizedTime::from_unix_duration(duration).map(Time::GeneralTime)
    }
    .map_err(|_| Error::BadValidity)
}

/// Key identifier (RFC 7093 §2 method 1): the leftmost 160 bits of the suite's hash (SM3 or
/// SHA-256) of the subjectPublicKey bits.
fn key_identifier(suite: &Suite, spki: &SubjectPublicKeyInfoOwned) -> Result<OctetString, Error> {
    let bits = spki.subject_public_key.raw_bytes();
    let digest = suite.hash(bits).to_bytes();
    let leftmost = digest
        .get(..20)
        .ok_or(Error::Internal("digest shorter than 20 bytes"))?;
    OctetString::new(leftmost).map_err(|_| Error::Internal("key identifier"))
}

pub(crate) fn extension<T: Encode + AssociatedOid>(
    value: &T,
    critical: bool,
) -> Result<Extension, Error> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(
            value
                .to_der()
                .map_err(|_| Error::Internal("extension encoding"))?,
        )
        .map_err(|_| Error::Internal("extension octet string"))?,
    })
}

fn uri(url: &str) -> Result<GeneralName, Error> {
    Ia5String::new(url)
        .map(GeneralName::UniformResourceIdentifier)
        .map_err(|_| Error::MalformedName)
}

fn extensions(
    template: &CertificateTemplate,
    suite: &Suite,
    subject_spki: &SubjectPublicKeyInfoOwned,
    issuer_spki: &SubjectPublicKeyInfoOwned,
) -> Result<Vec<Extension>, Error> {
    let (ca, path_len, usages) = match template.profile {
        Profile::Root => (true, None, KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        Profile::IssuingCa => (true, Some(0), KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        Profile::CredentialIssuer | Profile::PlatformClient | Profile::OcspResponder => {
            (false, None, KeyUsages::DigitalSignature.into())
        }
        Profile::HolderSigning => (
            false,
            None,
            KeyUsages::DigitalSignature | KeyUsages::NonRepudiation,
        ),
    };
    let mut out = vec![
        extension(
            &BasicConstraints {
                ca,
                path_len_constraint: path_len,
            },
            true,
        )?,
        extension(&KeyUsage(usages), true)?,
        extension(
            &SubjectKeyIdentifier(key_identifier(suite, subject_spki)?),
            false,
        )?,
    ];
    if template.profile != Profile::Root {
        out.push(extension(
            &AuthorityKeyIdentifier {
                key_identifier: Some(key_identifier(suite, issuer_spki)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
            false,
        )?);
    }
    match template.profile {
        Profile::PlatformClient => {
            out.push(extension(
                &ExtendedKeyUsage(vec![ID_KP_CLIENT_AUTH]),
                false,
            )?);
        }
        Profile::OcspResponder => {
            out.push(extension(
                &ExtendedKeyUsage(vec![ID_KP_OCSP_SIGNING]),
                false,
            )?);
            out.push(Extension {
                extn_id: ID_PKIX_OCSP_NOCHECK,
                critical: false,
                extn_value: OctetString::new(
                    Null.to_der()
                        .map_err(|_| Error::Internal("null encoding"))?,
                )
                .map_err(|_| Error::Internal("ocsp nocheck"))?,
            });
        }
        _ => {}
    }
    if let Some(url) = &template.crl_url {
        out.push(extension(
            &CrlDistributionPoints(vec![DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![uri(url)?])),
                reasons: None,
                crl_issuer: None,
            }]),
            false,
        )?);
    }
    if let Some(url) = &template.ocsp_url {
        out.push(extension(
            &AuthorityInfoAccessSyntax(vec![AccessDescription {
                access_method: ID_AD_OCSP,
                access_location: uri(url)?,
            }]),
            false,
        )?);
    }
    if !template.policies.is_empty() {
        let policies = template
            .policies
            .iter()
            .map(|oid| PolicyInformation {
                policy_identifier: *oid,
                policy_qualifiers: None,
            })
            .collect();
        out.push(extension(&CertificatePolicies(policies), false)?);
    }
    Ok(out)
}
