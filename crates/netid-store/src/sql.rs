//! The thin SQL layer both backends implement, so that each store operation is written once.
//!
//! Statements are hand-written SQL in the dialect SQLite and PostgreSQL share (`ON CONFLICT`,
//! `RETURNING`, `FILTER`, `COLLATE "C"` for byte order), with PostgreSQL's `$N` placeholders;
//! the SQLite side rewrites them to `?N`. Parameters are [`Value`]s, rows come back as owned
//! [`Row`]s read by index into typed values. Where the dialects part (a bulk statement, an
//! implicit row id), the operation asks [`Sql::dialect`] and says why.

use crate::log::StagedEntry;
use crate::{BlindIndex, Conflict, Error, HolderId, Timestamp};

/// Which SQL dialect a connection speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A statement parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Bytes(&'a [u8]),
    /// An array of integers (PostgreSQL only: bulk statements with `UNNEST`).
    Ints(&'a [i64]),
    /// An array of byte strings (PostgreSQL only).
    BytesList(&'a [Vec<u8>]),
}

/// `From` for [`Value`], one line a type.
macro_rules! value_from {
    ($($type:ty => |$value:ident| $make:expr),* $(,)?) => {
        $(impl<'a> From<$type> for Value<'a> {
            fn from($value: $type) -> Self {
                $make
            }
        })*
    };
}

// Counts and indexes beyond `i64::MAX` do not occur; they saturate rather than wrap.
value_from! {
    i64 => |value| Self::Int(value),
    u32 => |value| Self::Int(i64::from(value)),
    u64 => |value| Self::Int(i64::try_from(value).unwrap_or(i64::MAX)),
    bool => |value| Self::Int(i64::from(value)),
    Timestamp => |value| Self::Int(value.0),
    HolderId => |value| Self::Int(value.0),
    &'a str => |value| Self::Text(value),
    &'a String => |value| Self::Text(value),
    &'a [u8] => |value| Self::Bytes(value),
    &'a Vec<u8> => |value| Self::Bytes(value),
    &'a BlindIndex => |value| Self::Bytes(value.as_bytes()),
    netid_crypto::SuiteId => |value| Self::Text(value.as_str()),
    &'a netid_crypto::SuiteId => |value| Self::Text(value.as_str()),
    netid_ca::RevocationReason => |value| Self::Text(value.name()),
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// The parameters of a statement: `args![a, b]` is `&[Value::from(a), Value::from(b)]`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::sql::Value::from($value)),*]
    };
}
pub(crate) use args;

/// A column as read from a row.
#[derive(Debug, Default)]
pub(crate) enum Column {
    #[default]
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// One result row, its columns taken out by index.
#[derive(Debug)]
pub(crate) struct Row {
    columns: Vec<Column>,
    operation: &'static str,
    /// The column [`Row::next`] takes.
    cursor: usize,
}

impl Row {
    /// A row of `columns`, read by `operation`.
    pub(crate) fn new(columns: Vec<Column>, operation: &'static str) -> Self {
        Self {
            columns,
            operation,
            cursor: 0,
        }
    }

    /// Takes the column after the one `next` took last (the first, at first) as a `T`.
    pub(crate) fn next<T: FromColumn>(&mut self) -> Result<T, Error> {
        self.cursor += 1;
        self.get(self.cursor - 1)
    }

