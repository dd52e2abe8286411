//! The exact bytes a wallet signs. Each message starts with a purpose line so that a
//! signature for one purpose can never be replayed as another; fields are separated by `\n`,
//! which none of them may contain (the server rejects fields that do).

use crate::Predicate;

/// What the applicant's wallet signs to enroll: purpose, document type, document number,
/// name and enrollment code as sent, and the timestamp.
pub fn enrollment_message(
    document_type: &str,
    document_number: &str,
    name: &str,
    enrollment_code: Option<&str>,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-enrollment-v1",
        document_type,
        document_number,
        name,
        enrollment_code.unwrap_or_default(),
        &timestamp.to_string(),
    ])
}

/// What the guardian's wallet signs to consent to a minor's enrollment: the minor's request
/// signature (which binds the whole request) under a purpose line.
pub fn guardian_consent_message(minor_signature: &str) -> Vec<u8> {
    join(&["netid-guardian-consent-v1", minor_signature])
}

/// What a guardian signs to approve an act of their ward: purpose, what the act is (`deletion`,
/// `consent`), and the ward's signature over the request, so that an approval of one act
/// cannot pass for another.
pub fn guardian_approval_message(act: &str, ward_signature: &str) -> Vec<u8> {
    join(&["netid-guardian-approval-v1", act, ward_signature])
}

/// What the holder's wallet signs to present to a platform: the platform's client id and
/// nonce, the predicates asked (comma-separated, in the order sent) and the timestamp.
pub fn presentation_message(
    client_id: &str,
    nonce: &str,
    predicates: &[Predicate],
    timestamp: i64,
) -> Vec<u8> {
    let predicates = predicates
        .iter()
        .map(|predicate| predicate.as_str())
        .collect::<Vec<_>>()
        .join(",");
    join(&[
        "netid-presentation-v1",
        client_id,
        nonce,
        &predicates,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to fetch their own log entries: purpose and timestamp.
pub fn holder_log_message(timestamp: i64) -> Vec<u8> {
    join(&["netid-holder-log-v1", &timestamp.to_string()])
}

/// What the holder's wallet signs to ask for a certificate: purpose, the request as sent
/// (base64url DER) and the timestamp.
pub fn certificate_request_message(csr: &str, timestamp: i64) -> Vec<u8> {
    join(&["netid-certificate-request-v1", csr, &timestamp.to_string()])
}

/// What the holder's wallet signs to consent: purpose, platform, fields (comma-separated, in
/// the order sent), notice version and timestamp.
pub fn consent_message(
    client_id: &str,
    fields: &[String],
    notice_version: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-consent-v1",
        client_id,
        &fields.join(","),
        notice_version,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to withdraw consents: purpose, platform, fields, timestamp.
pub fn consent_withdrawal_message(client_id: &str, fields: &[String], timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-consent-withdrawal-v1",
        client_id,
        &fields.join(","),
        &timestamp.to_string(),
    ])
}

/// What a guardian's wallet signs to withdraw consents of a child under 14 in their care:
/// purpose, the child's Net ID as sent, platform, fields (comma-separated) and timestamp.
pub fn ward_consent_withdrawal_message(
    ward_net_id: &str,
    client_id: &str,
    fields: &[String],
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-ward-consent-withdrawal-v1",
        ward_net_id,
        client_id,
        &fields.join(","),
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to delete their data: purpose and timestamp.
pub fn deletion_message(timestamp: i64) -> Vec<u8> {
    join(&["netid-deletion-v1", &timestamp.to_string()])
}

/// What a guardian's wallet signs to delete the data of a child under 14 in their care:
/// purpose, the child's Net ID exactly as the request sends it, and the timestamp.
pub fn ward_deletion_message(ward_net_id: &str, timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-ward-deletion-v1",
        ward_net_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to ask for Net Certificates: purpose, the RFC 7638
/// thumbprint of each holder key in request order, and the timestamp.
pub fn net_certificate_request_message(thumbprints: &[String], timestamp: i64) -> Vec<u8> {
    let mut fields = vec!["netid-net-certificate-request-v1"];
    fields.extend(thumbprints.iter().map(String::as_str));
    let timestamp = timestamp.to_string();
    fields.push(&timestamp);
    join(&fields)
}

/// What the holder's wallet signs to renew a certificate: purpose, serial and the timestamp.
pub fn certificate_renewal_message(serial: &str, timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-certificate-renewal-v1",
        serial,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to revoke a certificate: purpose, serial and reason as sent
/// (empty when none), and the timestamp.
pub fn certificate_revocation_message(
    serial: &str,
    reason: Option<&str>,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-certificate-revocation-v1",
        serial,
        reason.unwrap_or_default(),
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to answer an OpenID Connect authorization request: purpose,
/// the request's `request_uri`, the platform's client id, `approve` or `deny`, and the
/// timestamp.
pub fn oidc_decision_message(
    request_uri: &str,
    client_id: &str,
    approve: bool,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-oidc-decision-v1",
        request_uri,
        client_id,
        if approve { "approve" } else { "deny" },
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to get a one-time link for adding a passkey in a browser:
/// purpose and timestamp.
pub fn passkey_link_message(timestamp: i64) -> Vec<u8> {
    join(&["netid-passkey-link-v1", &timestamp.to_string()])
}

fn join(fields: &[&str]) -> Vec<u8> {
    fields.join("\n").into_bytes()
}
