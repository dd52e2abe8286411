//! The CA's endpoints: the operator's certification of the issuing CA, the public chain, CRL
//! and OCSP responder (RFC 6960 over HTTP, POST and GET), and holders' certificates.

use axum::body::Bytes;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64ct::{Base64, Encoding};
use netid_proto::{
    ActPending, CaStatus, CertifyCaRequest, ExpiringCertificate, ExpiringCertificates, ForeignCa,
    ForeignCaList, HandoverRequest, HolderCertificateRequest, HolderCertificateResponse,
    InheritRequest, OperatorRevokeRequest, PlatformCertificateRequest, RecogniseForeignCaRequest,
    RenewCertificateRequest, RevokeCertificateRequest, RevokeCertificateResponse, SignedPackage,
    VerifyCertificateRequest, VerifyCertificateResponse, WithdrawForeignCaRequest,
    WithdrawForeignCaResponse,
};

use super::Route;
use super::error::ApiError;
use super::extract::{Json, Operator, Platform};
use super::operator::ask;
use crate::acts::Act;
use netid_ca::OcspFailure;
use netid_proto::OperatorRole;

use crate::error::CaRefusal;
use crate::error::Refusal;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/v1/operator/ca",
            handler: get(status),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/ca/certify",
            handler: post(certify),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/ca/rollover",
            handler: post(rollover),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/ca/revoke",
            handler: post(revoke_as_operator),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/ca/handover",
            handler: post(hand_over),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/ca/handover/package",
            handler: get(handover_package),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/ca/inherit",
            handler: post(inherit),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/ca/filing",
            handler: get(filing),
        },
        Route {
            method: Method::GET,
            path: "/v1/operator/ca/expiring",
            handler: get(expiring),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/ca/foreign",
            handler: post(recognise_foreign),
        },
        Route {
            method: Method::POST,
            path: "/v1/operator/ca/foreign/withdraw",
            handler: post(withdraw_foreign),
        },
        Route {
            method: Method::GET,
            path: "/v1/ca/foreign",
            handler: get(list_foreign),
        },
        Route {
            method: Method::POST,
            path: "/v1/ca/verify",
            handler: post(verify_certificate),
        },
        Route {
            method: Method::GET,
            path: "/v1/ca/chain",
            handler: get(chain),
        },
        Route {
            method: Method::GET,
            path: "/v1/ca/crl",
            handler: get(crl),
        },
        Route {
            method: Method::GET,
            path: "/v1/ca/crl/{key_id}",
            handler: get(crl_of),
        },
        Route {
            method: Method::POST,
            path: "/v1/ca/ocsp",
            handler: post(ocsp_post),
        },
        Route {
            method: Method::GET,
            path: "/v1/ca/ocsp/{*request}",
            handler: get(ocsp_get),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/certificates",
            handler: post(issue),
        },
        Route {
            method: Method::POST,
            path: "/v1/platform/certificates",
            handler: post(issue_platform),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/certificates/revoke",
            handler: post(revoke),
        },
        Route {
            method: Method::POST,
            path: "/v1/holders/certificates/renew",
            handler: post(renew),
        },
    ]
}

async fn status(
    State(state): State<AppState>,
    Operator(operator): Operator,
) -> Result<Json<CaStatus>, ApiError> {
    operator.require(OperatorRole::CaOfficer)?;
    state.ca.refresh().await?;
    Ok(Json(state.ca.status()?))
}

// The CA's key acts wait for a second CA officer (`crate::acts`).
async fn certify(
    State(state): State<AppState>,
    operator: Operator,
    Json(request): Json<CertifyCaRequest>,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    ask(&state, operator, Act::CaCertify(request)).await
}

async fn rollover(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    ask(&state, operator, Act::CaRollover).await
}

async fn revoke_as_operator(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(request): Json<OperatorRevokeRequest>,
) -> Result<Json<RevokeCertificateResponse>, ApiError> {
    operator.require(OperatorRole::CaOfficer)?;
    Ok(Json(
        crate::certificates::revoke_as_operator(&state, request, &operator.id).await?,
    ))
}

async fn hand_over(
    State(state): State<AppState>,
    operator: Operator,
    Json(request): Json<HandoverRequest>,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    ask(&state, operator, Act::CaHandover(request)).await
}

async fn handover_package(
    State(state): State<AppState>,
    Operator(operator): Operator,
) -> Result<Json<SignedPackage>, ApiError> {
    operator.require(OperatorRole::CaOfficer)?;
    state.ca.refresh().await?;
    Ok(Json(state.ca.handover_package()?))
}

async fn inherit(
    State(state): State<AppState>,
    operator: Operator,
    Json(request): Json<InheritRequest>,
) -> Result<(StatusCode, Json<ActPending>), ApiError> {
    ask(&state, operator, Act::CaInherit(request)).await
}

async fn filing(
    State(state): State<AppState>,
    Operator(operator): Operator,
) -> Result<Json<SignedPackage>, ApiError> {
    operator.require(OperatorRole::CaOfficer)?;
    Ok(Json(state.ca.filing().await?))
}

/// The longest look-ahead, in days.
const MAX_EXPIRING_DAYS: i64 = 3650;

