//! A holder's personal data at rest: the document record, sealed under the holder's own data
//! key, which is itself wrapped under the master key. Destroying the wrapped key (deletion, a
//! later issue) makes the record unreadable.

use netid_core::{
    Date, DocumentNumber, DocumentRecord, Expiry, Nationality, NetId, PersonName, Sex, Validity,
};
use netid_crypto::{AeadKey, MacKey, Suite};
use netid_store::{BlindIndex, HolderRow, ResealedHolder, Store, StoredNetId};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Refusal};
use crate::keys::MasterKey;

/// The serialised form of a [`DocumentRecord`] inside a sealed blob.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredRecord {
    pub(crate) document_type: String,
    pub(crate) document_number: String,
    pub(crate) name: String,
    pub(crate) birth_date: String,
    pub(crate) sex: Option<String>,
    pub(crate) nationality: String,
    pub(crate) expiry: String,
}

impl StoredRecord {
    pub(crate) fn from_record(record: &DocumentRecord) -> Self {
        Self {
            document_type: record.document_type().name().to_owned(),
            document_number: record.number().expose().to_owned(),
            name: record.name().expose().to_owned(),
            birth_date: record.birth_date().to_string(),
            sex: record.sex().map(|sex| sex_name(sex).to_owned()),
            nationality: record.nationality().as_str().to_owned(),
            expiry: match record.expiry() {
                Expiry::On(date) => date.to_string(),
                Expiry::LongTerm => LONG_TERM.to_owned(),
            },
        }
    }

    /// Parses into a record, checking every field again; `today` bounds the birth date
    /// encoded in the number.
    pub(crate) fn to_record(&self, today: Date) -> Result<DocumentRecord, RecordFieldError> {
        fn fail(field: &'static str, reason: impl ToString) -> RecordFieldError {
            RecordFieldError {
                field,
                reason: reason.to_string(),
            }
        }
        let document_type = self
            .document_type
            .parse()
            .map_err(|e| fail("document_type", e))?;
        let number = DocumentNumber::parse(document_type, &self.document_number, today)
            .map_err(|e| fail("document_number", e))?;
        let name = PersonName::parse(&self.name).map_err(|e| fail("name", e))?;
        let birth_date: Date = self.birth_date.parse().map_err(|e| fail("birth_date", e))?;
        let sex = match self.sex.as_deref() {
            None => None,
            Some("male") => Some(Sex::Male),
            Some("female") => Some(Sex::Female),
            Some(_) => return Err(fail("sex", "expected male or female")),
        };
        let nationality: Nationality = self
            .nationality
            .parse()
            .map_err(|e| fail("nationality", e))?;
        let expiry = if self.expiry == LONG_TERM {
            Expiry::LongTerm
        } else {
            Expiry::On(
                self.expiry
                    .parse()
                    .map_err(|_| fail("expiry", "expected YYYY-MM-DD or long-term"))?,
            )
        };
        DocumentRecord::new(number, name, birth_date, sex, nationality, expiry)
            .map_err(|e| fail("record", e))
    }
}

/// A field of a record that did not parse, and why (the reason never holds the value).
#[derive(Debug)]
pub(crate) struct RecordFieldError {
    pub(crate) field: &'static str,
    pub(crate) reason: String,
}

/// The `expiry` text of a document valid long-term.
pub(crate) const LONG_TERM: &str = "long-term";

