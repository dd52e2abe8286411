//! The exact bytes a wallet signs. Each message starts with a purpose line so that a
//! signature for one purpose can never be replayed as another; fields are separated by `\n`,
//! which none of them may contain (the server rejects fields that do).
//!
//! Every request a wallet signs to act on its holder's behalf ends with a request id and the
//! timestamp: the id is fresh for each request (netid's wallets use 128 random bits in
//! base64url), and the server
//! records it as used until the request can no longer be fresh, so that a captured request,
//! whatever its signature's encoding, is refused a second time. A presentation has the
//! platform's one-time nonce instead.

use crate::Predicate;

/// What the applicant's wallet signs to enroll: purpose, document type, document number,
/// name, enrollment code and the notice version accepted, as sent, the request id and the
/// timestamp.
pub fn enrollment_message(
    document_type: &str,
    document_number: &str,
    name: &str,
    enrollment_code: Option<&str>,
    notice_version: Option<&str>,
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-enrollment-v3",
        document_type,
        document_number,
        name,
        enrollment_code.unwrap_or_default(),
        notice_version.unwrap_or_default(),
        request_id,
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

/// What the holder's wallet signs to fetch their own log entries: purpose, request id and
/// timestamp.
pub fn holder_log_message(request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&["netid-holder-log-v2", request_id, &timestamp.to_string()])
}

/// What the holder's wallet signs to ask for a certificate: purpose, the request as sent
/// (base64url DER), the request id and the timestamp.
pub fn certificate_request_message(csr: &str, request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-certificate-request-v2",
        csr,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to consent: purpose, platform, fields (comma-separated, in
/// the order sent), notice version, request id and timestamp.
pub fn consent_message(
    client_id: &str,
    fields: &[String],
    notice_version: &str,
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-consent-v2",
        client_id,
        &fields.join(","),
        notice_version,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to withdraw consents: purpose, platform, fields, request id
/// and timestamp.
pub fn consent_withdrawal_message(
    client_id: &str,
    fields: &[String],
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-consent-withdrawal-v2",
        client_id,
        &fields.join(","),
        request_id,
        &timestamp.to_string(),
    ])
}

/// What a guardian's wallet signs to withdraw consents of a child under 14 in their care:
/// purpose, the child's Net ID as sent, platform, fields (comma-separated), request id and
/// timestamp.
pub fn ward_consent_withdrawal_message(
    ward_net_id: &str,
    client_id: &str,
    fields: &[String],
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-ward-consent-withdrawal-v2",
        ward_net_id,
        client_id,
        &fields.join(","),
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to delete their data: purpose, request id and
/// timestamp.
pub fn deletion_message(request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&["netid-deletion-v2", request_id, &timestamp.to_string()])
}

/// What a guardian's wallet signs to approve a platform for a child in their care: purpose,
/// the child's Net ID and the platform's client id as sent, request id and timestamp.
pub fn ward_platform_message(
    ward_net_id: &str,
    client_id: &str,
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-ward-platform-v1",
        ward_net_id,
        client_id,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What a guardian's wallet signs to delete the data of a child under 14 in their care:
/// purpose, the child's Net ID exactly as the request sends it, the request id and the
/// timestamp.
pub fn ward_deletion_message(ward_net_id: &str, request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-ward-deletion-v2",
        ward_net_id,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to ask for Net Certificates: purpose, the RFC 7638
/// thumbprint of each holder key in request order, the request id and the timestamp.
pub fn net_certificate_request_message(
    thumbprints: &[String],
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    let mut fields = vec!["netid-net-certificate-request-v2"];
    fields.extend(thumbprints.iter().map(String::as_str));
    let timestamp = timestamp.to_string();
    fields.push(request_id);
    fields.push(&timestamp);
    join(&fields)
}

/// What the holder's wallet signs to renew a certificate: purpose, serial, request id and
/// timestamp.
pub fn certificate_renewal_message(serial: &str, request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-certificate-renewal-v2",
        serial,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to revoke a certificate: purpose, serial and reason as sent
/// (empty when none), the request id and the timestamp.
pub fn certificate_revocation_message(
    serial: &str,
    reason: Option<&str>,
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-certificate-revocation-v2",
        serial,
        reason.unwrap_or_default(),
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to answer an OpenID Connect authorization request: purpose,
/// the request's `request_uri`, the platform's client id, `approve` or `deny`, the
/// request id and the timestamp.
pub fn oidc_decision_message(
    request_uri: &str,
    client_id: &str,
    approve: bool,
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-oidc-decision-v2",
        request_uri,
        client_id,
        if approve { "approve" } else { "deny" },
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to get a one-time link for adding a passkey in a browser:
/// purpose, request id and timestamp.
pub fn passkey_link_message(request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&["netid-passkey-link-v2", request_id, &timestamp.to_string()])
}

/// What the holder's wallet signs to read the record the service holds about them: purpose,
/// request id and timestamp.
pub fn holder_record_message(request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&["netid-holder-record-v1", request_id, &timestamp.to_string()])
}

/// What the holder's wallet signs to ask for a credential offer (OpenID4VCI) for a wallet app:
/// purpose, request id and timestamp.
pub fn credential_offer_message(request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-credential-offer-v1",
        request_id,
        &timestamp.to_string(),
    ])
}

/// What a holder's wallet signs to accept the notice of `notice_version`: purpose, version,
/// request id and timestamp.
pub fn notice_acceptance_message(
    notice_version: &str,
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-notice-acceptance-v1",
        notice_version,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to ask the document authority for a correction: purpose,
/// the message, request id and timestamp.
pub fn correction_message(message: &str, request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-correction-v1",
        message,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to complain about a platform: purpose, the platform, the
/// category, the text (one line), request id and timestamp.
pub fn complaint_message(
    client_id: &str,
    category: &str,
    text: &str,
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-complaint-v1",
        client_id,
        category,
        text,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What a document authority signs to fetch its open corrections: purpose, its name, request
/// id and timestamp.
pub fn authority_corrections_message(authority: &str, request_id: &str, timestamp: i64) -> Vec<u8> {
    join(&[
        "netid-authority-corrections-v1",
        authority,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to be told of each use through a push subscription:
/// purpose, the endpoint and keys as sent, request id and timestamp.
pub fn push_subscription_message(
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    request_id: &str,
    timestamp: i64,
) -> Vec<u8> {
    join(&[
        "netid-push-subscription-v1",
        endpoint,
        p256dh,
        auth,
        request_id,
        &timestamp.to_string(),
    ])
}

/// What the holder's wallet signs to lock (`locked`) or unlock their Net ID: purpose, request
/// id and timestamp.
pub fn lock_message(locked: bool, request_id: &str, timestamp: i64) -> Vec<u8> {
    let purpose = if locked {
        "netid-lock-v1"
    } else {
        "netid-unlock-v1"
    };
    join(&[purpose, request_id, &timestamp.to_string()])
}

fn join(fields: &[&str]) -> Vec<u8> {
    fields.join("\n").into_bytes()
}

/// Shortest and longest request id the server accepts.
pub const REQUEST_ID_LENGTH: core::ops::RangeInclusive<usize> = 16..=64;

/// Whether `request_id` is a request id the server accepts: 16 to 64 characters of the
/// base64url alphabet (`A-Z a-z 0-9 - _`).
pub fn is_valid_request_id(request_id: &str) -> bool {
    REQUEST_ID_LENGTH.contains(&request_id.len())
        && request_id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}
