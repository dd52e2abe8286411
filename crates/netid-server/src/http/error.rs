//! `ApiError`: every error the API returns, as RFC 9457 problem details with a stable
//! snake_case `code`. The mapping from crate errors to status and code lives here, in one
//! place. 5xx bodies are generic; the cause is logged in the request span.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use netid_proto::{PROBLEM_CONTENT_TYPE, Problem};

use crate::error::{
    CaRefusal, EnrollmentRefusal, NetCertificateRefusal, OperatorRefusal, RosterRefusal,
    VerificationRefusal,
};
use crate::error::{Error, Refusal};

/// Marks a response that failed on a storage error (read by the metrics layer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoreFailure;

/// Marks a response that refused the request, with the refusal's code: the security events
/// are taken from it (`crate::security_events`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refused(pub(crate) &'static str);

/// The `Retry-After` of an answer given while the database is away: about how long a
/// failover to a synchronous standby takes.
pub(crate) const DATABASE_RETRY_SECONDS: u64 = 2;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError(Error);

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        Self(Error::Refused(refusal))
    }
}

impl From<netid_store::Error> for ApiError {
    fn from(error: netid_store::Error) -> Self {
        Self(Error::Store(error))
    }
}

/// Status, code and title of a refusal.
pub(crate) fn classify_refusal(refusal: &Refusal) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match refusal {
        Refusal::Unauthenticated => (
            S::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
        ),
        Refusal::AdministrationElsewhere => (
            S::FORBIDDEN,
            "administration_elsewhere",
            "Operator endpoints are not served here",
        ),
        Refusal::InvalidField { .. } => (S::BAD_REQUEST, "invalid_field", "Invalid field"),
        Refusal::BadWalletSignature => (
            S::FORBIDDEN,
            "bad_wallet_signature",
            "Wallet signature does not verify",
        ),
        Refusal::SignedAhead => (
            S::BAD_REQUEST,
            "signed_ahead",
            "Signed ahead of the service's clock",
        ),
        Refusal::RequestReplayed => (
            S::CONFLICT,
            "request_replayed",
            "Signed request already used",
        ),
        Refusal::NetIdLocked => (S::FORBIDDEN, "net_id_locked", "Net ID locked by its holder"),
        Refusal::GuardianApprovalRequired => (
            S::FORBIDDEN,
            "guardian_approval_required",
            "Guardian approval required",
        ),
        Refusal::NoAuthorityListsHolder => (
            S::CONFLICT,
            "no_authority_lists_holder",
            "No authority lists the holder",
        ),
        Refusal::BadAuthoritySignature => (
            S::FORBIDDEN,
            "bad_authority_signature",
            "Authority signature does not verify",
        ),
        Refusal::NoticeNotAccepted { .. } => (
            S::FORBIDDEN,
            "notice_not_accepted",
            "Current notice not accepted",
        ),
        Refusal::DocumentNoLongerValid => (
            S::FORBIDDEN,
            "document_no_longer_valid",
            "Identity document expired",
        ),
        Refusal::StaleTimestamp { .. } => (
            S::BAD_REQUEST,
            "stale_timestamp",
            "Signed timestamp is not fresh",
        ),
        Refusal::PlatformExists => (S::CONFLICT, "platform_exists", "Platform exists"),
        Refusal::UnknownPlatform => (S::NOT_FOUND, "unknown_platform", "Unknown platform"),
        Refusal::PlatformSuspended => (S::FORBIDDEN, "platform_suspended", "Platform suspended"),
        Refusal::UnknownStream => (S::NOT_FOUND, "unknown_stream", "Unknown stream"),
        Refusal::StreamExists => (S::CONFLICT, "stream_exists", "Stream exists"),
        Refusal::UnknownReceipt => (S::NOT_FOUND, "unknown_receipt", "Unknown receipt"),
        Refusal::ReceiptGiven => (S::CONFLICT, "receipt_given", "Receipt given"),
        Refusal::PlatformRemoved => (S::FORBIDDEN, "platform_removed", "Platform removed"),
        Refusal::UnknownHolder => (S::NOT_FOUND, "unknown_holder", "Unknown holder"),
        Refusal::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "rate_limited", "Too many requests"),
        Refusal::InvalidQuery { .. } => (S::BAD_REQUEST, "invalid_query", "Invalid query"),
        Refusal::LogRange { .. } => (S::BAD_REQUEST, "log_range", "Log range out of bounds"),
        Refusal::Roster(refusal) => classify_roster(refusal),
        Refusal::Verification(refusal) => classify_verification(refusal),
        Refusal::Enrollment(refusal) => classify_enrollment(refusal),
        Refusal::Ca(refusal) => classify_ca(refusal),
        Refusal::NetCertificate(refusal) => classify_net_certificate(refusal),
        Refusal::Operator(refusal) => classify_operator(refusal),
    }
}