fn sex_name(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

fn net_id_aad(index: &BlindIndex) -> Vec<u8> {
    format!("netid holder net id v1\n{}", hex::encode(index.as_bytes())).into_bytes()
}

/// A Net ID as the store keeps it: its blind index, and the Net ID sealed under the master
/// key (bound to that index, so sealed values cannot be swapped between rows).
pub(crate) fn store_net_id(
    master: &MasterKey,
    blind_key: &MacKey,
    net_id: &NetId,
) -> Result<StoredNetId, Error> {
    let index = crate::blind::net_id(blind_key, net_id.expose());
    let sealed = master.seal(&net_id_aad(&index), net_id.expose().as_bytes())?;
    Ok(StoredNetId { index, sealed })
}

/// The holder's Net ID and data key sealed again under `new`: a master-key rotation. `None`
/// when they are sealed under `new` already (a rotation that was interrupted and run again).
pub(crate) fn reseal(
    old: &MasterKey,
    new: &MasterKey,
    holder: &HolderRow,
) -> Result<Option<ResealedHolder>, Error> {
    let net_id = match net_id(old, holder) {
        Ok(net_id) => net_id,
        Err(_) if net_id(new, holder).is_ok() => return Ok(None),
        Err(_) => {
            return Err(Error::SealedUnderNeitherKey {
                holder: holder.id.0,
            });
        }
    };
    let sealed_net_id = new.seal(
        &net_id_aad(&holder.net_id.index),
        net_id.expose().as_bytes(),
    )?;
    let wrapped_data_key = old
        .reseal(
            new,
            &data_key_aad(net_id.expose()),
            &holder.wrapped_data_key,
        )
        .map_err(|_| Error::SealedUnderNeitherKey {
            holder: holder.id.0,
        })?;
    Ok(Some(ResealedHolder {
        id: holder.id,
        sealed_net_id,
        wrapped_data_key,
    }))
}

/// The holder's Net ID, unsealed.
pub(crate) fn net_id(master: &MasterKey, holder: &HolderRow) -> Result<NetId, Error> {
    let bytes = master.open(&net_id_aad(&holder.net_id.index), &holder.net_id.sealed)?;
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or(Error::Internal("a sealed net id does not parse"))
}

/// Seals the Net IDs that a database from before schema 4 still holds in clear. Runs on start,
/// before the service answers anything.
pub(crate) async fn seal_legacy_net_ids(
    store: &dyn Store,
    master: &MasterKey,
    blind_key: &MacKey,
) -> Result<(), Error> {
    for (holder, text) in store.legacy_net_ids().await? {
        let net_id: NetId = text
            .parse()
            .map_err(|_| Error::Internal("a legacy net id does not parse"))?;
        store
            .seal_legacy_net_id(holder, store_net_id(master, blind_key, &net_id)?)
            .await?;
    }
    Ok(())
}

fn data_key_aad(net_id: &str) -> Vec<u8> {
    format!("netid holder data key v1\n{net_id}").into_bytes()
}

fn personal_aad(net_id: &str) -> Vec<u8> {
    format!("netid holder personal data v1\n{net_id}").into_bytes()
}

/// A new holder's sealed data: the wrapped data key, the record sealed under it, and the
/// holder's log key derived from it.
pub(crate) struct SealedNew {
    pub(crate) wrapped_data_key: Vec<u8>,
    pub(crate) sealed_personal: Vec<u8>,
    pub(crate) log_key: MacKey,
}

/// Seals a new holder's record under a fresh data key.
pub(crate) fn seal_new(
    master: &MasterKey,
    net_id: &str,
    record: &DocumentRecord,
) -> Result<SealedNew, Error> {
    let suite = Suite::gm();
    let data_key = AeadKey::generate(&suite)?;
    let wrapped_data_key = master.seal(&data_key_aad(net_id), data_key.expose_secret())?;
    let json = Zeroizing::new(
        serde_json::to_vec(&StoredRecord::from_record(record))
            .map_err(|_| Error::Internal("serialising a document record"))?,
    );
    let sealed_personal = suite.encrypt(&data_key, &personal_aad(net_id), &json)?;
    Ok(SealedNew {
        wrapped_data_key,
        sealed_personal,
        log_key: derive_log_key(&data_key)?,
    })
}

/// The holder's log key: derived from their data key, so that destroying the data key
/// (deletion) also leaves no one able to recognise their log entries.
pub(crate) fn log_key(master: &MasterKey, holder: &HolderRow) -> Result<MacKey, Error> {
    derive_log_key(&unwrap_data_key(master, holder, &net_id(master, holder)?)?)
}

fn derive_log_key(data_key: &AeadKey) -> Result<MacKey, Error> {
    let bytes = Suite::gm().derive_key(
        data_key.expose_secret(),
        b"netid",
        b"netid holder log key v1",
        MacKey::RECOMMENDED_LEN,
    )?;
    Ok(MacKey::from_bytes(&bytes)?)
}

fn unwrap_data_key(
    master: &MasterKey,
    holder: &HolderRow,
    net_id: &NetId,
) -> Result<AeadKey, Error> {
    let key_bytes = master.open(&data_key_aad(net_id.expose()), &holder.wrapped_data_key)?;
    Ok(AeadKey::from_bytes(&Suite::gm(), &key_bytes)?)
}

/// The holder's age in full years on `today`, from their sealed birth date (never stored).
pub(crate) fn age(master: &MasterKey, holder: &HolderRow, today: Date) -> Result<u16, Error> {
    age_of(&open(master, holder, today)?, today)
}

/// The age in full years on `today` of the person in `record`.
pub(crate) fn age_of(record: &DocumentRecord, today: Date) -> Result<u16, Error> {
    record
        .birth_date()
        .age_on(today)
        .ok_or(Error::Internal("stored birth date after today"))
}

/// Parses a Net ID sent in the request field `field`.
pub(crate) fn parse_net_id(
    text: &str,
    field: &'static str,
) -> Result<NetId, crate::error::Refusal> {
    text.parse().map_err(|_| crate::Refusal::InvalidField {
        field,
        reason: "expected a net id (letters and digits with its check character)".to_owned(),
    })
}

/// The holder (not deleted) with `net_id`, found by its blind index.
pub(crate) async fn holder_with_net_id(
    deps: &crate::deps::Deps,
    net_id: &NetId,
) -> Result<Option<HolderRow>, Error> {
    let index = crate::blind::net_id(&deps.keys.blind_index, net_id.expose());
    Ok(deps.store.holder_by_net_id(&index).await?)
}

/// Opens a holder's record.
pub(crate) fn open(
    master: &MasterKey,
    holder: &HolderRow,
    today: Date,
) -> Result<DocumentRecord, Error> {
    Ok(open_all(master, holder, today)?.record)
}

/// A holder's Net ID, record and data key, each opened once: for work that needs several of
/// them, as a verification does.
pub(crate) struct Opened {
    pub(crate) net_id: NetId,
    pub(crate) record: DocumentRecord,
    data_key: AeadKey,
}

impl Opened {
    /// The key of the holder's entries in the transparency log (see [`log_key`]).
    pub(crate) fn log_key(&self) -> Result<MacKey, Error> {
        derive_log_key(&self.data_key)
    }

    /// `record` sealed under this holder's data key, to take the place of theirs.
    pub(crate) fn seal_record(&self, record: &DocumentRecord) -> Result<Vec<u8>, Error> {
        let json = Zeroizing::new(
            serde_json::to_vec(&StoredRecord::from_record(record))
                .map_err(|_| Error::Internal("serialising a document record"))?,
        );
        Ok(Suite::gm().encrypt(&self.data_key, &personal_aad(self.net_id.expose()), &json)?)
    }
}

/// Refuses to vouch for `record` once its document has expired: validity is checked at every
/// use, not at enrollment only.
pub(crate) fn ensure_valid(record: &DocumentRecord, today: Date) -> Result<(), Refusal> {
    match record.validity_on(today) {
        Validity::Expired => Err(Refusal::DocumentNoLongerValid),
        Validity::Valid => Ok(()),
    }
}

/// The record the service holds about `holder`, as they are shown it.
pub(crate) fn view(
    master: &MasterKey,
    holder: &HolderRow,
    today: Date,
) -> Result<netid_proto::HolderRecord, Error> {
    let opened = open_all(master, holder, today)?;
    let stored = StoredRecord::from_record(&opened.record);
    Ok(netid_proto::HolderRecord {
        net_id: opened.net_id.expose_grouped(),
        document_type: stored.document_type,
        document_number: stored.document_number,
        name: stored.name,
        birth_date: stored.birth_date,
        sex: stored.sex,
        nationality: stored.nationality,
        expiry: stored.expiry,
        document_valid: ensure_valid(&opened.record, today).is_ok(),
        locked: holder.locked_at.is_some(),
        corrections: Vec::new(),
        complaints: Vec::new(),
        receipts: Vec::new(),
    })
}

/// Opens a holder's Net ID, data key and record.
pub(crate) fn open_all(
    master: &MasterKey,
    holder: &HolderRow,
    today: Date,
) -> Result<Opened, Error> {
    let net_id = net_id(master, holder)?;
    let data_key = unwrap_data_key(master, holder, &net_id)?;
    let json = Suite::gm().decrypt(
        &data_key,
        &personal_aad(net_id.expose()),
        &holder.sealed_personal,
    )?;
    let stored: StoredRecord = serde_json::from_slice(&json)
        .map_err(|_| Error::Internal("stored personal data is not a record"))?;
    let record = stored
        .to_record(today)
        .map_err(|_| Error::Internal("stored personal data does not parse"))?;
    Ok(Opened {
        net_id,
        record,
        data_key,
    })
}
