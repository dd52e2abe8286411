//! Corrections (issue 24; PIPL Art. 46): a holder who finds their record wrong asks the
//! document authority whose roster lists them to correct it. The request (what the holder
//! says, with the record the centre holds) is kept sealed under the roster key until the
//! authority fetches it with a request signed by its roster key; the authority corrects its
//! roster, and the next roster load corrects the holder's record (see
//! `operator::record_updates`) and closes the request. The holder sees each request and
//! whether it is closed with their record; the request is an entry in their history.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::Suite;
use netid_log::EntryKind;
use netid_proto::{
    AuthorityCorrectionsRequest, CorrectionRequest, CorrectionStatus, OpenCorrection, signing,
};
use netid_store::{CorrectionRow, HolderRow};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::deps::Deps;
use crate::error::{Error, Refusal};
use crate::personal::{self, StoredRecord};
use crate::wallet::authenticate_holder;

/// The longest message, in characters.
const MAX_MESSAGE: usize = 500;

/// What a correction request keeps sealed.
#[derive(Serialize, Deserialize)]
struct SealedCorrection {
    record: StoredRecord,
    message: String,
}

/// Records the correction the holder whose wallet signed `request` asks for.
pub(crate) async fn ask(
    deps: &Deps,
    request: CorrectionRequest,
) -> Result<CorrectionStatus, Error> {
    check_message(&request.message)?;
    let holder = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::correction_message(&request.message, &request.request_id, request.timestamp),
        &request.signature,
    )
    .await?;
    ask_for(deps, &holder, &request.message).await
}

/// Records the correction `holder` asks for with `message`.
pub(crate) async fn ask_for(
    deps: &Deps,
    holder: &HolderRow,
    message: &str,
) -> Result<CorrectionStatus, Error> {
    check_message(message)?;
    let authority = deps
        .store
        .authority_of_person(&holder.person_index)
        .await?
        .ok_or(Refusal::NoAuthorityListsHolder)?;
    let opened = personal::open_all(&deps.keys.master, holder, deps.clock.today()?)?;
    let reference = crate::credentials::random_id("cr")?;
    let sealed = SealedCorrection {
        record: StoredRecord::from_record(&opened.record),
        message: message.to_owned(),
    };
    let json = Zeroizing::new(
        serde_json::to_vec(&sealed).map_err(|_| Error::Internal("serialising a correction"))?,
    );
    let now = deps.clock.now();
    let row = CorrectionRow {
        reference: reference.clone(),
        holder: holder.id,
        authority: authority.clone(),
        sealed: Suite::gm().encrypt(&deps.keys.roster, &aad(&reference), &json)?,
        asked_at: now,
        closed_at: None,
    };
    let entry = deps.log.entry(
        EntryKind::CorrectionRequested,
        Some(&opened.log_key()?),
        None,
        now,
    )?;
    deps.store.add_correction(row, entry).await?;
    tracing::info!(target: "netid::security", event = "correction_requested");
    Ok(CorrectionStatus {
        reference,
        authority,
        asked_at: now.0,
        closed_at: None,
    })
}

/// The corrections `holder` asked for, as they are shown them.
pub(crate) async fn of_holder(
    deps: &Deps,
    holder: &HolderRow,
) -> Result<Vec<CorrectionStatus>, Error> {
    Ok(deps
        .store
        .holder_corrections(holder.id)
        .await?
        .into_iter()
        .map(|row| CorrectionStatus {
            reference: row.reference,
            authority: row.authority,
            asked_at: row.asked_at.0,
            closed_at: row.closed_at.map(|at| at.0),
        })
        .collect())
}

/// The open corrections of the authority that signed `request`, opened for it.
pub(crate) async fn for_authority(
    deps: &Deps,
    request: AuthorityCorrectionsRequest,
) -> Result<Vec<OpenCorrection>, Error> {
    crate::wallet::check_request_id(&request.request_id)?;
    deps.check_fresh(request.timestamp)?;
    let authority = deps
        .store
        .authority(&request.authority)
        .await?
        .ok_or(Refusal::BadAuthoritySignature)?;
    let suite = Suite::new(authority.suite);
    let key = suite.verifying_key_from_spki_der(&authority.public_key_spki)?;
    let message = signing::authority_corrections_message(
        &request.authority,
        &request.request_id,
        request.timestamp,
    );
    let verified = Base64UrlUnpadded::decode_vec(&request.signature)
        .ok()
        .and_then(|bytes| suite.signature_from_fixed(&bytes).ok())
        .is_some_and(|signature| key.verify(&message, &signature).is_ok());
    if !verified {
        return Err(Refusal::BadAuthoritySignature.into());
    }
    // A captured request replayed would read the corrections again: each is answered once.
    let used = crate::blind::authority_request(
        &deps.keys.blind_index,
        &request.authority,
        &request.request_id,
    );
    crate::wallet::use_request_index(deps, used, request.timestamp).await?;
    let mut open = Vec::new();
    for row in deps.store.open_corrections(&request.authority).await? {
        let json: Zeroizing<Vec<u8>> =
            Suite::gm().decrypt(&deps.keys.roster, &aad(&row.reference), &row.sealed)?;
        let sealed: SealedCorrection = serde_json::from_slice(&json)
            .map_err(|_| Error::Internal("a sealed correction is not json"))?;
        open.push(OpenCorrection {
            reference: row.reference,
            asked_at: row.asked_at.0,
            document_type: sealed.record.document_type,
            document_number: sealed.record.document_number,
            name: sealed.record.name,
            birth_date: sealed.record.birth_date,
            message: sealed.message,
        });
    }
    tracing::info!(target: "netid::security", event = "corrections_read", count = open.len());
    Ok(open)
}

fn check_message(message: &str) -> Result<(), Refusal> {
    let length = message.trim().chars().count();
    if length == 0 || message.chars().count() > MAX_MESSAGE || message.chars().any(char::is_control)
    {
        return Err(Refusal::InvalidField {
            field: "message",
            reason: format!("expected 1 to {MAX_MESSAGE} characters on one line"),
        });
    }
    Ok(())
}

fn aad(reference: &str) -> Vec<u8> {
    format!("netid correction v1\n{reference}").into_bytes()
}
