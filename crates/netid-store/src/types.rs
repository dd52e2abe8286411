//! What every aggregate's rows use: timestamps, blind indexes, holder ids, and enums stored
//! as text. Each aggregate's module owns its own rows.
/// Seconds since the Unix epoch, handed in by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// A keyed MAC used as a lookup key (blind index): 32 bytes, revealing nothing without the key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BlindIndex([u8; BlindIndex::LEN]);

impl BlindIndex {
    /// Length of a blind index in bytes (one SM3 or SHA-256 output).
    pub const LEN: usize = 32;

    /// Wraps a MAC output.
    pub fn new(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// The index bytes.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

impl core::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("BlindIndex(..)")
    }
}

/// The store's own key of a holder row; never shown outside the service (a pending value of
/// a flow may carry it, inside the service's database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct HolderId(pub i64);

/// An enum stored as text: each variant with its stored name, read back strictly (an
/// unknown stored name is [`crate::Error::Unreadable`], never a default).
macro_rules! stored_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$doc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$doc])* $variant,)*
        }

        impl $name {
            /// The stored name.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }

            /// The value of a stored name.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }

        impl From<$name> for crate::sql::Value<'_> {
            fn from(value: $name) -> Self {
                Self::Text(value.as_str())
            }
        }

        crate::sql::from_column_via!($name: String => |name: String| $name::from_name(&name));
    };
}
pub(crate) use stored_enum;

/// How many grouped writes (verifications, nonces, enrollments) were committed together, and
/// in how many transactions: `writes / commits` is the average group, what group commit saves
/// in `fsync`s and WAL flushes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommits {
    /// Shared transactions committed.
    pub commits: u64,
    /// Grouped writes stored by them.
    pub writes: u64,
    /// Of those transactions, the ones that appended to the log (moved its counter).
    pub sequenced: u64,
    /// How long, in all, those held the log's counter: from moving it to the end of their
    /// commit, in microseconds. The serial part of every node's writes.
    pub counter_held_micros: u64,
}
