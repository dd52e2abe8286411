//! Wallet keys as the API carries them (SPKI PEM or JWK, `gm` or `intl`), and checks of
//! wallet signatures.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{Suite, VerifyingKey};
use netid_proto::PublicKey;
use netid_store::WalletKeyRow;

use crate::error::EnrollmentRefusal;
use crate::error::Refusal;

/// A parsed wallet public key and its suite.
#[derive(Debug)]
pub(crate) struct WalletKey {
    pub(crate) suite: Suite,
    pub(crate) key: VerifyingKey,
}

impl WalletKey {
    /// Parses a key of either suite; `field` names the request field in errors.
    pub(crate) fn parse(public_key: &PublicKey, field: &'static str) -> Result<Self, Refusal> {
        let invalid = || Refusal::InvalidField {
            field,
            reason: "expected an SM2 or P-256 public key as SPKI PEM or JWK".to_owned(),
        };
        for suite in [Suite::gm(), Suite::intl()] {
            let parsed = match public_key {
                PublicKey::Pem(pem) => suite.verifying_key_from_spki_pem(pem),
                PublicKey::Jwk(jwk) => suite.verifying_key_from_jwk(&netid_crypto::Jwk {
                    kty: jwk.kty.clone(),
                    crv: jwk.crv.clone(),
                    x: jwk.x.clone(),
                    y: jwk.y.clone(),
                }),
            };
            if let Ok(key) = parsed {
                return Ok(Self { suite, key });
            }
        }
        Err(invalid())
    }

    /// The lookup key of a wallet key: the digest of its SPKI DER.
    pub(crate) fn fingerprint(&self) -> Result<Vec<u8>, crate::error::Error> {
        Ok(Suite::gm().hash(&self.key.to_spki_der()?).as_ref().to_vec())
    }

    /// The row to store.
    pub(crate) fn row(&self) -> Result<WalletKeyRow, crate::error::Error> {
        Ok(WalletKeyRow {
            fingerprint: self.fingerprint()?,
            spki: self.key.to_spki_der()?,
            suite: self.suite.id(),
        })
    }

    /// Whether `signature` (base64url of fixed `r || s`) verifies over `message` and is the
    /// one encoding of its signature (low-S for P-256), so that no twin of a signature the
    /// service saw can pass for another request.
    pub(crate) fn verifies(&self, message: &[u8], signature: &str) -> bool {
        Base64UrlUnpadded::decode_vec(signature)
            .ok()
            .and_then(|bytes| self.suite.signature_from_fixed(&bytes).ok())
            .is_some_and(|signature| {
                signature.is_canonical() && self.key.verify(message, &signature).is_ok()
            })
    }
}

/// The enrolled holder whose current wallet key signed `message` (built by the caller from the
/// request, including `request_id` and `timestamp`, which must be fresh), the request then
/// marked used. A bad signature and a key that is not enrolled get the same refusal: no hint
/// whether a key is enrolled.
pub(crate) async fn authenticate_holder(
    deps: &crate::deps::Deps,
    wallet_key: &PublicKey,
    request_id: &str,
    timestamp: i64,
    message: &[u8],
    signature: &str,
) -> Result<netid_store::HolderRow, crate::error::Error> {
    let wallet = WalletKey::parse(wallet_key, "wallet_key")?;
    check_request_id(request_id)?;
    deps.check_fresh(timestamp)?;
    if !wallet.verifies(message, signature) {
        return Err(Refusal::BadWalletSignature.into());
    }
    let holder = deps
        .store
        .holder_by_wallet_key(&wallet.fingerprint()?)
        .await?
        .ok_or(Refusal::BadWalletSignature)?;
    use_request(deps, &wallet, request_id, timestamp).await?;
    Ok(holder)
}

/// A store's "no holder with this wallet key" for a change made after the holder's request was
/// checked: a recovery replaced the key in between, so the signature is no longer theirs.
pub(crate) fn key_replaced(error: netid_store::Error) -> crate::error::Error {
    match error {
        netid_store::Error::NotFound { .. } => Refusal::BadWalletSignature.into(),
        other => other.into(),
    }
}

/// Refuses a request id that is not 16 to 64 base64url characters.
pub(crate) fn check_request_id(request_id: &str) -> Result<(), Refusal> {
    if netid_proto::signing::is_valid_request_id(request_id) {
        Ok(())
    } else {
        Err(Refusal::InvalidField {
            field: "request_id",
            reason: "expected 16 to 64 base64url characters, fresh for each request".to_owned(),
        })
    }
}

/// Marks the request `request_id` of `wallet`, signed at `timestamp`, used for as long as it
/// could be fresh; [`Refusal::RequestReplayed`] if it was used before. The record keys on the
/// signed content (wallet key and request id), never on the signature's bytes.
pub(crate) async fn use_request(
    deps: &crate::deps::Deps,
    wallet: &WalletKey,
    request_id: &str,
    timestamp: i64,
) -> Result<(), crate::error::Error> {
    let index =
        crate::blind::wallet_request(&deps.keys.blind_index, &wallet.fingerprint()?, request_id);
    use_request_index(deps, index, timestamp).await
}

