//! Signals to platforms (OpenID Shared Signals Framework 1.0): each platform's stream, and the
//! signed Security Event Tokens that wait for it until acknowledged or expired.

use crate::backend::{HasBackend, read, write};
use crate::log::append_log;
use crate::sql::{FromRow, Sql, args, from_row};
use crate::types::stored_enum;
use crate::{Error, HolderId, Timestamp};

// Each read in the order of its query's columns.
from_row! {
    StreamRow {
        client_id, stream_id, delivery, endpoint_url, sealed_authorization, events_requested,
        description, status, updated_at
    }
    DueSignal { jti, client_id, token, attempts, endpoint_url, sealed_authorization }
    ReceiptRow {
        reference, client_id, holder, event, acknowledged_at, deleted, received_at, expires_at
    }
}

/// Receipts and their slots, and the deleting signals still waiting to be acknowledged (as
/// slots not yet opened), as one relation.
const RECEIPTS: &str = "(SELECT reference, client_id, holder_id, event, acknowledged_at, \
     deleted, received_at, expires_at FROM signal_receipts UNION ALL \
     SELECT jti, client_id, holder_id, event, NULL, NULL, NULL, expires_at FROM signals \
     WHERE event IN ('account_purged', 'consent_withdrawn')) r";
/// The events whose acknowledgement opens a slot for a receipt: those that ask the platform
/// to delete.
const DELETING_EVENTS: &str = "('account_purged', 'consent_withdrawn')";

const STREAM_COLUMNS: &str = "client_id, stream_id, delivery, endpoint_url, \
     sealed_authorization, events_requested, description, status, updated_at";

/// The streams and their signals.
#[async_trait::async_trait]
pub trait Signals: HasBackend {
    /// Creates or replaces `client_id`'s stream.
    async fn set_stream(&self, stream: StreamRow) -> Result<(), Error> {
        write(self, "set stream", move |db| {
            let sql = format!(
                "INSERT INTO signal_streams ({STREAM_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (client_id) DO UPDATE \
                 SET delivery = excluded.delivery, endpoint_url = excluded.endpoint_url, \
                 sealed_authorization = excluded.sealed_authorization, \
                 events_requested = excluded.events_requested, \
                 description = excluded.description, status = excluded.status, \
                 updated_at = excluded.updated_at"
            );
            let args = args![
                &stream.client_id,
                &stream.stream_id,
                stream.delivery,
                stream.endpoint_url.as_deref(),
                stream.sealed_authorization.as_deref(),
                &stream.events_requested,
                stream.description.as_deref(),
                stream.status,
                stream.updated_at
            ];
            db.execute("set stream", &sql, args)?;
            if stream.status == StreamStatus::Disabled {
                // A disabled stream keeps nothing (SSF 1.0 §8.1.2).
                let sql = "DELETE FROM signals WHERE client_id = $1";
                db.execute("forget signals", sql, args![&stream.client_id])?;
            }
            Ok(())
        })
        .await
    }

    /// Queues `signals` (see [`enqueue`]).
    async fn queue_signals(&self, signals: Vec<SignalRow>) -> Result<(), Error> {
        write(self, "queue signals", move |db| enqueue(db, &signals)).await
    }

    /// `client_id`'s stream, if it has one.
    async fn stream(&self, client_id: &str) -> Result<Option<StreamRow>, Error> {
        let client_id = client_id.to_owned();
        read(self, move |db| stream_of(db, &client_id)).await
    }

    /// Every stream that is not disabled, with its platform's pseudonym sector.
    async fn open_streams(&self) -> Result<Vec<(StreamRow, String)>, Error> {
        read(self, move |db| {
            let sql = "SELECT s.client_id, s.stream_id, s.delivery, s.endpoint_url, \
                 s.sealed_authorization, s.events_requested, s.description, s.status, \
                 s.updated_at, p.sector FROM signal_streams s JOIN platforms p \
                 ON p.client_id = s.client_id WHERE s.status <> 'disabled' \
                 ORDER BY s.client_id COLLATE \"C\"";
            db.rows("read streams", sql, args![], |mut row| {
                let stream = StreamRow {
                    client_id: row.next()?,
                    stream_id: row.next()?,
                    delivery: row.next()?,
                    endpoint_url: row.next()?,
                    sealed_authorization: row.next()?,
                    events_requested: row.next()?,
                    description: row.next()?,
                    status: row.next()?,
                    updated_at: row.next()?,
                };
                Ok((stream, row.next()?))
            })
        })
        .await
    }

