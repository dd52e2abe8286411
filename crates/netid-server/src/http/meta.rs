//! `GET /healthz`, `GET /metrics` (Prometheus text) and the OpenAPI 3.1 document at
//! `GET /v1/openapi.json`.

use axum::extract::State;
use axum::http::{Method, header};
use axum::response::IntoResponse;
use axum::routing::get;
use netid_proto::Health;
use serde_json::{Value, json};

use super::Route;
use super::extract::Json;
use crate::state::AppState;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/healthz",
            handler: get(|| async {
                Json(Health {
                    status: "ok".to_owned(),
                })
            }),
        },
        Route {
            method: Method::GET,
            path: "/v1/openapi.json",
            handler: get(|| async { Json(openapi_document()) }),
        },
        Route {
            method: Method::GET,
            path: "/metrics",
            handler: get(metrics),
        },
    ]
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state
            .metrics
            .render(state.backend, state.deps.store.group_commits()),
    )
}

fn problem_responses(codes: &[&str]) -> Value {
    let mut responses = serde_json::Map::new();
    for code in codes {
        responses.insert(
            (*code).to_owned(),
            json!({
                "description": "Problem details (RFC 9457) with a stable `code`",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            }),
        );
    }
    Value::Object(responses)
}

fn operation(
    summary: &str,
    security: Value,
    request: Option<&str>,
    ok: (&str, &str),
    errors: &[&str],
) -> Value {
    let mut responses = problem_responses(errors);
    if let Value::Object(map) = &mut responses {
        map.insert(
            ok.0.to_owned(),
            json!({
                "description": "Success",
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", ok.1)}}}
            }),
        );
    }
    let mut operation = json!({ "summary": summary, "security": security, "responses": responses });
    if let (Some(schema), Value::Object(map)) = (request, &mut operation) {
        map.insert(
            "requestBody".to_owned(),
            json!({
                "required": true,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
            }),
        );
    }
    operation
}

/// A GET answered with `text/plain`.
fn text_operation(summary: &str, security: &Value) -> Value {
    json!({"summary": summary, "security": security, "responses": {"200": {"description": "Success", "content": {"text/plain": {"schema": {"type": "string"}}}}}})
}

/// `operation` with required integer query parameters.
fn with_query(mut operation: Value, names: &[&str]) -> Value {
    let parameters: Vec<Value> = names
        .iter()
        .map(|name| json!({"name": name, "in": "query", "required": true, "schema": {"type": "integer", "minimum": 0}}))
        .collect();
    if let Value::Object(map) = &mut operation {
        map.insert("parameters".to_owned(), Value::Array(parameters));
    }
    operation
}

