//! Holders' electronic-signature certificates, asked for and revoked by the holder, who proves
//! the wallet key; platforms' mutual-TLS client certificates, asked for by the authenticated
//! platform. Both are issued by the CA inside the service (see `ca.rs`).

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_proto::{
    HolderCertificateRequest, HolderCertificateResponse, OperatorRevokeRequest,
    PlatformCertificateRequest, RenewCertificateRequest, RevokeCertificateRequest,
    RevokeCertificateResponse, signing,
};
use netid_store::PlatformRow;

use crate::ca;
use crate::error::{Error, Refusal};
use crate::state::AppState;
use crate::wallet::authenticate_holder;

/// The largest request accepted, in bytes of DER.
const MAX_CSR_BYTES: usize = 4096;

/// Issues a signing certificate to the holder who signed `request`.
pub(crate) async fn issue(
    state: &AppState,
    request: HolderCertificateRequest,
) -> Result<HolderCertificateResponse, Error> {
    let holder = authenticate_holder(
        &state.deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::certificate_request_message(&request.csr, &request.request_id, request.timestamp),
        &request.signature,
    )
    .await?;
    crate::lock::ensure_usable(&state.deps, &holder)?;
    let csr = decode_csr(&request.csr)?;
    let (row, certificate) = state.ca.issue_holder_certificate(&holder, &csr).await?;
    Ok(HolderCertificateResponse {
        serial: hex::encode(&row.serial),
        certificate,
        chain: state.ca.chain()?,
    })
}

/// Issues a mutual-TLS client certificate to the authenticated `platform`.
pub(crate) async fn issue_platform(
    state: &AppState,
    platform: &PlatformRow,
    request: PlatformCertificateRequest,
) -> Result<HolderCertificateResponse, Error> {
    let csr = decode_csr(&request.csr)?;
    let (row, certificate) = state
        .ca
        .issue_platform_certificate(&platform.client_id, &csr)
        .await?;
    Ok(HolderCertificateResponse {
        serial: hex::encode(&row.serial),
        certificate,
        chain: state.ca.chain()?,
    })
}

fn decode_csr(csr: &str) -> Result<Vec<u8>, Refusal> {
    Base64UrlUnpadded::decode_vec(csr)
        .ok()
        .filter(|der| der.len() <= MAX_CSR_BYTES)
        .ok_or(Refusal::InvalidField {
            field: "csr",
            reason: "expected base64url of a DER PKCS#10 request of at most 4096 bytes".to_owned(),
        })
}

/// Revokes one of the certificates of the holder who signed `request`.
pub(crate) async fn revoke(
    state: &AppState,
    request: RevokeCertificateRequest,
) -> Result<RevokeCertificateResponse, Error> {
    let holder = authenticate_holder(
        &state.deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::certificate_revocation_message(
            &request.serial,
            request.reason.as_deref(),
            &request.request_id,
            request.timestamp,
        ),
        &request.signature,
    )
    .await?;
    let reason = ca::parse_reason(request.reason.as_deref())?;
    let serial = decode_serial(&request.serial)?;
    let revoked = state
        .ca
        .revoke(crate::ca::Revoker::Holder(&holder), &serial, reason)
        .await?;
    Ok(RevokeCertificateResponse { revoked })
}

/// Revokes any certificate, for the operator.
pub(crate) async fn revoke_as_operator(
    state: &AppState,
    request: OperatorRevokeRequest,
    officer: &str,
) -> Result<RevokeCertificateResponse, Error> {
    let reason = ca::parse_reason(request.reason.as_deref())?;
    let serial = decode_serial(&request.serial)?;
    let revoked = state
        .ca
        .revoke(crate::ca::Revoker::Officer(officer), &serial, reason)
        .await?;
    Ok(RevokeCertificateResponse { revoked })
}

/// Renews one of the certificates of the holder who signed `request`.
pub(crate) async fn renew(
    state: &AppState,
    request: RenewCertificateRequest,
) -> Result<HolderCertificateResponse, Error> {
    let holder = authenticate_holder(
        &state.deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::certificate_renewal_message(
            &request.serial,
            &request.request_id,
            request.timestamp,
        ),
        &request.signature,
    )
    .await?;
    crate::lock::ensure_usable(&state.deps, &holder)?;
    let serial = decode_serial(&request.serial)?;
    let (row, certificate) = state.ca.renew_holder_certificate(&holder, &serial).await?;
    Ok(HolderCertificateResponse {
        serial: hex::encode(&row.serial),
        certificate,
        chain: state.ca.chain()?,
    })
}

fn decode_serial(serial: &str) -> Result<Vec<u8>, Refusal> {
    hex::decode(serial)
        .ok()
        .filter(|serial| !serial.is_empty() && serial.len() <= 20)
        .ok_or(Refusal::InvalidField {
            field: "serial",
            reason: "expected the serial number in hex, at most 20 bytes".to_owned(),
        })
}