/// Status, code and title of a RosterRefusal.
fn classify_roster(refusal: &RosterRefusal) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match refusal {
        RosterRefusal::InvalidRosterRecord { .. } => (
            S::BAD_REQUEST,
            "invalid_roster_record",
            "Invalid roster record",
        ),
        RosterRefusal::DuplicateRosterRecord { .. } => (
            S::BAD_REQUEST,
            "duplicate_roster_record",
            "Duplicate roster record",
        ),
        RosterRefusal::StaleRoster => (
            S::CONFLICT,
            "stale_roster",
            "Roster older than the loaded one",
        ),
        RosterRefusal::RosterRecordOfAnotherAuthority => (
            S::CONFLICT,
            "roster_record_of_another_authority",
            "Document listed by another authority",
        ),
        RosterRefusal::UnknownAuthority => (
            S::UNPROCESSABLE_ENTITY,
            "unknown_authority",
            "Unknown document authority",
        ),
        RosterRefusal::BadRosterSignature => (
            S::UNPROCESSABLE_ENTITY,
            "bad_roster_signature",
            "Roster signature does not verify",
        ),
    }
}

/// Status, code and title of a VerificationRefusal.
fn classify_verification(
    refusal: &VerificationRefusal,
) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match refusal {
        VerificationRefusal::ConsentNotRecorded => {
            (S::CONFLICT, "consent_not_recorded", "Consent not recorded")
        }
        VerificationRefusal::PresentationRejected => (
            S::FORBIDDEN,
            "presentation_rejected",
            "Presentation rejected",
        ),
        VerificationRefusal::PresentationReplayed => (
            S::FORBIDDEN,
            "presentation_replayed",
            "Presentation replayed",
        ),
    }
}

/// Status, code and title of a EnrollmentRefusal.
fn classify_enrollment(refusal: &EnrollmentRefusal) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match refusal {
        EnrollmentRefusal::EvidenceMismatch => (
            S::FORBIDDEN,
            "evidence_mismatch",
            "Evidence does not match the authority's records",
        ),
        EnrollmentRefusal::NameMismatch => (
            S::FORBIDDEN,
            "name_mismatch",
            "Name does not match the authority's record",
        ),
        EnrollmentRefusal::EnrollmentCodeLocked => (
            S::FORBIDDEN,
            "enrollment_code_locked",
            "Enrollment code locked",
        ),
        EnrollmentRefusal::DocumentExpired => (
            S::UNPROCESSABLE_ENTITY,
            "document_expired",
            "Document has expired",
        ),
        EnrollmentRefusal::EnrollmentCodeUsed => (
            S::FORBIDDEN,
            "enrollment_code_used",
            "Enrollment code already used",
        ),
        EnrollmentRefusal::RecoveryRequiresCode => (
            S::FORBIDDEN,
            "recovery_requires_code",
            "Recovery requires a new enrollment code",
        ),
        EnrollmentRefusal::GuardianRequired => {
            (S::FORBIDDEN, "guardian_required", "Guardian required")
        }
        EnrollmentRefusal::GuardianNotRecognised => (
            S::FORBIDDEN,
            "guardian_not_recognised",
            "Guardian not recognised",
        ),
        EnrollmentRefusal::WalletKeyInUse => {
            (S::CONFLICT, "wallet_key_in_use", "Wallet key in use")
        }
        EnrollmentRefusal::EnrollmentConflict => {
            (S::CONFLICT, "enrollment_conflict", "Concurrent enrollment")
        }
    }
}