    /// Takes column `index` as a `T`; a type that does not fit (or a NULL where none belongs)
    /// is [`Error::Unreadable`].
    pub(crate) fn get<T: FromColumn>(&mut self, index: usize) -> Result<T, Error> {
        let column = self
            .columns
            .get_mut(index)
            .map(std::mem::take)
            .ok_or(Error::Internal("a statement returned fewer columns"))?;
        T::from_column(column).ok_or(Error::Unreadable {
            operation: self.operation,
            index,
        })
    }
}

/// A Rust type a column converts to.
pub(crate) trait FromColumn: Sized {
    fn from_column(column: Column) -> Option<Self>;
}

impl FromColumn for i64 {
    fn from_column(column: Column) -> Option<Self> {
        match column {
            Column::Int(value) => Some(value),
            _ => None,
        }
    }
}

impl FromColumn for String {
    fn from_column(column: Column) -> Option<Self> {
        match column {
            Column::Text(value) => Some(value),
            _ => None,
        }
    }
}

impl FromColumn for Vec<u8> {
    fn from_column(column: Column) -> Option<Self> {
        match column {
            Column::Bytes(value) => Some(value),
            _ => None,
        }
    }
}

/// [`FromColumn`] for a type read as another (an integer, text, bytes), then converted.
macro_rules! from_column_via {
    ($($type:ty: $base:ty => $convert:expr),* $(,)?) => {
        $(impl $crate::sql::FromColumn for $type {
            fn from_column(column: $crate::sql::Column) -> Option<Self> {
                <$base as $crate::sql::FromColumn>::from_column(column).and_then($convert)
            }
        })*
    };
}
pub(crate) use from_column_via;

from_column_via! {
    u64: i64 => |value| u64::try_from(value).ok(),
    u32: i64 => |value| u32::try_from(value).ok(),
    bool: i64 => |value| Some(value != 0),
    Timestamp: i64 => |value| Some(Timestamp(value)),
    HolderId: i64 => |value| Some(HolderId(value)),
    BlindIndex: Vec<u8> => |value| <[u8; BlindIndex::LEN]>::try_from(value).ok().map(BlindIndex::new),
    netid_crypto::SuiteId: String => |value| value.parse().ok(),
    netid_ca::RevocationReason: String => |value| netid_ca::RevocationReason::from_name(&value),
}

/// A value stored as JSON text (a list of redirect URIs, of scenarios).
impl FromColumn for Vec<String> {
    fn from_column(column: Column) -> Option<Self> {
        String::from_column(column).and_then(|text| serde_json::from_str(&text).ok())
    }
}

impl<T: FromColumn> FromColumn for Option<T> {
    fn from_column(column: Column) -> Option<Self> {
        match column {
            Column::Null => Some(None),
            other => T::from_column(other).map(Some),
        }
    }
}

/// A type read from a whole row.
pub(crate) trait FromRow: Sized {
    fn from_row(row: Row) -> Result<Self, Error>;
}

/// [`FromRow`] for structs whose fields are a query's columns, in the same order.
macro_rules! from_row {
    ($($type:ident { $($field:ident),* $(,)? })*) => {
        $(impl $crate::sql::FromRow for $type {
            fn from_row(mut row: $crate::sql::Row) -> Result<Self, $crate::Error> {
                Ok(Self { $($field: row.next()?,)* })
            }
        })*
    };
}
pub(crate) use from_row;

impl<A: FromColumn, B: FromColumn> FromRow for (A, B) {
    fn from_row(mut row: Row) -> Result<Self, Error> {
        Ok((row.next()?, row.next()?))
    }
}

impl<A: FromColumn, B: FromColumn, C: FromColumn> FromRow for (A, B, C) {
    fn from_row(mut row: Row) -> Result<Self, Error> {
        Ok((row.next()?, row.next()?, row.next()?))
    }
}

/// A connection, or a transaction on one, that runs SQL. `operation` names the store
/// operation in errors.
pub(crate) trait Sql {
    /// Which dialect this connection speaks.
    fn dialect(&self) -> Dialect;

    /// Runs a statement; how many rows it changed.
    fn execute(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<u64, Error>;

    /// Runs a query; all its rows.
    fn query(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Row>, Error>;

    /// Runs statements without parameters or results (transaction control).
    fn batch(&mut self, operation: &'static str, sql: &str) -> Result<(), Error>;

    /// Where a grouped transaction keeps the log entries it appends at its end; `None`
    /// elsewhere: entries are appended at once (see `crate::log`).
    fn staged_log(&mut self) -> Option<&mut Vec<StagedEntry>> {
        None
    }
}

impl dyn Sql + '_ {
    /// The row a query returns, if any (the first, if more), converted.
    pub(crate) fn optional<T>(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
        convert: impl FnOnce(Row) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        self.query(operation, sql, args)?
            .into_iter()
            .next()
            .map(convert)
            .transpose()
    }

    /// Whether a query returns a row.
    pub(crate) fn exists(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<bool, Error> {
        self.optional(operation, sql, args, |_| Ok(()))
            .map(|row| row.is_some())
    }

    /// The one row a query must return.
    pub(crate) fn one(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Row, Error> {
        self.optional(operation, sql, args, Ok)?
            .ok_or(Error::Internal("a query that returns a row returned none"))
    }

    /// The first column of the one row a query must return.
    pub(crate) fn value<T: FromColumn>(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<T, Error> {
        self.one(operation, sql, args)?.get(0)
    }

    /// The first column of each row.
    pub(crate) fn values<T: FromColumn>(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<T>, Error> {
        self.rows(operation, sql, args, |mut row| row.get(0))
    }

    /// Each row, converted.
    pub(crate) fn rows<T>(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
        convert: impl FnMut(Row) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        self.query(operation, sql, args)?
            .into_iter()
            .map(convert)
            .collect()
    }

    /// Runs an insert, a unique violation becoming [`Error::AlreadyExists`] with what
    /// `classify` makes of the constraint (SQLite names `table.column`, PostgreSQL its
    /// constraint `table_column_key`: classifiers look for the column's name).
    pub(crate) fn insert(
        &mut self,
        operation: &'static str,
        sql: &str,
        args: &[Value<'_>],
        classify: impl Fn(&str) -> Conflict,
    ) -> Result<u64, Error> {
        self.execute(operation, sql, args)
            .map_err(|error| error.conflict(classify))
    }
}