/// Marks the signed request with blind index `index`, signed at `timestamp`, as used until it
/// can no longer be fresh; [`Refusal::RequestReplayed`] if it was used before.
pub(crate) async fn use_request_index(
    deps: &crate::deps::Deps,
    index: netid_store::BlindIndex,
    timestamp: i64,
) -> Result<(), crate::error::Error> {
    let expires_at =
        netid_store::Timestamp(timestamp.saturating_add(crate::deps::FRESHNESS_WINDOW_SECONDS));
    match deps
        .store
        .use_wallet_request(index, expires_at, deps.clock.now())
        .await
    {
        Err(netid_store::Error::AlreadyExists {
            what: netid_store::Conflict::Nonce,
        }) => Err(Refusal::RequestReplayed.into()),
        other => Ok(other?),
    }
}

/// Checks that `approval` is signed, for `act` and over the holder's own request signature,
/// by the current wallet key of a guardian on record for `holder`.
pub(crate) async fn check_guardian_approval(
    deps: &crate::deps::Deps,
    holder: netid_store::HolderId,
    act: &str,
    holder_signature: &str,
    approval: Option<&netid_proto::GuardianConsent>,
) -> Result<(), crate::error::Error> {
    let approval = approval.ok_or(Refusal::Enrollment(EnrollmentRefusal::GuardianRequired))?;
    let key = WalletKey::parse(&approval.wallet_key, "guardian.wallet_key")?;
    if !key.verifies(
        &netid_proto::signing::guardian_approval_message(act, holder_signature),
        &approval.signature,
    ) {
        return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianNotRecognised).into());
    }
    let guardian = deps
        .store
        .holder_by_wallet_key(&key.fingerprint()?)
        .await?
        .ok_or(Refusal::Enrollment(
            EnrollmentRefusal::GuardianNotRecognised,
        ))?;
    if !deps
        .store
        .guardians_of(holder)
        .await?
        .contains(&guardian.id)
    {
        return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianNotRecognised).into());
    }
    Ok(())
}

/// The child under 14 with `ward_net_id` for whom `guardian` is a guardian on record. No such
/// holder and another's child are the same refusal, so that a guardian learns nothing of
/// other Net IDs; their own ward of 14 or more is told to act with their own wallet.
pub(crate) async fn child_in_care(
    deps: &crate::deps::Deps,
    guardian: &netid_store::HolderRow,
    ward_net_id: &str,
) -> Result<netid_store::HolderRow, crate::error::Error> {
    let net_id = crate::personal::parse_net_id(ward_net_id, "ward_net_id")?;
    let ward = crate::personal::holder_with_net_id(deps, &net_id)
        .await?
        .ok_or(Refusal::Enrollment(
            EnrollmentRefusal::GuardianNotRecognised,
        ))?;
    if !deps
        .store
        .guardians_of(ward.id)
        .await?
        .contains(&guardian.id)
    {
        return Err(Refusal::Enrollment(EnrollmentRefusal::GuardianNotRecognised).into());
    }
    let age = crate::personal::age(&deps.keys.master, &ward, deps.clock.today()?)?;
    if age >= netid_core::rules::GUARDIAN_REQUIRED_BELOW {
        // From 14 a minor decides on their own data, with their own wallet.
        return Err(Refusal::InvalidField {
            field: "ward_net_id",
            reason: "a holder aged 14 or more decides with their own wallet".to_owned(),
        }
        .into());
    }
    Ok(ward)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_both_suites_parse_from_pem_and_jwk_and_verify_their_signatures() {
        for suite in [Suite::gm(), Suite::intl()] {
            let signing = suite.generate_signing_key().unwrap();
            let pem = PublicKey::Pem(signing.verifying_key().to_spki_pem().unwrap());
            let jwk = signing.verifying_key().to_jwk();
            let jwk = PublicKey::Jwk(netid_proto::Jwk {
                kty: jwk.kty,
                crv: jwk.crv,
                x: jwk.x,
                y: jwk.y,
            });
            let signature =
                Base64UrlUnpadded::encode_string(&signing.sign(b"message").unwrap().to_fixed());
            for public in [pem, jwk] {
                let wallet = WalletKey::parse(&public, "wallet_key").unwrap();
                assert_eq!(wallet.suite.id(), suite.id());
                assert!(wallet.verifies(b"message", &signature));
                assert!(!wallet.verifies(b"other message", &signature));
                assert!(!wallet.verifies(b"message", "not base64url!"));
                assert_eq!(wallet.row().unwrap().suite, suite.id());
            }
        }
    }

    #[test]
    fn garbage_keys_are_a_field_error() {
        let error = WalletKey::parse(&PublicKey::Pem("nope".to_owned()), "wallet_key").unwrap_err();
        assert!(matches!(
            error,
            Refusal::InvalidField {
                field: "wallet_key",
                ..
            }
        ));
    }
}