/// Status, code and title of a CaRefusal.
fn classify_ca(refusal: &CaRefusal) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match refusal {
        CaRefusal::CaNotCertified => (
            S::SERVICE_UNAVAILABLE,
            "ca_not_certified",
            "Certification authority not certified",
        ),
        CaRefusal::CaHandedOver => (
            S::GONE,
            "ca_handed_over",
            "Certification authority handed over",
        ),
        CaRefusal::InvalidCertificate { .. } => (
            S::UNPROCESSABLE_ENTITY,
            "invalid_certificate",
            "Certificate not acceptable",
        ),
        CaRefusal::CertificateNotTrusted { .. } => (
            S::UNPROCESSABLE_ENTITY,
            "certificate_not_trusted",
            "Certificate not trusted",
        ),
        CaRefusal::OutsideRecognisedScope { .. } => (
            S::UNPROCESSABLE_ENTITY,
            "outside_recognised_scope",
            "Outside the recognised scope",
        ),
        CaRefusal::CertificateNotFound => (
            S::NOT_FOUND,
            "certificate_not_found",
            "Certificate not found",
        ),
        CaRefusal::UnknownCa => (
            S::NOT_FOUND,
            "unknown_ca",
            "Unknown certification authority",
        ),
        CaRefusal::HandoverTooLarge { .. } => (
            S::UNPROCESSABLE_ENTITY,
            "handover_too_large",
            "Handover too large",
        ),
    }
}

/// Status, code and title of a NetCertificateRefusal.
fn classify_operator(refusal: &OperatorRefusal) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match refusal {
        OperatorRefusal::BearerRetired => (
            S::UNAUTHORIZED,
            "bearer_credential_retired",
            "Operator bearer credentials are retired",
        ),
        OperatorRefusal::BadProof(_) => (
            S::UNAUTHORIZED,
            "invalid_operator_proof",
            "Operator proof refused",
        ),
        OperatorRefusal::ProofReplayed => (
            S::UNAUTHORIZED,
            "operator_proof_replayed",
            "Operator proof already used",
        ),
        OperatorRefusal::WrongRole { .. } => (S::FORBIDDEN, "wrong_role", "Not this role's act"),
        OperatorRefusal::SameOperator => (
            S::FORBIDDEN,
            "same_operator",
            "A second operator must approve",
        ),
        OperatorRefusal::NotRequester => {
            (S::FORBIDDEN, "not_requester", "Only the operator who asked")
        }
        OperatorRefusal::UnknownAct => (S::NOT_FOUND, "unknown_act", "Unknown request"),
        OperatorRefusal::ActClosed { .. } => (S::CONFLICT, "act_closed", "Request closed"),
        OperatorRefusal::UnknownOperator => (S::NOT_FOUND, "unknown_operator", "Unknown operator"),
        OperatorRefusal::TooFewSecurityAdministrators => (
            S::CONFLICT,
            "too_few_security_administrators",
            "Too few security administrators",
        ),
        OperatorRefusal::SecondFactorRequired => (
            S::UNAUTHORIZED,
            "second_factor_required",
            "Confirm with your passkey",
        ),
        OperatorRefusal::NoSecondFactor => {
            (S::UNAUTHORIZED, "no_second_factor", "Add a passkey first")
        }
        OperatorRefusal::PasskeyEnrollment(_) => (
            S::FORBIDDEN,
            "passkey_enrollment_refused",
            "Passkey not added",
        ),
        OperatorRefusal::CertificateNotTheirs => (
            S::UNAUTHORIZED,
            "operator_certificate_mismatch",
            "Client certificate not the operator's",
        ),
        OperatorRefusal::PasskeyRefused(_) => (
            S::UNAUTHORIZED,
            "passkey_refused",
            "Passkey confirmation refused",
        ),
    }
}

fn classify_net_certificate(
    refusal: &NetCertificateRefusal,
) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match refusal {
        NetCertificateRefusal::NetCertificateLimit { .. } => (
            S::CONFLICT,
            "net_certificate_limit",
            "Net Certificate limit reached",
        ),
        NetCertificateRefusal::NetCertificatesUnavailable => (
            S::SERVICE_UNAVAILABLE,
            "net_certificates_unavailable",
            "Net Certificates unavailable",
        ),
    }
}

