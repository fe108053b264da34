//! Rows into the domain's records: the one place where a table's row becomes what the domain
//! reads (stored text parsed into its types), one file per area.

mod chargers;
mod charging;
mod orders;
mod payments;
mod stations;
mod users;

use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::storage::StoreError;

pub(crate) use stations::{station_of, station_row};

/// A stored charger id (of `whose`, named in the error): one that cannot be is a corrupt row.
pub(crate) fn charger_id(text: String, whose: impl std::fmt::Display) -> Result<ChargerId, StoreError> {
    ChargerId::parse(text).map_err(|e| StoreError::Corrupt(format!("{whose}: {e}")))
}

/// A stored id tag (of `whose`, named in the error): one that cannot be is a corrupt row.
pub(crate) fn id_tag(text: String, whose: impl std::fmt::Display) -> Result<IdTag, StoreError> {
    IdTag::parse(text).map_err(|e| StoreError::Corrupt(format!("{whose}: {e}")))
}

/// A stored id tag that may be absent (see `id_tag`).
pub(crate) fn maybe_id_tag(text: Option<String>, whose: impl std::fmt::Display) -> Result<Option<IdTag>, StoreError> {
    text.map(|text| id_tag(text, whose)).transpose()
}

/// Rows into records.
pub(crate) fn all<R, T: From<R>>(rows: Vec<R>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}

/// Stored rows as the domain's records, for records whose stored text may not parse (a status
/// the domain does not know): the first such row is `StoreError::Corrupt`.
pub(crate) trait Parse<T> {
    fn parsed(self) -> Result<T, StoreError>;
}

impl<M, T: TryFrom<M, Error = StoreError>> Parse<Option<T>> for Option<M> {
    fn parsed(self) -> Result<Option<T>, StoreError> {
        self.map(T::try_from).transpose()
    }
}

impl<M, T: TryFrom<M, Error = StoreError>> Parse<Vec<T>> for Vec<M> {
    fn parsed(self) -> Result<Vec<T>, StoreError> {
        self.into_iter().map(T::try_from).collect()
    }
}

impl<K: std::hash::Hash + Eq, M, T: TryFrom<M, Error = StoreError>> Parse<std::collections::HashMap<K, T>>
    for std::collections::HashMap<K, M>
{
    fn parsed(self) -> Result<std::collections::HashMap<K, T>, StoreError> {
        self.into_iter().map(|(k, m)| Ok((k, T::try_from(m)?))).collect()
    }
}