    /// Deletes `client_id`'s stream and the signals waiting for it; whether it had one.
    async fn delete_stream(&self, client_id: &str) -> Result<bool, Error> {
        let client_id = client_id.to_owned();
        write(self, "delete stream", move |db| {
            db.execute(
                "forget signals",
                "DELETE FROM signals WHERE client_id = $1",
                args![&client_id],
            )?;
            let sql = "DELETE FROM signal_streams WHERE client_id = $1";
            Ok(db.execute("delete stream", sql, args![&client_id])? == 1)
        })
        .await
    }

    /// Claims up to `limit` signals due at `now` on enabled push streams until `until`, so
    /// that one node delivers each at a time.
    async fn claim_due_signals(
        &self,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DueSignal>, Error> {
        write(self, "claim signals", move |db| {
            let sql = "SELECT s.jti, s.client_id, s.token, s.attempts, t.endpoint_url, \
                 t.sealed_authorization FROM signals s JOIN signal_streams t \
                 ON t.client_id = s.client_id WHERE t.delivery = 'push' \
                 AND t.status = 'enabled' AND s.next_attempt_at <= $1 AND s.expires_at > $1 \
                 AND (s.claimed_until IS NULL OR s.claimed_until <= $1) \
                 ORDER BY s.next_attempt_at, s.jti LIMIT $2";
            let due = db.rows(
                "read due signals",
                sql,
                args![now, i64::from(limit)],
                DueSignal::from_row,
            )?;
            let mut claimed = Vec::with_capacity(due.len());
            for signal in due {
                let sql = "UPDATE signals SET claimed_until = $2 WHERE jti = $1 \
                     AND (claimed_until IS NULL OR claimed_until <= $3)";
                if db.execute("claim signal", sql, args![&signal.jti, until, now])? == 1 {
                    claimed.push(signal);
                }
            }
            Ok(claimed)
        })
        .await
    }

    /// Records a failed delivery of `jti`: tried again from `next_attempt_at`.
    async fn signal_failed(&self, jti: &str, next_attempt_at: Timestamp) -> Result<(), Error> {
        let jti = jti.to_owned();
        write(self, "signal failed", move |db| {
            let sql = "UPDATE signals SET attempts = attempts + 1, next_attempt_at = $2, \
                 claimed_until = NULL WHERE jti = $1";
            db.execute("signal failed", sql, args![&jti, next_attempt_at])
                .map(drop)
        })
        .await
    }

    /// The signals waiting for `client_id` at `now`, oldest first, at most `limit`.
    async fn waiting_signals(
        &self,
        client_id: &str,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, String)>, Error> {
        let client_id = client_id.to_owned();
        read(self, move |db| {
            let sql = "SELECT jti, token FROM signals WHERE client_id = $1 AND expires_at > $2 \
                 ORDER BY created_at, jti LIMIT $3";
            db.rows(
                "read signals",
                sql,
                args![&client_id, now, i64::from(limit)],
                FromRow::from_row,
            )
        })
        .await
    }

    /// The holder each of `client_id`'s waiting signals `jtis` is about (none once they
    /// deleted their data), for the entries of their acknowledgement.
    async fn signal_holders(
        &self,
        client_id: &str,
        jtis: Vec<String>,
    ) -> Result<Vec<(String, Option<HolderId>)>, Error> {
        let client_id = client_id.to_owned();
        read(self, move |db| {
            let mut found = Vec::new();
            for jti in &jtis {
                let sql = "SELECT jti, holder_id FROM signals WHERE client_id = $1 AND jti = $2";
                if let Some(row) = db.optional(
                    "read signal",
                    sql,
                    args![&client_id, jti],
                    FromRow::from_row,
                )? {
                    found.push(row);
                }
            }
            Ok(found)
        })
        .await
    }

    /// `client_id` acknowledged each signal of `acknowledged` (its jti, and the log entry
    /// that says so, tagged for its holder if they still exist) `at`: each is removed and its
    /// entry appended, and a signal that asked the platform to delete leaves a slot for its
    /// receipt until `receipts_until`, in one transaction; how many were waiting.
    async fn acknowledge_signals(
        &self,
        client_id: &str,
        acknowledged: Vec<(String, Vec<u8>)>,
        at: Timestamp,
        receipts_until: Timestamp,
    ) -> Result<u64, Error> {
        let client_id = client_id.to_owned();
        write(self, "acknowledge signals", move |db| {
            let mut removed = 0;
            for (jti, entry) in &acknowledged {
                let sql = "SELECT holder_id FROM signals WHERE client_id = $1 AND jti = $2";
                let Some(holder) =
                    db.optional("read signal", sql, args![&client_id, jti], |mut row| {
                        row.get::<Option<HolderId>>(0)
                    })?
                else {
                    continue;
                };
                let sql = format!(
                    "INSERT INTO signal_receipts (reference, client_id, holder_id, event, \
                     acknowledged_at, expires_at) SELECT jti, client_id, holder_id, event, $3, $4 \
                     FROM signals WHERE client_id = $1 AND jti = $2 AND event IN {DELETING_EVENTS}"
                );
                let args = args![&client_id, jti, at, receipts_until];
                db.execute("open receipt", &sql, args)?;
                let sql = "DELETE FROM signals WHERE client_id = $1 AND jti = $2";
                removed += db.execute("acknowledge signal", sql, args![&client_id, jti])?;
                append_log(db, entry, holder)?;
            }
            Ok(removed)
        })
        .await
    }

    /// The receipt `reference` (or its slot, or its signal still waiting), if still kept.
    async fn receipt(&self, reference: &str) -> Result<Option<ReceiptRow>, Error> {
        let reference = reference.to_owned();
        read(self, move |db| {
            let sql = format!("SELECT * FROM {RECEIPTS} WHERE reference = $1");
            db.optional(
                "read receipt",
                &sql,
                args![&reference],
                ReceiptRow::from_row,
            )
        })
        .await
    }

    /// The receipts of `holder` (and their slots, and their signals still waiting), newest
    /// first.
    async fn receipts_of(&self, holder: HolderId) -> Result<Vec<ReceiptRow>, Error> {
        read(self, move |db| {
            let sql = format!(
                "SELECT * FROM {RECEIPTS} WHERE holder_id = $1 \
                 ORDER BY expires_at DESC, reference COLLATE \"C\""
            );
            db.rows("read receipts", &sql, args![holder], ReceiptRow::from_row)
        })
        .await
    }

    /// Records `client_id`'s receipt for `reference` (`deleted`, a JSON array), with its log
    /// `entry` (tagged for the slot's holder, if any) `at`: whether the slot was open (not
    /// given a receipt yet, nor past its time). In one transaction: of two at once, one wins.
    async fn record_receipt(
        &self,
        client_id: &str,
        reference: &str,
        deleted: String,
        entry: Vec<u8>,
        at: Timestamp,
    ) -> Result<bool, Error> {
        let (client_id, reference) = (client_id.to_owned(), reference.to_owned());
        write(self, "record receipt", move |db| {
            let sql = "SELECT holder_id FROM signal_receipts WHERE reference = $1 \
                 AND client_id = $2 AND deleted IS NULL AND expires_at > $3";
            let args = args![&reference, &client_id, at];
            let Some(holder) = db.optional("read receipt", sql, args, |mut row| {
                row.get::<Option<HolderId>>(0)
            })?
            else {
                return Ok(false);
            };
            let sql = "UPDATE signal_receipts SET deleted = $3, received_at = $4 \
                 WHERE reference = $1 AND client_id = $2 AND deleted IS NULL";
            let args = args![&reference, &client_id, &deleted, at];
            if db.execute("record receipt", sql, args)? == 0 {
                return Ok(false);
            }
            append_log(db, &entry, holder)?;
            Ok(true)
        })
        .await
    }

    /// When the newest waiting signal of `event` for `client_id` was made, if one waits.
    async fn newest_signal(
        &self,
        client_id: &str,
        event: &str,
    ) -> Result<Option<Timestamp>, Error> {
        let (client_id, event) = (client_id.to_owned(), event.to_owned());
        read(self, move |db| {
            let sql = "SELECT MAX(created_at) FROM signals WHERE client_id = $1 AND event = $2";
            db.value("read newest signal", sql, args![&client_id, &event])
        })
        .await
    }

    /// Removes the signals and receipts whose time ran out by `now`; how many signals.
    async fn purge_signals(&self, now: Timestamp) -> Result<u64, Error> {
        write(self, "purge signals", move |db| {
            let sql = "DELETE FROM signal_receipts WHERE expires_at <= $1";
            db.execute("purge receipts", sql, args![now])?;
            let sql = "DELETE FROM signals WHERE expires_at <= $1";
            db.execute("purge signals", sql, args![now])
        })
        .await
    }
}

/// `client_id`'s stream.
pub(crate) fn stream_of(db: &mut dyn Sql, client_id: &str) -> Result<Option<StreamRow>, Error> {
    let sql = format!("SELECT {STREAM_COLUMNS} FROM signal_streams WHERE client_id = $1");
    db.optional("read stream", &sql, args![client_id], StreamRow::from_row)
}

/// Queues `signals` for the platforms whose streams are not disabled and ask for the event
/// (a verification always); the others are dropped (a disabled stream keeps nothing).
pub(crate) fn enqueue(db: &mut dyn Sql, signals: &[SignalRow]) -> Result<(), Error> {
    for signal in signals {
        let Some(stream) = stream_of(db, &signal.client_id)? else {
            continue;
        };
        let wanted = serde_json::from_str::<Vec<String>>(&stream.events_requested)
            .map_err(|_| Error::Internal("a stream's events do not parse"))?
            .contains(&signal.event)
            || signal.event == "verification";
        if stream.status == StreamStatus::Disabled || !wanted {
            continue;
        }
        let sql = "INSERT INTO signals (jti, client_id, holder_id, event, token, created_at, \
             expires_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $6)";
        let args = args![
            &signal.jti,
            &signal.client_id,
            signal.holder,
            &signal.event,
            &signal.token,
            signal.created_at,
            signal.expires_at
        ];
        db.execute("queue signal", sql, args)?;
    }
    Ok(())
}

/// A platform's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRow {
    /// The platform (the stream's receiver and audience).
    pub client_id: String,
    /// The stream's id.
    pub stream_id: String,
    /// Push or poll.
    pub delivery: Delivery,
    /// Where pushes go (push only).
    pub endpoint_url: Option<String>,
    /// The `Authorization` header to push with, sealed under the master key.
    pub sealed_authorization: Option<Vec<u8>>,
    /// The event types the platform asked for, a JSON array of netid's short names.
    pub events_requested: String,
    /// The platform's description.
    pub description: Option<String>,
    /// Whether signals flow.
    pub status: StreamStatus,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A signal to queue, with the act that causes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalRow {
    /// The SET's `jti`.
    pub jti: String,
    /// The platform.
    pub client_id: String,
    /// The holder it is about, while they exist (none for a deletion).
    pub holder: Option<HolderId>,
    /// netid's short name of its event type (as a stream's `events_requested` holds it).
    pub event: String,
    /// The signed SET.
    pub token: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it is dropped if not acknowledged.
    pub expires_at: Timestamp,
}

/// A platform's receipt of deletion, the slot that waits for it, or the signal that waits
/// for the platform's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRow {
    /// Its reference: the jti of the signal it answers.
    pub reference: String,
    /// The platform.
    pub client_id: String,
    /// The holder, while they exist (none for a deletion).
    pub holder: Option<HolderId>,
    /// netid's short name of the signal's event type.
    pub event: String,
    /// When the platform acknowledged the signal; none while it waits.
    pub acknowledged_at: Option<Timestamp>,
    /// What the platform says it deleted (a JSON array), once it says so.
    pub deleted: Option<String>,
    /// When it said so.
    pub received_at: Option<Timestamp>,
    /// When the slot or receipt is dropped.
    pub expires_at: Timestamp,
}

/// A signal claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueSignal {
    /// The SET's `jti`.
    pub jti: String,
    /// The platform.
    pub client_id: String,
    /// The signed SET.
    pub token: String,
    /// Failed deliveries so far.
    pub attempts: i64,
    /// Where to push it.
    pub endpoint_url: Option<String>,
    /// The sealed `Authorization` header, if the platform gave one.
    pub sealed_authorization: Option<Vec<u8>>,
}

stored_enum! {
    /// How a stream delivers.
    pub enum Delivery {
        /// netid posts each SET to the platform (RFC 8935).
        Push = "push",
        /// The platform polls (RFC 8936).
        Poll = "poll",
    }
}

stored_enum! {
    /// Whether a stream's signals flow (SSF 1.0 §8.1.2).
    pub enum StreamStatus {
        /// Delivered.
        Enabled = "enabled",
        /// Kept, delivered once enabled again.
        Paused = "paused",
        /// Neither kept nor delivered.
        Disabled = "disabled",
    }
}