/// The OpenAPI 3.1 description of every route.
pub(super) fn openapi_document() -> Value {
    let operator = json!([{"operatorProof": []}]);
    let platform = json!([{"platformBasic": []}]);
    let public = json!([]);
    let more_paths = succession_paths(&operator, &public);
    let oidc_paths = oidc_paths(&platform, &public);
    let web_paths = web_paths(&public);
    let signal_paths = super::signals::paths(&platform, &public);
    let vci_paths = super::vci::paths(&public);
    let grant_paths = grant_paths(&operator, &platform, &public);
    let string = json!({"type": "string"});
    let public_key = json!({
        "description": "SPKI PEM or JWK of an SM2 or P-256 key",
        "oneOf": [
            {"type": "object", "required": ["pem"], "properties": {"pem": {"type": "string"}}, "additionalProperties": false},
            {"type": "object", "required": ["jwk"], "properties": {"jwk": {"type": "object", "required": ["kty", "crv", "x", "y"], "properties": {"kty": string, "crv": {"enum": ["SM2", "P-256"]}, "x": string, "y": string}}}, "additionalProperties": false}
        ]
    });
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "netid",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "National network identity authentication public service: enrollment with a statutory document, result-only verification with pairwise pseudonyms."
        },
        "paths": {
            "/healthz": {"get": operation("Liveness", public.clone(), None, ("200", "Health"), &[])},
            "/metrics": {"get": {"summary": "Operational metrics, Prometheus text format: requests and latency per route and status, verifications and disclosures per platform, log size and sequencing time, storage errors, rate-limit refusals; no personal data", "security": public.clone(), "responses": {"200": {"description": "Prometheus text exposition format 0.0.4", "content": {"text/plain": {}}}}}},
            "/v1/openapi.json": {"get": {"summary": "This document", "security": public.clone(), "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {"application/json": {}}}}}},
            "/v1/operator/authorities": {"post": operation("Trust a document authority's signature key", operator.clone(), Some("RegisterAuthorityRequest"), ("200", "RegisterAuthorityResponse"), &["400", "401", "413", "422"])},
            "/v1/operator/rosters": {"post": operation("Load a roster signed by a registered authority (replaces its previous roster)", operator.clone(), Some("SignedRoster"), ("200", "LoadRosterResponse"), &["400", "401", "413", "422"])},
            "/v1/operator/platforms": {
                "post": operation("Register a platform; the credential is returned once", operator.clone(), Some("RegisterPlatformRequest"), ("201", "RegisterPlatformResponse"), &["400", "401", "409", "422"]),
                "get": operation("Every platform with its standing (any operator); no personal data", operator.clone(), None, ("200", "PlatformList"), &["401"])
            },
            "/v1/holders/enroll": {"post": operation("Enroll with a statutory document, or recover (same person: new wallet key, same Net ID)", public.clone(), Some("EnrollRequest"), ("200", "EnrollResponse"), &["400", "403", "409", "413", "422"])},
            "/v1/presentation-key": {"get": operation("The SM2 key a holder's wallet seals each presentation to, so that only the service learns who presents", public.clone(), None, ("200", "PresentationKey"), &[])},
            "/v1/platform/verify": {"post": operation("Verify a holder's presentation: result, asked age predicates and pairwise pseudonym only", platform.clone(), Some("VerifyRequest"), ("200", "VerifyResponse"), &["400", "401", "403", "422"])},
            "/v1/holders/log": {"post": operation("A holder's own transparency-log entries with inclusion proofs, and their log key", public.clone(), Some("HolderLogRequest"), ("200", "HolderLogResponse"), &["400", "403", "409", "413", "422"])},
            "/v1/log/key": {"get": text_operation("The log's verifier key (C2SP signed-note vkey)", &public)},
            "/v1/log/checkpoint": {"get": text_operation("The latest signed checkpoint (C2SP tlog-checkpoint), covering every act acknowledged before the request", &public)},
            "/v1/log/tile/{tile}": {"get": {"summary": "C2SP tlog-tiles under the prefix /v1/log: hash tiles <L>/<N>[.p/<W>] and entry bundles entries/<N>[.p/<W>]", "security": public.clone(), "parameters": [{"name": "tile", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "Tile bytes", "content": {"application/octet-stream": {}}}, "404": {"description": "Not (yet) covered by the checkpoint, or not a tile path"}}}},
            "/v1/operator/ca": {"get": operation("The CA's suite, the issuing key to certify offline, and the chain once certified", operator.clone(), None, ("200", "CaStatus"), &["401"])},
            "/v1/operator/ca/certify": {"post": operation("Install the issuing CA certificate the offline root issued; certifies the OCSP responder. A CA officer asks (202 ActPending); a second approves; the first carries it out (/v1/operator/acts/{request_id}/carry-out answers CaStatus)", operator.clone(), Some("CertifyCaRequest"), ("202", "ActPending"), &["400", "401", "422"])},
            "/v1/operator/ca/filing": {"get": operation("The supervisor's filing package (chain, fingerprints, policies, issuance counts), signed by the issuing CA", operator.clone(), None, ("200", "SignedPackage"), &["401", "503"])},
            "/v1/operator/ca/expiring": {"get": {"summary": "Certificates (not revoked) whose validity ends within `days` (default 30, at most 3650), soonest first; holders are not named", "security": operator.clone(), "parameters": [{"name": "days", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 3650}}], "responses": {"200": {"description": "Success", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExpiringCertificates"}}}}, "400": {"description": "Invalid days"}, "401": {"description": "Not the operator"}}}},
            "/v1/operator/ca/foreign": {"post": operation("Recognise a foreign CA with its documentation and the scenarios its certificates are recognised for", operator.clone(), Some("RecogniseForeignCaRequest"), ("200", "ForeignCa"), &["400", "401", "422"])},
            "/v1/operator/ca/foreign/withdraw": {"post": operation("Withdraw the recognition of a foreign CA", operator.clone(), Some("WithdrawForeignCaRequest"), ("200", "WithdrawForeignCaResponse"), &["400", "401"])},
            "/v1/ca/foreign": {"get": operation("The recognised foreign CAs and their scopes", public.clone(), None, ("200", "ForeignCaList"), &[])},
            "/v1/ca/verify": {"post": operation("Is this certificate trusted here (netid's root, or a recognised foreign root within its scope) for this scenario?", public.clone(), Some("VerifyCertificateRequest"), ("200", "VerifyCertificateResponse"), &["400", "422"])},
            "/v1/ca/chain": {"get": {"summary": "The issuing CA and root certificates", "security": public.clone(), "responses": {"200": {"description": "PEM", "content": {"application/pem-certificate-chain": {}}}, "503": {"description": "Not certified yet"}}}},
            "/v1/ca/crl": {"get": {"summary": "The issuing CA's full CRL, made now, valid one hour", "security": public.clone(), "responses": {"200": {"description": "DER", "content": {"application/pkix-crl": {}}}, "503": {"description": "Not certified yet"}}}},
            "/v1/ca/ocsp": {"post": {"summary": "OCSP (RFC 6960): a DER request in, a DER response out", "security": public.clone(), "requestBody": {"required": true, "content": {"application/ocsp-request": {}}}, "responses": {"200": {"description": "DER", "content": {"application/ocsp-response": {}}}, "503": {"description": "Not certified yet"}}}},
            "/v1/ca/ocsp/{request}": {"get": {"summary": "OCSP by GET (RFC 6960 A.1): the URL-encoded base64 of the DER request", "security": public.clone(), "parameters": [{"name": "request", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "DER", "content": {"application/ocsp-response": {}}}, "400": {"description": "Not base64"}, "503": {"description": "Not certified yet"}}}},
            "/v1/holders/certificates": {"post": operation("A holder's electronic-signature certificate (pseudonymous subject) for a PKCS#10 request", public.clone(), Some("HolderCertificateRequest"), ("200", "HolderCertificateResponse"), &["400", "403", "409", "422", "503"])},
            "/v1/platform/certificates": {"post": operation("A platform's mutual-TLS client certificate (CN = client id) for a PKCS#10 request", platform.clone(), Some("PlatformCertificateRequest"), ("200", "HolderCertificateResponse"), &["400", "401", "503"])},
            "/v1/holders/certificates/revoke": {"post": operation("A holder revokes one of their certificates", public.clone(), Some("RevokeCertificateRequest"), ("200", "RevokeCertificateResponse"), &["400", "403", "404", "409", "503"])},
            "/v1/log/entries": {"get": with_query(operation("Log entries start..end (at most 1000), leaf bytes as strings", public.clone(), None, ("200", "LogEntries"), &["400"]), &["start", "end"])},
            "/v1/log/proof/inclusion": {"get": with_query(operation("RFC 9162 inclusion proof of entry `index` in the tree of `size`", public.clone(), None, ("200", "InclusionProof"), &["400"]), &["index", "size"])},
            "/v1/log/proof/consistency": {"get": with_query(operation("RFC 9162 consistency proof between tree sizes `old` and `new`", public, None, ("200", "ConsistencyProof"), &["400"]), &["old", "new"])}
        },
        "components": {
            "securitySchemes": {
                "operatorProof": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`NetID-Operator <proof>`: a JWS (typ netid-operator+jwt, the operator's public key in jwk) with htm, htu (the path), iat, jti and bh (base64url SHA-256 of the body), signed by the operator's own key; served on the administration listener only"},
                "platformBasic": {"type": "http", "scheme": "basic", "description": "client_id:credential from platform registration"},
                "holderSession": {"type": "apiKey", "in": "cookie", "name": "netid_session", "description": "the web app session, after signing in with a passkey"}
            },
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "title", "status", "detail", "code"], "properties": {"type": string, "title": string, "status": {"type": "integer"}, "detail": string, "code": string}},
                "Health": {"type": "object", "required": ["status"], "properties": {"status": string}},
                "PublicKey": public_key,
                "RegisterAuthorityRequest": {"type": "object", "required": ["name", "public_key"], "additionalProperties": false, "properties": {"name": string, "public_key": {"$ref": "#/components/schemas/PublicKey"}}},
                "RegisterAuthorityResponse": {"type": "object", "required": ["name", "suite"], "properties": {"name": string, "suite": {"enum": ["gm", "intl"]}}},
                "SignedRoster": {"type": "object", "required": ["alg", "authority", "payload", "signature"], "additionalProperties": false, "properties": {"alg": {"enum": ["SM2SM3", "ES256"]}, "authority": string, "payload": {"type": "string", "description": "base64url of the RosterPayload JSON bytes"}, "signature": {"type": "string", "description": "base64url of r||s over the payload bytes"}}},
                "RosterPayload": {"type": "object", "required": ["authority", "issued_at", "records"], "properties": {"authority": string, "issued_at": {"type": "string", "format": "date"}, "records": {"type": "array", "items": {"$ref": "#/components/schemas/RosterEntry"}}}},
                "RosterEntry": {"type": "object", "required": ["document_type", "document_number", "name", "birth_date", "nationality", "expiry", "person_ref"], "properties": {"document_type": string, "document_number": string, "name": string, "birth_date": {"type": "string", "format": "date"}, "sex": {"enum": ["male", "female"]}, "nationality": string, "expiry": {"type": "string", "description": "YYYY-MM-DD or long-term"}, "person_ref": string, "enrollment_code": string, "guardian_person_ref": string, "guardian_person_refs": {"type": "array", "description": "for a minor: the guardians' person references (with guardian_person_ref); the enrolled adults among them are the guardians on record until 18", "items": string}}},
                "LoadRosterResponse": {"type": "object", "required": ["authority", "records"], "properties": {"authority": string, "records": {"type": "integer"}}},
                "RegisterPlatformRequest": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {"name": string, "sector_of": {"type": "string", "description": "client id of a platform whose pseudonym sector to join"}}},
                "RegisterPlatformResponse": {"type": "object", "required": ["client_id", "credential", "sector"], "properties": {"client_id": string, "credential": string, "sector": string}},
                "EnrollRequest": {"type": "object", "required": ["document_type", "document_number", "name", "notice_version", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"document_type": string, "document_number": string, "name": string, "enrollment_code": string, "notice_version": {"type": "string", "description": "the version of GET /v1/notice the applicant read and accepts (403 notice_not_accepted otherwise)"}, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-enrollment-v3\\ndocument_type\\ndocument_number\\nname\\nenrollment_code\\nnotice_version\\nrequest_id\\ntimestamp"}, "guardian": {"type": "object", "required": ["wallet_key", "signature"], "properties": {"wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "signature": {"type": "string", "description": "base64url r||s over netid-guardian-consent-v1\\n<minor's signature>"}}}}},
                "EnrollResponse": {"type": "object", "required": ["net_id", "outcome"], "properties": {"net_id": string, "outcome": {"enum": ["enrolled", "recovered"]}}},
                "VerifyRequest": {"type": "object", "required": ["presentation"], "additionalProperties": false, "properties": {"presentation": {"type": "object", "required": ["nonce", "timestamp", "sealed"], "additionalProperties": false, "properties": {"nonce": {"type": "string", "minLength": 16, "maxLength": 128}, "predicates": {"type": "array", "items": {"enum": ["age_over_14", "age_over_18"]}}, "timestamp": {"type": "integer"}, "sealed": {"type": "string", "description": "base64url of an SM2 ciphertext (GB/T 32918.4, DER) to the key of GET /v1/presentation-key, of the JSON {wallet_key: PublicKey, signature: base64url r||s over netid-presentation-v1\\nclient_id\\nnonce\\npredicates\\ntimestamp}; fresh each time, readable by the service alone"}}}}},
                "PresentationKey": {"type": "object", "required": ["alg", "public_key"], "properties": {"alg": {"enum": ["SM2"]}, "public_key": {"type": "string", "description": "SPKI PEM of the SM2 key presentations are sealed to"}}},
                "VerifyResponse": {"type": "object", "required": ["real_name_verified", "subject"], "properties": {"real_name_verified": {"type": "boolean"}, "age_over_14": {"type": "boolean"}, "age_over_18": {"type": "boolean"}, "subject": {"type": "string", "description": "pairwise pseudonym, hex of HMAC-SM3(k_pairwise, net_id || sector)"}, "claims": {"type": "object", "description": "plaintext fields granted by the platform's approved profile and consented to by the holder", "additionalProperties": {"type": "string"}}}}
            }
        }
    });
    if let Some(Value::Object(paths)) = document.pointer_mut("/paths") {
        if let Value::Object(more) = more_paths {
            paths.extend(more);
        }
        if let Value::Object(more) = grant_paths {
            paths.extend(more);
        }
        if let Value::Object(more) = oidc_paths {
            paths.extend(more);
        }
        if let Value::Object(more) = web_paths {
            paths.extend(more);
        }
        if let Value::Object(more) = signal_paths {
            paths.extend(more);
        }
        if let Value::Object(more) = vci_paths {
            paths.extend(more);
        }
    }
    if let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") {
        if let Value::Object(more) = log_schemas(&string) {
            schemas.extend(more);
        }
        if let Value::Object(more) = privacy_schemas(&string) {
            schemas.extend(more);
        }
        schemas.insert(
            "HandoverRequest".to_owned(),
            json!({"type": "object", "required": ["successor_responder_key"], "additionalProperties": false, "properties": {"successor_responder_key": {"type": "string", "description": "the successor's responder_public_key, SPKI PEM"}}}),
        );
        schemas.insert(
            "ProfileRequest".to_owned(),
            json!({"type": "object", "required": ["fields"], "additionalProperties": false, "properties": {"fields": {"type": "array", "items": {"type": "object", "required": ["field", "legal_basis", "purpose", "retention_days"], "properties": {"field": {"enum": ["net_id", "name", "birth_date", "document_type", "document_number", "nationality"]}, "legal_basis": string, "purpose": string, "retention_days": {"type": "integer", "minimum": 1, "maximum": 3650}}}}}}),
        );
        schemas.insert(
            "ProfileDecision".to_owned(),
            json!({"type": "object", "required": ["client_id"], "additionalProperties": false, "properties": {"client_id": string, "approve": {"type": "array", "items": string}, "refuse": {"type": "array", "items": string}, "valid_days": {"type": "integer", "minimum": 1, "maximum": 1095, "description": "how long the approvals hold; 1095 (three years) by default"}}}),
        );
        schemas.insert(
            "Profile".to_owned(),
            json!({"type": "object", "required": ["client_id", "name", "fields", "standing"], "properties": {"client_id": string, "name": string, "fields": {"type": "array", "items": {"type": "object", "required": ["field", "legal_basis", "purpose", "retention_days", "status"], "properties": {"field": string, "legal_basis": string, "purpose": string, "retention_days": {"type": "integer"}, "status": {"enum": ["requested", "approved", "expired", "refused"]}, "approved_until": {"type": "integer", "description": "Unix seconds; an approval holds at most three years"}}}}, "shares_pseudonyms_with": {"type": "array", "items": string, "description": "the other platforms of its declared pseudonym sector, which see the same pseudonym for each holder"}, "standing": {"$ref": "#/components/schemas/Standing"}, "commitments": {"type": "object", "required": ["no_extra_plaintext", "equal_service", "declared_at"], "properties": {"no_extra_plaintext": {"type": "boolean"}, "equal_service": {"type": "boolean"}, "declared_at": {"type": "integer"}}}}}),
        );
        let category = json!({"enum": ["extra_plaintext", "refused_without_net_id", "kept_past_retention", "other"]});
        let complaint_status =
            json!({"enum": ["received", "investigating", "upheld", "dismissed"]});
        let action = json!({"enum": ["none", "warning", "suspension", "removal"]});
        schemas.insert(
            "ComplaintRequest".to_owned(),
            json!({"type": "object", "required": ["client_id", "category", "text", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"client_id": string, "category": category, "text": {"type": "string", "maxLength": 1000, "description": "one line"}, "wallet_key": {"type": "object"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url by the wallet key over netid-complaint-v1\\nclient_id\\ncategory\\ntext\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "ComplaintView".to_owned(),
            json!({"type": "object", "required": ["reference", "client_id", "category", "status", "filed_at", "updated_at"], "properties": {"reference": string, "client_id": string, "category": category, "status": complaint_status, "resolution": string, "action": action, "filed_at": {"type": "integer"}, "updated_at": {"type": "integer"}}}),
        );
        schemas.insert(
            "OperatorComplaints".to_owned(),
            json!({"type": "object", "required": ["complaints"], "properties": {"complaints": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/ComplaintView"}, {"type": "object", "properties": {"text": string, "handled_by": string}}]}}}}),
        );
        schemas.insert(
            "HandleComplaintRequest".to_owned(),
            json!({"type": "object", "required": ["status", "resolution", "action"], "additionalProperties": false, "properties": {"status": {"enum": ["investigating", "upheld", "dismissed"]}, "resolution": {"type": "string", "maxLength": 1000}, "action": action}}),
        );
        schemas.insert(
            "ComplaintCounts".to_owned(),
            json!({"type": "object", "required": ["platforms"], "properties": {"platforms": {"type": "array", "items": {"type": "object", "required": ["client_id", "received", "investigating", "upheld", "dismissed"], "properties": {"client_id": string, "received": {"type": "integer"}, "investigating": {"type": "integer"}, "upheld": {"type": "integer"}, "dismissed": {"type": "integer"}}}}}}),
        );
        schemas.insert(
            "ReceiptRequest".to_owned(),
            json!({"type": "object", "required": ["jti", "deleted"], "additionalProperties": false, "properties": {"jti": string, "deleted": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 100, "description": "one line"}}}}),
        );
        schemas.insert(
            "ReceiptView".to_owned(),
            json!({"type": "object", "required": ["reference", "client_id", "event", "kept_until"], "properties": {"reference": string, "client_id": string, "event": {"enum": ["account_purged", "consent_withdrawn"]}, "acknowledged_at": {"type": "integer"}, "deleted": {"type": "array", "items": string}, "received_at": {"type": "integer"}, "kept_until": {"type": "integer"}}}),
        );
        schemas.insert(
            "Standing".to_owned(),
            json!({"type": "object", "required": ["status"], "properties": {"status": {"enum": ["active", "suspended", "removed"]}, "since": {"type": "integer"}, "reason": string}}),
        );
        schemas.insert(
            "CommitmentsRequest".to_owned(),
            json!({"type": "object", "required": ["no_extra_plaintext", "equal_service"], "additionalProperties": false, "properties": {"no_extra_plaintext": {"const": true}, "equal_service": {"const": true}}}),
        );
        schemas.insert(
            "PlatformStatusRequest".to_owned(),
            json!({"type": "object", "required": ["client_id", "status", "reason"], "additionalProperties": false, "properties": {"client_id": string, "status": {"enum": ["active", "suspended", "removed"]}, "reason": {"type": "string", "maxLength": 300, "description": "public in the platform's profile: no personal data"}}}),
        );
        schemas.insert(
            "PlatformList".to_owned(),
            json!({"type": "object", "required": ["platforms"], "properties": {"platforms": {"type": "array", "items": {"type": "object", "required": ["client_id", "name", "registered_at", "standing"], "properties": {"client_id": string, "name": string, "registered_at": {"type": "integer"}, "standing": {"$ref": "#/components/schemas/Standing"}}}}}}),
        );
        schemas.insert(
            "ServiceSigned".to_owned(),
            json!({"type": "object", "required": ["alg", "payload", "signature", "key"], "properties": {"alg": {"enum": ["SM2SM3"]}, "payload": {"type": "string", "description": "base64url of the JSON (a Profile of approved fields, or a consent receipt)"}, "signature": {"type": "string", "description": "base64url DER SM2 signature over the payload bytes"}, "key": string}}),
        );
        schemas.insert(
            "Notice".to_owned(),
            json!({"type": "object", "required": ["version", "language", "operator", "purpose", "method", "held", "data_types", "retention", "rights", "sensitive_data"], "properties": {"version": {"type": "string", "description": "the same in both languages; accepted at enrollment and on the next use after it changes"}, "language": {"enum": ["zh", "en"]}, "operator": string, "purpose": string, "method": string, "held": {"type": "array", "description": "what the centre holds about a holder, item by item", "items": string}, "data_types": {"type": "array", "description": "the fields a platform may be granted", "items": string}, "retention": string, "rights": string, "sensitive_data": string}}),
        );
        schemas.insert(
            "ConsentRequest".to_owned(),
            json!({"type": "object", "required": ["client_id", "fields", "notice_version", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"client_id": string, "fields": {"type": "array", "items": string}, "notice_version": string, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-consent-v2\\nclient_id\\nfields (comma-separated)\\nnotice_version\\nrequest_id\\ntimestamp"}, "guardian": {"type": "object"}}}),
        );
        schemas.insert(
            "WithdrawConsentRequest".to_owned(),
            json!({"type": "object", "required": ["client_id", "fields", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"client_id": string, "fields": {"type": "array", "items": string}, "ward_net_id": {"type": "string", "description": "a guardian withdrawing for a child under 14: the child's Net ID; the guardian signs netid-ward-consent-withdrawal-v2\\nward_net_id\\nclient_id\\nfields\\nrequest_id\\ntimestamp"}, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-consent-withdrawal-v2\\nclient_id\\nfields\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "WithdrawConsentResponse".to_owned(),
            json!({"type": "object", "required": ["withdrawn"], "properties": {"withdrawn": {"type": "integer"}}}),
        );
        schemas.insert(
            "DeleteRequest".to_owned(),
            json!({"type": "object", "required": ["wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-deletion-v2\\nrequest_id\\ntimestamp"}, "guardian": {"type": "object", "required": ["wallet_key", "signature"], "properties": {"wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "signature": {"type": "string", "description": "base64url r||s over netid-guardian-approval-v1\\ndeletion\\n<holder's signature>"}}}}}),
        );
        schemas.insert(
            "WardDeleteRequest".to_owned(),
            json!({"type": "object", "required": ["ward_net_id", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"ward_net_id": string, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "the guardian's base64url r||s over netid-ward-deletion-v2\\nward_net_id\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "NoticeAcceptRequest".to_owned(),
            json!({"type": "object", "required": ["notice_version", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"notice_version": string, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-notice-acceptance-v1\\nnotice_version\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "NoticeAcceptResponse".to_owned(),
            json!({"type": "object", "required": ["notice_version", "accepted_at"], "properties": {"notice_version": string, "accepted_at": {"type": "integer"}}}),
        );
        schemas.insert(
            "PushSubscribeRequest".to_owned(),
            json!({"type": "object", "required": ["subscription", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"subscription": {"type": "object", "required": ["endpoint", "keys"], "properties": {"endpoint": {"type": "string", "description": "https, of a push service in NETID_PUSH_HOSTS"}, "expirationTime": {"type": ["integer", "null"]}, "keys": {"type": "object", "required": ["p256dh", "auth"], "properties": {"p256dh": string, "auth": string}}}}, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-push-subscription-v1\\nendpoint\\np256dh\\nauth\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "PushSubscribed".to_owned(),
            json!({"type": "object", "required": ["id"], "properties": {"id": string}}),
        );
        schemas.insert(
            "PushKey".to_owned(),
            json!({"type": "object", "required": ["public_key"], "properties": {"public_key": string}}),
        );
        schemas.insert(
            "WardPlatformRequest".to_owned(),
            json!({"type": "object", "required": ["ward_net_id", "client_id", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"ward_net_id": string, "client_id": string, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "the guardian's base64url r||s over netid-ward-platform-v1\\nward_net_id\\nclient_id\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "WardPlatformResponse".to_owned(),
            json!({"type": "object", "required": ["client_id", "changed"], "properties": {"client_id": string, "changed": {"type": "boolean", "description": "false: approved before"}}}),
        );
        schemas.insert(
            "CorrectionRequest".to_owned(),
            json!({"type": "object", "required": ["message", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"message": {"type": "string", "description": "1 to 500 characters, one line"}, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-correction-v1\\nmessage\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "CorrectionStatus".to_owned(),
            json!({"type": "object", "required": ["reference", "authority", "asked_at"], "properties": {"reference": string, "authority": string, "asked_at": {"type": "integer"}, "closed_at": {"type": "integer", "description": "when a roster changed the record after it; open until then"}}}),
        );
        schemas.insert(
            "AuthorityCorrectionsRequest".to_owned(),
            json!({"type": "object", "required": ["authority", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"authority": string, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s by the authority's roster key over netid-authority-corrections-v1\\nauthority\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "OpenCorrections".to_owned(),
            json!({"type": "array", "items": {"type": "object", "required": ["reference", "asked_at", "document_type", "document_number", "name", "birth_date", "message"], "properties": {"reference": string, "asked_at": {"type": "integer"}, "document_type": string, "document_number": string, "name": string, "birth_date": string, "message": string}}}),
        );
        schemas.insert(
            "LockRequest".to_owned(),
            json!({"type": "object", "required": ["wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-lock-v1 (or netid-unlock-v1)\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "HolderRecord".to_owned(),
            json!({"type": "object", "required": ["net_id", "document_type", "document_number", "name", "birth_date", "nationality", "expiry", "document_valid", "locked"], "properties": {"net_id": string, "document_type": string, "document_number": string, "name": string, "birth_date": string, "sex": string, "nationality": string, "expiry": {"type": "string", "description": "YYYY-MM-DD, or long-term"}, "document_valid": {"type": "boolean"}, "locked": {"type": "boolean"}, "complaints": {"type": "array", "items": {"$ref": "#/components/schemas/ComplaintView"}}, "receipts": {"type": "array", "items": {"$ref": "#/components/schemas/ReceiptView"}}}}),
        );
        schemas.insert(
            "LockResponse".to_owned(),
            json!({"type": "object", "required": ["locked", "changed"], "properties": {"locked": {"type": "boolean"}, "changed": {"type": "boolean", "description": "false: it was so already, and nothing was logged"}}}),
        );
        schemas.insert(
            "DeleteResponse".to_owned(),
            json!({"type": "object", "required": ["deleted"], "properties": {"deleted": {"type": "boolean"}, "receipts": {"type": "array", "items": string, "description": "the references of the signals that told the platforms; each platform's receipt is at /v1/transparency/receipts/{reference}: keep them, the centre no longer knows they were yours"}}}),
        );
        schemas.insert(
            "NetCertificateRequest".to_owned(),
            json!({"type": "object", "required": ["holder_keys", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"holder_keys": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "object", "required": ["kty", "crv", "x", "y"], "properties": {"kty": string, "crv": {"enum": ["SM2", "P-256"]}, "x": string, "y": string}}}, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-net-certificate-request-v2\\n<RFC 7638 thumbprint of each holder key, one per line>\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "NetCertificateResponse".to_owned(),
            json!({"type": "object", "required": ["credentials"], "properties": {"credentials": {"type": "array", "items": {"type": "string", "description": "SD-JWT VC: <JWT>~<Disclosure>~...~"}}}}),
        );
        schemas.insert(
            "InheritRequest".to_owned(),
            json!({"type": "object", "required": ["package", "expected_root_sha256"], "additionalProperties": false, "properties": {"package": {"$ref": "#/components/schemas/SignedPackage"}, "expected_root_sha256": {"type": "string", "description": "hex SHA-256 of the predecessor's root certificate (DER)"}}}),
        );
        schemas.insert(
            "OperatorRevokeRequest".to_owned(),
            json!({"type": "object", "required": ["serial"], "additionalProperties": false, "properties": {"serial": string, "reason": {"enum": ["unspecified", "key_compromise", "superseded", "cessation_of_operation"]}}}),
        );
        schemas.insert(
            "RenewCertificateRequest".to_owned(),
            json!({"type": "object", "required": ["serial", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"serial": string, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-certificate-renewal-v2\\nserial\\nrequest_id\\ntimestamp"}}}),
        );
        schemas.insert(
            "ExpiringCertificates".to_owned(),
            json!({"type": "object", "required": ["certificates"], "properties": {"certificates": {"type": "array", "items": {"type": "object", "required": ["serial", "profile", "not_after"], "properties": {"serial": string, "profile": string, "not_after": {"type": "integer"}}}}}}),
        );
    }
    document
}

/// The paths of the holder web app (`crate::web`): pages, passkeys and the session API.
fn web_paths(public: &Value) -> Value {
    let session = json!([{"holderSession": []}]);
    let page = |summary: &str| json!({"get": {"summary": summary, "security": public.clone(), "responses": {"200": {"description": "The page or asset"}}}});
    let call = |summary: &str, security: &Value| json!({"summary": summary, "security": security.clone(), "responses": {"200": {"description": "Success (JSON)"}, "400": {"description": "Problem details"}, "401": {"description": "Not signed in"}}});
    let mut paths = json!({
        "/app": {"get": {"summary": "Redirects to /app/", "security": public.clone(), "responses": {"308": {"description": "To /app/"}}}},
        "/app/": page("The holder web app (Simplified Chinese by default, English one click away)"),
        "/console": {"get": {"summary": "Redirects to /console/ (administration listener only)", "security": public.clone(), "responses": {"308": {"description": "To /console/"}}}},
        "/console/": page("The operator console, on the administration listener only: the queue of acts, the operator accounts, the security events; the page signs each request with the operator's own key (P-256)"),
        "/console/console.js": page("The console's script"),
        "/console/app.css": page("The web app's styles, which the console shares"),
        "/console/console.css": page("The console's own styles"),
        "/app/app.js": page("The web app's script"),
        "/app/sw.js": page("The web app's service worker, for the alerts a holder asks for (Web Push)"),
        "/app/app.css": page("The web app's styles"),
        "/app/logcheck.js": page("The web app's check of log checkpoints, inclusion proofs and holder tags"),
        "/app/vendor/sm3.js": page("SM3 for the page, from sm-crypto 0.5.8 (MIT)"),
        "/app/vendor/sm2.js": page("SM2 signature checks for the page, from sm-crypto 0.5.8 (MIT, with jsbn)"),
        "/v1/holders/passkeys/link": {"post": operation("A one-time link (10 minutes) to add a passkey for this holder in a browser; the wallet signs netid-passkey-link-v2\\nrequest_id\\ntimestamp", public.clone(), Some("PasskeyLinkRequest"), ("200", "PasskeyLinkResponse"), &["400", "403", "409", "422"])},
        "/app/api/challenge": {"post": call("A WebAuthn challenge (5 minutes, single use) and the relying-party id", public)},
        "/app/api/passkeys": {"post": call("Adds a passkey (ES256, user verification required) with a link from the wallet; starts a session (cookie)", public)},
        "/app/api/session": {"post": call("Signs in with a passkey; starts a session (cookie, 30 minutes)", public)},
        "/app/api/logout": {"post": call("Ends the session", &session)},
        "/app/api/me": {"get": call("The holder's Net ID, certificates, live consents, passkeys and web sessions", &session)},
        "/app/api/record": {"get": call("The record the service holds about the holder (as POST /v1/holders/record answers), not cached", &session)},
        "/app/api/passkeys/remove": {"post": call("Removes one of the holder's passkeys, a log entry in their history: {id: base64url credential id}", &session)},
        "/app/api/sessions/remove": {"post": call("Ends one of the holder's web sessions: {id: the short id /app/api/me lists}", &session)},
        "/app/api/history": {"get": call("The holder's log entries with inclusion proofs (as POST /v1/holders/log)", &session)},
        "/app/api/consents/withdraw": {"post": call("Withdraws consents: {client_id, fields}", &session)},
        "/app/api/delete": {"post": call("Deletes the holder's data: {confirm: \"delete my data\"}", &session)},
        "/app/api/notice": {"post": call("The signed-in holder accepts the current notice ({\"notice_version\": ...})", &session)},
        "/app/api/push": {"post": call("The signed-in holder subscribes this browser to alerts of each use (a PushSubscription's JSON)", &session)},
        "/app/api/push/remove": {"post": call("The signed-in holder removes a push subscription ({\"id\": ...})", &session)},
        "/app/api/wards/platforms": {"post": call("The signed-in guardian approves a platform for a child under 14 ({\"ward_net_id\": ..., \"client_id\": ...})", &session)},
        "/app/api/corrections": {"post": call("The signed-in holder asks for a correction ({\"message\": ...})", &session)},
        "/app/api/lock": {"post": call("Locks the holder's Net ID (Net Certificates revoked)", &session)},
        "/app/api/unlock": {"post": call("Unlocks the holder's Net ID", &session)},
        "/oidc/authorize/decide": {"post": {"summary": "The signed-in holder's answer on the consent screen (form: request_uri, client_id, decision, consent per field)", "security": session, "responses": {"303": {"description": "To the platform's redirect URI"}, "401": {"description": "Not signed in"}}}},
    });
    // Apart from the rest: one macro call that long reaches serde_json's recursion limit.
    if let Some(map) = paths.as_object_mut() {
        map.insert(
            "/app/api/complaints".to_owned(),
            json!({"post": call("The signed-in holder complains about a platform ({\"client_id\": ..., \"category\": ..., \"text\": ...}; answers ComplaintView)", &session)}),
        );
    }
    paths
}

/// The paths of the OpenID Connect provider (`crate::oidc`).
fn oidc_paths(platform: &Value, public: &Value) -> Value {
    json!({
        "/.well-known/openid-configuration": {"get": {"summary": "OpenID Connect discovery (FAPI 2.0 style: PAR, PKCE S256, private_key_jwt, DPoP, pairwise subjects)", "security": public.clone(), "responses": {"200": {"description": "The provider metadata"}}}},
        "/oidc/jwks": {"get": {"summary": "The key that signs ID tokens by default (ES256)", "security": public.clone(), "responses": {"200": {"description": "A JWK Set", "content": {"application/jwk-set+json": {}}}}}},
        "/oidc/par": {"post": {"summary": "Pushed authorization request (RFC 9126), client authenticated by private_key_jwt; form parameters", "security": public.clone(), "responses": {"201": {"description": "request_uri and expires_in"}, "400": {"description": "OAuth error"}, "401": {"description": "invalid_client"}}}},
        "/oidc/authorize": {"get": {"summary": "The consent screen of a pushed request (HTML; lang=en for English)", "security": public.clone(), "responses": {"200": {"description": "HTML"}, "400": {"description": "HTML: the request is unknown, expired or answered"}}}},
        "/oidc/authorize/continue": {"post": {"summary": "The browser goes on to the platform once the holder answered (303), or sees the screen again", "security": public.clone(), "responses": {"303": {"description": "To the platform's redirect URI with code (or error), state and iss"}, "200": {"description": "HTML"}}}},
        "/oidc/token": {"post": {"summary": "Authorization code for a DPoP-bound access token and an ID token (pairwise sub); records the verification", "security": public.clone(), "responses": {"200": {"description": "Token response"}, "400": {"description": "OAuth error"}, "401": {"description": "invalid_client"}}}},
        "/oidc/jwks/sm2": {"get": {"summary": "The ID-token keys with the SM2 key (SM2SM3), for platforms of the gm suite", "security": public.clone(), "responses": {"200": {"description": "A JWK Set", "content": {"application/jwk-set+json": {}}}}}},
        "/oidc/userinfo": {
            "get": {"summary": "The granted claims, to the holder of the access token's DPoP key", "security": public.clone(), "responses": {"200": {"description": "Claims"}, "401": {"description": "invalid_token"}}},
            "post": {"summary": "The same as GET (OpenID Connect Core 5.3)", "security": public.clone(), "responses": {"200": {"description": "Claims"}, "401": {"description": "invalid_token"}}}
        },
        "/v1/holders/oidc/decision": {"post": operation("The holder's wallet-signed answer to an OpenID Connect authorization request, with any separate consent", public.clone(), Some("OidcDecision"), ("200", "OidcDecisionResponse"), &["400", "403", "409", "422"])},
        "/v1/platform/oidc-client": {"post": operation("Set the platform's OpenID Connect client settings: redirect URIs, JWK Set, ID token algorithm, authentication method", platform.clone(), Some("OidcClientSettings"), ("200", "OidcClientSettings"), &["400", "401", "422"])},
    })
}

/// The paths of platform profiles, the notice and consents (Art. 7-10).
fn grant_paths(operator: &Value, platform: &Value, public: &Value) -> Value {
    json!({
        "/v1/platform/profile": {"post": operation("Ask to receive plaintext fields, each with its legal basis, purpose and retention; replaces what was asked and awaits the operator's decision", platform.clone(), Some("ProfileRequest"), ("200", "Profile"), &["400", "401"])},
        "/v1/operator/platforms/profile": {"post": operation("Approve or refuse a platform's requested fields. A system administrator asks (202 ActPending); a second approves; the first carries it out (/v1/operator/acts/{request_id}/carry-out answers Profile)", operator.clone(), Some("ProfileDecision"), ("202", "ActPending"), &["400", "401"])},
        "/v1/platform/commitments": {"post": operation("Declare the commitments of Art. 7 (both true): no further plaintext identity data asked of verified holders, equal service for people without a Net ID; the profile and consent screen show them", platform.clone(), Some("CommitmentsRequest"), ("200", "Profile"), &["400", "401", "403"])},
        "/v1/holders/complaints": {"post": operation("Complain about a platform (extra_plaintext, refused_without_net_id, kept_past_retention, other) in my words, signed by my wallet; a reference, an entry in my history; nothing goes to the platform, and only system administrators read the words", public.clone(), Some("ComplaintRequest"), ("200", "ComplaintView"), &["400", "403", "404", "409"])},
        "/v1/operator/complaints": {"get": operation("System administrators: the complaints, open first (at most 200), with the holders' words and never who they are; never cached", operator.clone(), None, ("200", "OperatorComplaints"), &["401", "403"])},
        "/v1/operator/complaints/{reference}": {"post": {"summary": "A system administrator records where an open complaint stands (investigating, upheld, dismissed), the answer the holder reads and what was done about the platform; a complaint_handled entry naming them", "security": operator.clone(), "parameters": [{"name": "reference", "in": "path", "required": true, "schema": {"type": "string"}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HandleComplaintRequest"}}}}, "responses": {"200": {"description": "The complaint", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ComplaintView"}}}}, "400": {"description": "Unknown or closed complaint, or an invalid answer"}, "401": {"description": "Not an operator"}, "403": {"description": "Not a system administrator"}}}},
        "/v1/transparency/complaints": {"get": operation("Public counts: each platform's complaints by where they stand (received, investigating, upheld, dismissed)", public.clone(), None, ("200", "ComplaintCounts"), &[])},
        "/v1/operator/platforms/status": {"post": operation("Suspend, reinstate or remove a platform, with a public reason. A system administrator asks (202 ActPending); a second approves; the first carries it out (answers the new Standing). A suspended platform is refused everything (403 platform_suspended, OAuth unauthorized_client); a removal is for good and ends the consents given to it", operator.clone(), Some("PlatformStatusRequest"), ("202", "ActPending"), &["400", "401", "403", "404"])},
        "/v1/platforms/{client_id}/profile": {"get": {"summary": "A platform's published profile: its standing, its Art. 7 commitments, and the fields approved now with legal basis, purpose, retention and end date, signed by the service", "security": public.clone(), "parameters": [{"name": "client_id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "Signed profile", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ServiceSigned"}}}}, "404": {"description": "Unknown platform"}}}},
        "/v1/notice": {"get": operation("The notice of Art. 10 (?lang=en for English; Chinese by default), shown before enrollment and every consent; its version goes into each", public.clone(), None, ("200", "Notice"), &[])},
        "/v1/holders/consents": {"post": operation("A holder's separate consent to give a platform approved fields; returns the signed receipt", public.clone(), Some("ConsentRequest"), ("200", "ServiceSigned"), &["400", "403", "404", "409"])},
        "/v1/holders/consents/withdraw": {"post": operation("Withdraw consents, at once for every later request; a guardian on record may withdraw a child's (under 14)", public.clone(), Some("WithdrawConsentRequest"), ("200", "WithdrawConsentResponse"), &["400", "403", "409"])},
        "/v1/operator/holders/read": {"post": operation("A data-protection officer asks for the one, audited read of a holder's personal data; a second one approves and the first carries it out (/v1/operator/acts/{request_id}/carry-out answers OperatorReadResponse): a log entry of the holder's, in their history with its legal basis; the holder's notice deferred only on a ground of Art. 11, until a date at most 366 days ahead", operator.clone(), Some("OperatorReadRequest"), ("202", "ActPending"), &["400", "401", "403"])},
        "/v1/operator/operators": {
            "get": operation("Operator accounts with names, for security administrators", operator.clone(), None, ("200", "OperatorAccounts"), &["401", "403"]),
            "post": operation("A security administrator asks to add an operator (one role, their own public key); a second approves", operator.clone(), Some("AddOperatorRequest"), ("202", "ActPending"), &["400", "401", "403"])
        },
        "/v1/operator/operators/retire": {"post": operation("A security administrator asks to retire an operator; a second approves", operator.clone(), Some("RetireOperatorRequest"), ("202", "ActPending"), &["400", "401", "403"])},
        "/v1/operator/acts": {"get": operation("The newest 100 requested acts and where they stand (any operator, auditors included); no personal data", operator.clone(), None, ("200", "ActQueue"), &["401"])},
        "/v1/operator/acts/{request_id}/approve": {"post": operation("A second operator of the act's role approves it (never the one who asked)", operator.clone(), None, ("200", "ActView"), &["401", "403", "404", "409"])},
        "/v1/operator/acts/{request_id}/refuse": {"post": operation("A second operator of the act's role refuses it, or the one who asked withdraws it", operator.clone(), None, ("200", "ActView"), &["401", "403", "404", "409"])},
        "/v1/operator/acts/{request_id}/carry-out": {"post": {"summary": "The operator who asked carries out an approved act, once; the answer is the act's own (OperatorReadResponse, OperatorAdded, or the retirement)", "security": operator.clone(), "responses": {"200": {"description": "The act's answer", "content": {"application/json": {}}}, "403": {"description": "Not the operator who asked"}, "404": {"description": "No such request"}, "409": {"description": "Not approved, or carried out already"}}}},
        "/v1/operator/security-events/seal": {"post": {"summary": "Seal the security events' hash chain in the transparency log now (nodes also do by themselves once an hour): a security_events_sealed entry whose digest is the newest event's hash; auditors and security administrators", "security": operator.clone(), "responses": {"200": {"description": "The sealed hash (hex), or null for an empty chain", "content": {"application/json": {}}}, "401": {"description": "Not an operator"}, "403": {"description": "Not an auditor or security administrator"}}}},
        "/v1/operator/me": {"get": {"summary": "The operator who signed the request: id, role, how many passkeys, whether their acts need a passkey confirmation, and until when the last one holds", "security": operator.clone(), "responses": {"200": {"description": "operator_id, role, passkeys, second_factor_needed, verified_until", "content": {"application/json": {}}}, "401": {"description": "Not an operator"}}}},
        "/v1/operator/me/passkeys/challenge": {"post": {"summary": "A WebAuthn challenge for adding a passkey or confirming with one (one at a time, 5 minutes); the relying party is the console's origin, http://localhost:PORT", "security": operator.clone(), "responses": {"200": {"description": "challenge, rp_id, user_id, passkeys", "content": {"application/json": {}}}, "401": {"description": "Not an operator"}}}},
        "/v1/operator/me/passkeys": {"post": {"summary": "Adds a passkey (ES256, user verification required) with the one-time enrollment code another security administrator gave", "security": operator.clone(), "responses": {"204": {"description": "Added"}, "401": {"description": "Not an operator, or the passkey does not check"}, "403": {"description": "No valid enrollment code"}}}},
        "/v1/operator/me/confirm": {"post": {"summary": "Confirms with a passkey: for 15 minutes the operator's requests that change something pass", "security": operator.clone(), "responses": {"200": {"description": "verified_until", "content": {"application/json": {}}}, "401": {"description": "Not an operator, or the confirmation does not check"}}}},
        "/v1/operator/operators/{operator_id}/passkey-code": {"post": {"summary": "Security administrators: a one-time code (24 hours) with which another operator adds a passkey", "security": operator.clone(), "parameters": [{"name": "operator_id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "operator_id, code, expires_at", "content": {"application/json": {}}}, "401": {"description": "Not an operator"}, "403": {"description": "Not a security administrator, or their own account"}, "404": {"description": "No such active operator"}}}},
        "/v1/operator/security-events": {"get": {"summary": "Security events after `after` (at most 500), oldest first, as a hash chain (each names the hash before it), for auditors and security administrators: sign-in failures, refused operator acts, locked enrollment codes, rate-limit refusals (counted), starts and key changes; kept for the stated retention (at least 180 days)", "security": operator.clone(), "parameters": [{"name": "after", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}}], "responses": {"200": {"description": "A page of events", "content": {"application/json": {}}}, "400": {"description": "Invalid after"}, "401": {"description": "Not an operator"}, "403": {"description": "Not an auditor or security administrator"}}}},
        "/v1/operators": {"get": operation("Every operator account there has been, by pseudonymous operator id and role (never a name), signed by the service: log entries name these ids", public.clone(), None, ("200", "ServiceSigned"), &[])},
        "/v1/transparency/deferrals": {"get": operation("Public counts: operator reads of personal data, per kind of legal basis, how many had the holder's notice deferred (Art. 11), and how many deferrals run today", public.clone(), None, ("200", "DeferralCounts"), &[])}
    })
}

/// The paths of certificate renewal, operator revocation, issuer-key rollover and handover.
fn succession_paths(operator: &Value, public: &Value) -> Value {
    json!({
        "/v1/operator/ca/rollover": {"post": operation("Start an issuer-key rollover: makes the next issuing key (pending_public_key) for the offline root to certify. A CA officer asks (202 ActPending); a second approves; the first carries it out (/v1/operator/acts/{request_id}/carry-out answers CaStatus)", operator.clone(), None, ("202", "ActPending"), &["401", "503"])},
        "/v1/operator/ca/revoke": {"post": operation("The operator revokes any certificate this service answers for", operator.clone(), Some("OperatorRevokeRequest"), ("200", "RevokeCertificateResponse"), &["400", "401", "404", "410"])},
        "/v1/operator/ca/handover": {"post": operation("Hand the CA over to a successor: certifies its responder key, signs final CRLs, returns the signed records; the CA then issues nothing. A CA officer asks (202 ActPending); a second approves; the first carries it out (/v1/operator/acts/{request_id}/carry-out answers SignedPackage)", operator.clone(), Some("HandoverRequest"), ("202", "ActPending"), &["400", "401", "410", "503"])},
        "/v1/operator/ca/handover/package": {"get": operation("The signed handover package, again", operator.clone(), None, ("200", "SignedPackage"), &["401", "503"])},
        "/v1/operator/ca/inherit": {"post": operation("Take over a predecessor's CAs from its signed handover package (all chaining to the root the operator names by SHA-256), and answer status for them. A CA officer asks (202 ActPending); a second approves; the first carries it out (/v1/operator/acts/{request_id}/carry-out answers CaStatus)", operator.clone(), Some("InheritRequest"), ("202", "ActPending"), &["400", "401", "422"])},
        "/v1/holders/certificates/renew": {"post": operation("A holder renews one of their certificates (same key, new validity)", public.clone(), Some("RenewCertificateRequest"), ("200", "HolderCertificateResponse"), &["400", "403", "404", "409", "410", "503"])},
        "/.well-known/jwt-vc-issuer": {"get": {"summary": "Net Certificate issuer metadata (SD-JWT VC): the issuer and its keys as a JWK Set, one per suite (kid = RFC 7638 thumbprint)", "security": public.clone(), "responses": {"200": {"description": "JSON", "content": {"application/json": {}}}}}},
        "/v1/status/{suite}": {"get": {"summary": "The signed Token Status List of a suite's Net Certificates (1 bit each, 1 = revoked), made now, valid one hour", "security": public.clone(), "parameters": [{"name": "suite", "in": "path", "required": true, "schema": {"enum": ["gm", "intl"]}}], "responses": {"200": {"description": "JWT", "content": {"application/statuslist+jwt": {}}}, "400": {"description": "Unknown suite"}}}},
        "/v1/holders/delete": {"post": operation("Delete my data (Art. 9): the data key is destroyed, Net Certificates and certificates revoked, consents and guardianships ended, the Net ID never issued again; under 14 with the approval of a guardian on record", public.clone(), Some("DeleteRequest"), ("200", "DeleteResponse"), &["400", "403", "409"])},
        "/v1/holders/record": {"post": operation("The record the service holds about me (document type and number, name, birth date, sex, nationality, expiry; whether it is valid and whether my Net ID is locked), opened for me alone; nothing is logged", public.clone(), Some("LockRequest"), ("200", "HolderRecord"), &["400", "403", "409"])},
        "/v1/holders/notice": {"post": operation("Accept the current notice (needed before my Net ID is used again once its version changed)", public.clone(), Some("NoticeAcceptRequest"), ("200", "NoticeAcceptResponse"), &["400", "403", "409"])},
        "/v1/holders/push": {"post": operation("Be told of each use of my Net ID (verification, sign-in, disclosure) by Web Push to this subscription (RFC 8030, 8291, 8292); the message says only that my history has something new", public.clone(), Some("PushSubscribeRequest"), ("200", "PushSubscribed"), &["400", "403", "409"])},
        "/v1/push/key": {"get": operation("The service's VAPID public key (base64url, uncompressed P-256): the applicationServerKey for a push subscription", public.clone(), None, ("200", "PushKey"), &[])},
        "/v1/holders/wards/platforms": {"post": operation("A guardian approves a platform for a child under 14 in their care (signed by the guardian's wallet): without it the child is not verified or signed in there; an entry in the child's history", public.clone(), Some("WardPlatformRequest"), ("200", "WardPlatformResponse"), &["400", "403", "409"])},
        "/v1/holders/corrections": {"post": operation("Ask the document authority whose roster lists me to correct my record (what is wrong, in my words); it goes to the authority with the record held, and closes when a roster changes my record; an entry in my history", public.clone(), Some("CorrectionRequest"), ("200", "CorrectionStatus"), &["400", "403", "409"])},
        "/v1/authority/corrections": {"post": operation("A document authority reads the open corrections its people asked for (signed with its roster key; never cached)", public.clone(), Some("AuthorityCorrectionsRequest"), ("200", "OpenCorrections"), &["400", "403", "409"])},
        "/v1/holders/lock": {"post": operation("Lock my Net ID: no verification, sign-in, consent or issuance until I unlock it; my Net Certificates are revoked; an entry in my history", public.clone(), Some("LockRequest"), ("200", "LockResponse"), &["400", "403", "409"])},
        "/v1/holders/unlock": {"post": operation("Unlock my Net ID (an entry in my history)", public.clone(), Some("LockRequest"), ("200", "LockResponse"), &["400", "403", "409"])},
        "/v1/holders/wards/delete": {"post": operation("A guardian on record deletes the data of a child under 14 in their care, without the child's wallet (same effects as /v1/holders/delete)", public.clone(), Some("WardDeleteRequest"), ("200", "DeleteResponse"), &["400", "403", "409"])},
        "/v1/holders/net-certificates": {"post": operation("A batch of Net Certificates (SD-JWT VCs), one per fresh holder key, each for one presentation", public.clone(), Some("NetCertificateRequest"), ("200", "NetCertificateResponse"), &["400", "403", "409", "413", "422"])},
        "/v1/ca/crl/{key_id}": {"get": {"summary": "The CRL of one CA generation by its key identifier (hex): made now while it signs, its final CRL after a handover", "security": public.clone(), "parameters": [{"name": "key_id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "DER", "content": {"application/pkix-crl": {}}}, "404": {"description": "Unknown key identifier"}}}}
    })
}

/// The schemas of the transparency-log and CA endpoints.
fn log_schemas(string: &Value) -> Value {
    json!({
        "CaStatus": {"type": "object", "required": ["suite", "issuing_public_key", "certified", "responder_public_key", "authorities"], "properties": {"suite": {"enum": ["gm", "intl"]}, "issuing_public_key": string, "certified": {"type": "boolean"}, "chain": string, "pending_public_key": string, "responder_public_key": string, "authorities": {"type": "array", "items": {"type": "object", "required": ["key_id", "status", "subject", "not_after", "crl_url"], "properties": {"key_id": string, "status": {"enum": ["current", "retired", "inherited", "handed_over"]}, "subject": string, "not_after": {"type": "integer"}, "crl_url": string}}}}},
        "SignedPackage": {"type": "object", "required": ["alg", "payload", "signature", "signer"], "properties": {"alg": {"enum": ["SM2SM3", "ES256"]}, "payload": {"type": "string", "description": "base64url of the package JSON: a filing (format netid-ca-filing-v1: generated_at, suite, chain, fingerprints, policies, crl_url, ocsp_url, counts) or a handover (format netid-ca-handover-v1: generated_at, authorities, certificates)"}, "signature": {"type": "string", "description": "base64url DER signature over the payload bytes"}, "signer": string}},
        "RecogniseForeignCaRequest": {"type": "object", "required": ["name", "certificate", "qualification", "certificate_type", "technical_standard", "scenarios"], "additionalProperties": false, "properties": {"name": string, "certificate": string, "qualification": string, "certificate_type": string, "technical_standard": string, "scenarios": {"type": "array", "items": string, "minItems": 1, "maxItems": 32}}},
        "ForeignCa": {"type": "object", "required": ["name", "certificate", "sha256", "qualification", "certificate_type", "technical_standard", "scenarios", "recognised_at"], "properties": {"name": string, "certificate": string, "sha256": string, "qualification": string, "certificate_type": string, "technical_standard": string, "scenarios": {"type": "array", "items": string}, "recognised_at": {"type": "integer"}}},
        "ForeignCaList": {"type": "object", "required": ["foreign_cas"], "properties": {"foreign_cas": {"type": "array", "items": {"$ref": "#/components/schemas/ForeignCa"}}}},
        "WithdrawForeignCaRequest": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {"name": string}},
        "WithdrawForeignCaResponse": {"type": "object", "required": ["withdrawn"], "properties": {"withdrawn": {"type": "boolean"}}},
        "VerifyCertificateRequest": {"type": "object", "required": ["chain"], "additionalProperties": false, "properties": {"chain": {"type": "array", "items": string, "minItems": 1, "maxItems": 32}, "scenario": string, "crls": {"type": "array", "items": string, "maxItems": 32}}},
        "VerifyCertificateResponse": {"type": "object", "required": ["trusted", "anchor", "scenarios", "revocation_checked"], "properties": {"trusted": {"type": "boolean"}, "anchor": string, "scenarios": {"type": "array", "items": string}, "revocation_checked": {"type": "boolean"}}},
        "CertifyCaRequest": {"type": "object", "required": ["root_certificate", "issuing_certificate"], "additionalProperties": false, "properties": {"root_certificate": string, "issuing_certificate": string}},
        "HolderCertificateRequest": {"type": "object", "required": ["csr", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"csr": {"type": "string", "description": "base64url DER PKCS#10"}, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-certificate-request-v2\\ncsr\\nrequest_id\\ntimestamp"}}},
        "HolderCertificateResponse": {"type": "object", "required": ["serial", "certificate", "chain"], "properties": {"serial": string, "certificate": string, "chain": string}},
        "PlatformCertificateRequest": {"type": "object", "required": ["csr"], "additionalProperties": false, "properties": {"csr": {"type": "string", "description": "base64url DER PKCS#10"}}},
        "RevokeCertificateRequest": {"type": "object", "required": ["serial", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"serial": string, "reason": {"enum": ["unspecified", "key_compromise", "superseded", "cessation_of_operation"]}, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-certificate-revocation-v2\\nserial\\nreason\\nrequest_id\\ntimestamp"}}},
        "RevokeCertificateResponse": {"type": "object", "required": ["revoked"], "properties": {"revoked": {"type": "boolean"}}},
                "LogEntries": {"type": "object", "required": ["start", "entries"], "properties": {"start": {"type": "integer"}, "entries": {"type": "array", "items": string}}},
                "InclusionProof": {"type": "object", "required": ["index", "size", "proof"], "properties": {"index": {"type": "integer"}, "size": {"type": "integer"}, "proof": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}}},
                "ConsistencyProof": {"type": "object", "required": ["old_size", "new_size", "proof"], "properties": {"old_size": {"type": "integer"}, "new_size": {"type": "integer"}, "proof": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}}},
                "HolderLogRequest": {"type": "object", "required": ["wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": {"type": "string", "description": "base64url r||s over netid-holder-log-v2\\nrequest_id\\ntimestamp"}}}
    })
}

/// The schemas of the operator's audited reads and deferred notices.
fn privacy_schemas(string: &Value) -> Value {
    json!({
                "HolderLogEntry": {"type": "object", "required": ["index", "leaf", "proof"], "properties": {"index": {"type": "integer"}, "leaf": string, "proof": {"type": "array", "items": string}, "tag_key": {"type": "string", "description": "hex; the key the entry's tag was made with instead of the log key: for an operator read whose notice was deferred, the one-off key revealed after the deferral; for a use (verification, sign-in, disclosure), its key while the centre keeps it linked to the holder"}, "kept_until": {"type": "integer", "description": "for a use: when (Unix seconds) the centre forgets that it was the holder's"}}},
        "HolderLogResponse": {"type": "object", "required": ["log_key", "checkpoint", "entries", "use_link_retention_days"], "properties": {"use_link_retention_days": {"type": "integer", "description": "how many days the centre keeps a use linked to the holder"}, "log_key": {"type": "string", "description": "hex; HMAC key of the holder's entry tags"}, "checkpoint": string, "entries": {"type": "array", "items": {"$ref": "#/components/schemas/HolderLogEntry"}}, "operator_reads": {"type": "array", "description": "the operator's reads of the holder's data whose notice is due", "items": {"$ref": "#/components/schemas/OperatorReadNotice"}}, "wards": {"type": "array", "description": "for a guardian: each minor's log key, entries, the operator's reads and the platforms the minor used with their first use", "items": {"type": "object", "required": ["log_key", "entries"], "properties": {"log_key": string, "entries": {"type": "array", "items": {"$ref": "#/components/schemas/HolderLogEntry"}}, "operator_reads": {"type": "array", "items": {"$ref": "#/components/schemas/OperatorReadNotice"}}, "platforms": {"type": "array", "items": {"type": "object", "required": ["client_id", "first_index", "first_minute"], "properties": {"client_id": string, "first_index": {"type": "integer"}, "first_minute": {"type": "integer"}}}}}}}}},
        "OperatorReadNotice": {"type": "object", "required": ["log_index", "fields", "legal_basis", "reference", "read_at"], "properties": {"log_index": {"type": "integer"}, "fields": {"type": "array", "items": string}, "legal_basis": string, "reference": string, "read_at": {"type": "integer"}, "deferred": {"$ref": "#/components/schemas/NoticeDeferral"}}},
        "NoticeDeferral": {"type": "object", "required": ["ground", "legal_basis", "until"], "additionalProperties": false, "properties": {"ground": {"enum": ["confidentiality", "emergency"]}, "legal_basis": string, "until": {"type": "string", "format": "date", "description": "the deferral's last day, Beijing time"}}},
        "OperatorReadRequest": {"type": "object", "required": ["basis_kind", "legal_basis", "reference"], "additionalProperties": false, "description": "names the holder by exactly one of net_id, platform_subject, certificate_serial", "properties": {"net_id": string, "platform_subject": {"type": "object", "required": ["client_id", "subject"], "properties": {"client_id": string, "subject": string}}, "certificate_serial": {"type": "string", "description": "hex"}, "history": {"type": "object", "required": ["from", "until"], "description": "also export the holder's authentication history (verifications, disclosures, consents) in these days, at most 366; fields may then be empty", "properties": {"from": {"type": "string", "format": "date"}, "until": {"type": "string", "format": "date"}}}, "basis_kind": {"enum": ["criminal_investigation", "court_order", "national_security", "public_security_administration", "supervisory_investigation", "emergency"]}, "fields": {"type": "array", "items": {"enum": ["net_id", "name", "birth_date", "document_type", "document_number", "nationality"]}}, "legal_basis": string, "reference": string, "defer_notice": {"$ref": "#/components/schemas/NoticeDeferral"}}},
        "OperatorRole": {"enum": ["security_administrator", "system_administrator", "ca_officer", "data_protection_officer", "auditor"]},
        "ActPending": {"type": "object", "required": ["request_id", "act", "approver_role", "expires_at"], "properties": {"request_id": string, "act": {"enum": ["operator_read", "add_operator", "retire_operator"]}, "approver_role": {"$ref": "#/components/schemas/OperatorRole"}, "expires_at": {"type": "integer"}}},
        "ActView": {"type": "object", "required": ["request_id", "act", "status", "requested_by", "requested_at", "expires_at"], "properties": {"request_id": string, "act": {"enum": ["operator_read", "add_operator", "retire_operator"]}, "status": {"enum": ["pending", "approved", "done", "refused", "expired"]}, "requested_by": string, "decided_by": string, "requested_at": {"type": "integer"}, "expires_at": {"type": "integer"}}},
        "ActQueue": {"type": "object", "required": ["acts"], "properties": {"acts": {"type": "array", "items": {"$ref": "#/components/schemas/ActView"}}}},
        "AddOperatorRequest": {"type": "object", "required": ["name", "role", "public_key"], "additionalProperties": false, "properties": {"name": string, "role": {"$ref": "#/components/schemas/OperatorRole"}, "public_key": {"type": "object", "description": "public JWK, EC P-256 or SM2"}}},
        "RetireOperatorRequest": {"type": "object", "required": ["operator_id"], "additionalProperties": false, "properties": {"operator_id": string}},
        "OperatorAccounts": {"type": "object", "required": ["operators"], "properties": {"operators": {"type": "array", "items": {"type": "object", "required": ["operator_id", "name", "role", "key_thumbprint", "added_at"], "properties": {"operator_id": string, "name": string, "role": {"$ref": "#/components/schemas/OperatorRole"}, "key_thumbprint": string, "added_at": {"type": "integer"}, "retired_at": {"type": "integer"}}}}}},
        "OperatorReadResponse": {"type": "object", "required": ["claims", "log_index", "holder_notified_from"], "properties": {"claims": {"type": "object", "additionalProperties": string}, "log_index": {"type": "integer"}, "holder_notified_from": {"type": "string", "description": "now, or the date from which the holder is told"}}},
        "OidcDecision": {"type": "object", "required": ["request_uri", "approve", "wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"request_uri": string, "approve": {"type": "boolean"}, "wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": string, "consent": {"$ref": "#/components/schemas/ConsentRequest"}}},
        "OidcDecisionResponse": {"type": "object", "required": ["redirect_to"], "properties": {"redirect_to": string}},
        "OidcClientSettings": {"type": "object", "required": ["redirect_uris", "jwks"], "additionalProperties": false, "properties": {"redirect_uris": {"type": "array", "items": string}, "jwks": {"type": "object"}, "id_token_signed_response_alg": {"enum": ["ES256", "SM2SM3"]}, "token_endpoint_auth_method": {"enum": ["private_key_jwt", "tls_client_auth"]}}},
        "PasskeyLinkRequest": {"type": "object", "required": ["wallet_key", "request_id", "timestamp", "signature"], "additionalProperties": false, "properties": {"wallet_key": {"$ref": "#/components/schemas/PublicKey"}, "request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$", "description": "fresh for each request; a second use is refused (409 request_replayed)"}, "timestamp": {"type": "integer"}, "signature": string}},
        "PasskeyLinkResponse": {"type": "object", "required": ["url", "expires_in"], "properties": {"url": string, "expires_in": {"type": "integer"}}},
        "DeferralCounts": {"type": "object", "required": ["operator_reads", "deferred", "deferred_now"], "properties": {"operator_reads": {"type": "integer"}, "deferred": {"type": "integer"}, "deferred_now": {"type": "integer"}, "by_basis": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "reads per kind of legal basis (the catalogue of OperatorReadRequest.basis_kind; unspecified for reads from before it)"}}}
    })
}