/// The problem response for `status`, `code`, `title` and `detail`.
pub(crate) fn problem(status: StatusCode, code: &str, title: &str, detail: String) -> Response {
    let body = Problem {
        problem_type: format!("urn:netid:problem:{code}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail,
        code: code.to_owned(),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self.0 {
            Error::Refused(refusal) => {
                let (status, code, title) = classify_refusal(refusal);
                tracing::debug!(code, "request refused");
                let mut response = problem(status, code, title, refusal.to_string());
                response.extensions_mut().insert(Refused(code));
                if let Refusal::RateLimited {
                    retry_after_seconds,
                } = refusal
                {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
                }
                response
            }
            // The database went away during the commit: the act may or may not be stored.
            Error::Store(netid_store::Error::CommitUncertain { cause }) => {
                tracing::warn!(%cause, "commit outcome unknown");
                database_away(
                    "outcome_unknown",
                    "Outcome unknown",
                    "the service's database went away while it stored this request, which may \
                     or may not have taken effect; check (a signed request sent again is \
                     refused as a replay if it did) before sending it again",
                )
            }
            // The database is away (restarting, failing over to a standby): nothing is lost,
            // and the same request may be sent again in a moment.
            Error::Store(store) if store.is_unavailable() => {
                tracing::warn!(error = %store, "database unavailable");
                database_away(
                    "unavailable",
                    "Service unavailable",
                    "the service's database is not reachable for a moment (a restart or a \
                     failover); send the request again shortly",
                )
            }
            other => {
                // Our fault: log the cause (messages carry no personal data), answer generically.
                tracing::error!(error = %other, "internal error");
                let mut response = problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Internal error",
                    "the service could not complete the request; try again later".to_owned(),
                );
                if matches!(other, Error::Store(_)) {
                    // For the metrics layer, which counts storage failures.
                    response.extensions_mut().insert(StoreFailure);
                }
                response
            }
        }
    }
}

/// A `503` while the database is away, with `Retry-After`, counted as a storage failure.
fn database_away(code: &'static str, title: &'static str, detail: &str) -> Response {
    let mut response = problem(
        StatusCode::SERVICE_UNAVAILABLE,
        code,
        title,
        detail.to_owned(),
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(DATABASE_RETRY_SECONDS),
    );
    response.extensions_mut().insert(StoreFailure);
    response
}