async fn expiring(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<ExpiringCertificates>, ApiError> {
    operator.require(OperatorRole::CaOfficer)?;
    let days = match query.get("days") {
        None => 30,
        Some(days) => days
            .parse::<i64>()
            .ok()
            .filter(|days| (0..=MAX_EXPIRING_DAYS).contains(days))
            .ok_or(Refusal::InvalidQuery {
                parameter: "days",
                expected: "a whole number of days from 0 to 3650",
            })?,
    };
    let before = netid_store::Timestamp(state.deps.clock.now().0.saturating_add(days * 86_400));
    let mut certificates = state
        .ca
        .expiring_authorities(u64::try_from(before.0).unwrap_or(0));
    certificates.extend(
        state
            .deps
            .store
            .expiring_certificates(before)
            .await?
            .into_iter()
            .map(|row| ExpiringCertificate {
                serial: hex::encode(&row.serial),
                profile: row.profile,
                not_after: row.not_after.0,
            }),
    );
    certificates.sort_by_key(|certificate| certificate.not_after);
    Ok(Json(ExpiringCertificates { certificates }))
}

async fn recognise_foreign(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(request): Json<RecogniseForeignCaRequest>,
) -> Result<Json<ForeignCa>, ApiError> {
    operator.require(OperatorRole::CaOfficer)?;
    Ok(Json(
        crate::recognition::recognise(&state, request, &operator.id).await?,
    ))
}

async fn withdraw_foreign(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Json(request): Json<WithdrawForeignCaRequest>,
) -> Result<Json<WithdrawForeignCaResponse>, ApiError> {
    operator.require(OperatorRole::CaOfficer)?;
    Ok(Json(WithdrawForeignCaResponse {
        withdrawn: crate::recognition::withdraw(&state, &request.name, &operator.id).await?,
    }))
}

async fn list_foreign(State(state): State<AppState>) -> Result<Json<ForeignCaList>, ApiError> {
    Ok(Json(crate::recognition::list(&state).await?))
}

async fn verify_certificate(
    State(state): State<AppState>,
    Json(request): Json<VerifyCertificateRequest>,
) -> Result<Json<VerifyCertificateResponse>, ApiError> {
    Ok(Json(crate::recognition::verify(&state, request).await?))
}

async fn chain(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.ca.refresh().await?;
    Ok((
        [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
        state.ca.chain()?,
    )
        .into_response())
}

async fn crl(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(crl_response(state.ca.crl(None).await?))
}

/// The CRL of one CA generation, by its subject key identifier in hex (what its
/// certificates' CRL distribution point names).
async fn crl_of(
    State(state): State<AppState>,
    Path(key_id): Path<String>,
) -> Result<Response, ApiError> {
    let key_id = hex::decode(&key_id).map_err(|_| Refusal::Ca(CaRefusal::UnknownCa))?;
    Ok(crl_response(state.ca.crl(Some(&key_id)).await?))
}

fn crl_response(der: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response()
}

async fn ocsp_post(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    ocsp_answer(&state, &body).await
}

/// RFC 6960 Appendix A.1: `GET {url}/{url-encoding of base-64 encoding of the DER request}`;
/// the path extractor has already undone the URL encoding.
async fn ocsp_get(
    State(state): State<AppState>,
    Path(request): Path<String>,
) -> Result<Response, ApiError> {
    match Base64::decode_vec(&request) {
        Ok(der) => ocsp_answer(&state, &der).await,
        Err(_) => ocsp_failure(OcspFailure::MalformedRequest),
    }
}

/// OCSP clients read OCSP responses, not problem documents: failures are unsigned
/// `malformedRequest` or `tryLater` responses (RFC 6960 §2.3).
async fn ocsp_answer(state: &AppState, request: &[u8]) -> Result<Response, ApiError> {
    match state.ca.ocsp(request).await {
        Ok(response) => Ok(ocsp_response(response)),
        Err(crate::Error::Refused(
            Refusal::Ca(CaRefusal::CaNotCertified) | Refusal::Ca(CaRefusal::CaHandedOver),
        )) => ocsp_failure(OcspFailure::TryLater),
        Err(error) => Err(error.into()),
    }
}

fn ocsp_failure(failure: OcspFailure) -> Result<Response, ApiError> {
    let der = netid_ca::ocsp_failure_response(failure).map_err(crate::Error::from)?;
    Ok(ocsp_response(der))
}

fn ocsp_response(der: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/ocsp-response")], der).into_response()
}

async fn issue(
    State(state): State<AppState>,
    Json(request): Json<HolderCertificateRequest>,
) -> Result<Json<HolderCertificateResponse>, ApiError> {
    Ok(Json(crate::certificates::issue(&state, request).await?))
}

async fn issue_platform(
    State(state): State<AppState>,
    Platform(platform): Platform,
    Json(request): Json<PlatformCertificateRequest>,
) -> Result<Json<HolderCertificateResponse>, ApiError> {
    Ok(Json(
        crate::certificates::issue_platform(&state, &platform, request).await?,
    ))
}

async fn renew(
    State(state): State<AppState>,
    Json(request): Json<RenewCertificateRequest>,
) -> Result<Json<HolderCertificateResponse>, ApiError> {
    Ok(Json(crate::certificates::renew(&state, request).await?))
}

async fn revoke(
    State(state): State<AppState>,
    Json(request): Json<RevokeCertificateRequest>,
) -> Result<Json<RevokeCertificateResponse>, ApiError> {
    Ok(Json(crate::certificates::revoke(&state, request).await?))
}