/// A problem body for a bare error response made by a layer (405, 408, 413) or the
/// fallback, keyed by status.
pub(crate) fn problem_for_status(status: StatusCode) -> Response {
    let (code, title, detail) = match status {
        StatusCode::NOT_FOUND => (
            "not_found",
            "Not found",
            "no such endpoint; see /v1/openapi.json",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "Method not allowed",
            "this endpoint does not accept that method; see /v1/openapi.json",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            "Request timeout",
            "the request took too long; try again",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "Payload too large",
            "the request body is larger than the service accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Unsupported media type",
            "send the body as application/json",
        ),
        other if other.is_server_error() => (
            "internal_error",
            "Internal error",
            "the service could not complete the request; try again later",
        ),
        _ => (
            "bad_request",
            "Bad request",
            "the request could not be processed",
        ),
    };
    problem(status, code, title, detail.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_maps_to_a_status_and_a_distinct_snake_case_code() {
        let refusals = [
            Refusal::Unauthenticated,
            Refusal::InvalidField {
                field: "name",
                reason: "x".to_owned(),
            },
            Refusal::Roster(RosterRefusal::InvalidRosterRecord {
                index: 0,
                field: "name",
                reason: "x".to_owned(),
            }),
            Refusal::Roster(RosterRefusal::DuplicateRosterRecord { index: 1 }),
            Refusal::Roster(RosterRefusal::RosterRecordOfAnotherAuthority),
            Refusal::Roster(RosterRefusal::StaleRoster),
            Refusal::Roster(RosterRefusal::UnknownAuthority),
            Refusal::Roster(RosterRefusal::BadRosterSignature),
            Refusal::BadWalletSignature,
            Refusal::StaleTimestamp { window_seconds: 1 },
            Refusal::RequestReplayed,
            Refusal::NetIdLocked,
            Refusal::DocumentNoLongerValid,
            Refusal::SignedAhead,
            Refusal::Verification(VerificationRefusal::ConsentNotRecorded),
            Refusal::Enrollment(EnrollmentRefusal::EvidenceMismatch),
            Refusal::Enrollment(EnrollmentRefusal::NameMismatch),
            Refusal::Enrollment(EnrollmentRefusal::EnrollmentCodeLocked),
            Refusal::Enrollment(EnrollmentRefusal::DocumentExpired),
            Refusal::Enrollment(EnrollmentRefusal::EnrollmentCodeUsed),
            Refusal::Enrollment(EnrollmentRefusal::RecoveryRequiresCode),
            Refusal::Enrollment(EnrollmentRefusal::GuardianRequired),
            Refusal::Enrollment(EnrollmentRefusal::GuardianNotRecognised),
            Refusal::Enrollment(EnrollmentRefusal::WalletKeyInUse),
            Refusal::Verification(VerificationRefusal::PresentationRejected),
            Refusal::Verification(VerificationRefusal::PresentationReplayed),
            Refusal::PlatformExists,
            Refusal::Enrollment(EnrollmentRefusal::EnrollmentConflict),
            Refusal::Ca(CaRefusal::InvalidCertificate {
                reason: "x".to_owned(),
            }),
            Refusal::Ca(CaRefusal::CertificateNotFound),
            Refusal::Ca(CaRefusal::CaHandedOver),
            Refusal::Ca(CaRefusal::UnknownCa),
            Refusal::UnknownPlatform,
            Refusal::PlatformSuspended,
            Refusal::PlatformRemoved,
            Refusal::UnknownStream,
            Refusal::StreamExists,
            Refusal::UnknownReceipt,
            Refusal::ReceiptGiven,
            Refusal::UnknownHolder,
            Refusal::RateLimited {
                retry_after_seconds: 1,
            },
            Refusal::Ca(CaRefusal::HandoverTooLarge { certificates: 1 }),
            Refusal::NetCertificate(NetCertificateRefusal::NetCertificateLimit { limit: 1 }),
            Refusal::Operator(OperatorRefusal::BearerRetired),
            Refusal::Operator(OperatorRefusal::BadProof(netid_authn::jwt::DpopError::Body)),
            Refusal::Operator(OperatorRefusal::ProofReplayed),
            Refusal::Operator(OperatorRefusal::WrongRole {
                needed: netid_proto::OperatorRole::Auditor,
                have: netid_proto::OperatorRole::CaOfficer,
            }),
            Refusal::Operator(OperatorRefusal::SameOperator),
            Refusal::Operator(OperatorRefusal::NotRequester),
            Refusal::Operator(OperatorRefusal::UnknownAct),
            Refusal::Operator(OperatorRefusal::ActClosed {
                status: "done",
                step: "approved",
            }),
            Refusal::Operator(OperatorRefusal::UnknownOperator),
            Refusal::Operator(OperatorRefusal::TooFewSecurityAdministrators),
            Refusal::Operator(OperatorRefusal::SecondFactorRequired),
            Refusal::Operator(OperatorRefusal::NoSecondFactor),
            Refusal::Operator(OperatorRefusal::CertificateNotTheirs),
            Refusal::Operator(OperatorRefusal::PasskeyEnrollment("x")),
            Refusal::Operator(OperatorRefusal::PasskeyRefused("x".to_owned())),
            Refusal::Ca(CaRefusal::CertificateNotTrusted {
                reason: "x".to_owned(),
            }),
            Refusal::Ca(CaRefusal::OutsideRecognisedScope {
                anchor: "x".to_owned(),
                scenarios: vec![],
            }),
            Refusal::InvalidQuery {
                parameter: "start",
                expected: "x",
            },
            Refusal::LogRange {
                reason: "x".to_owned(),
            },
        ];
        let mut codes = std::collections::HashSet::new();
        // The one refusal that is the service's state, not the client's fault: a 503 that
        // tells the client to come back once the operator has certified the CA.
        let (status, code, _) = classify_refusal(&Refusal::Ca(CaRefusal::CaNotCertified));
        assert_eq!(
            (status, code),
            (StatusCode::SERVICE_UNAVAILABLE, "ca_not_certified")
        );
        codes.insert(code);
        for refusal in &refusals {
            let (status, code, _) = classify_refusal(refusal);
            assert!(status.is_client_error(), "{code}");
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert!(codes.insert(code), "duplicate code {code}");
        }
        assert_eq!(
            classify_refusal(&Refusal::Unauthenticated).0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            classify_refusal(&Refusal::Enrollment(EnrollmentRefusal::EvidenceMismatch)),
            (
                StatusCode::FORBIDDEN,
                "evidence_mismatch",
                "Evidence does not match the authority's records"
            )
        );
        assert_eq!(
            classify_refusal(&Refusal::Verification(
                VerificationRefusal::PresentationReplayed
            ))
            .1,
            "presentation_replayed"
        );
    }

    #[tokio::test]
    async fn internal_errors_answer_generically() {
        let response = ApiError(Error::Internal("secret detail")).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let problem: Problem = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem.code, "internal_error");
        assert!(!problem.detail.contains("secret"));
    }
}
