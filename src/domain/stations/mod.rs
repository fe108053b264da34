//! Stations, the piles in them, their tariffs, and the stations near a point.
//!
//! A station has a code, an address, a position and an IANA time zone (`Asia/Shanghai` by
//! default), in which its local days and tariff periods are read. A pile is the hub's charger:
//! creating one registers the charger, and an existing charger can be attached to a station
//! (`piles`). A tariff is valid from a local date until the next one starts; the one in force at
//! an instant is the latest that started on or before that instant's local date.

mod nearby;
mod pile_fields;
mod piles;
mod port;
pub mod records;

pub use nearby::{
    DEFAULT_RADIUS_KM, EARTH_RADIUS_KM, FreeConnector, GeoBox, MAX_RADIUS_KM, NearbyRow, NearbyStation, Point,
    haversine_km, search,
};
pub use pile_fields::{PileFields, PileSpec, PileType};
pub use piles::{AVAILABLE, ConnectorState, NewPile, OFFLINE, Pile, is_online, is_whole_charger, pile_status};
pub use port::StationStore;
pub use records::{CLOSED, DEFAULT_TIMEZONE, NewStation, OPEN, SessionCaps, Station, StationChange};

use crate::config::ChargerSettings;
use crate::domain::nodes::Nodes;
use crate::domain::storage::StoreError;
use crate::domain::tariffs::{Tariff, TariffError, TariffSpec};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// Why a station, pile or tariff request failed.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// A field the caller gave is wrong; the message says how.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("station {0} already exists")]
    StationExists(String),
    #[error("station {0} not found")]
    NoStation(String),
    #[error("pile {0} already exists")]
    PileExists(String),
    #[error("pile {0} not found")]
    NoPile(String),
    #[error("station {0} still has piles: attach them elsewhere first")]
    HasPiles(String),
    /// A tariff that is not valid (its message starts with the field at fault).
    #[error(transparent)]
    Tariff(#[from] TariffError),
    /// A stored row that cannot be read back (a zone or tariff that no longer parses).
    #[error("stored data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stations service.
#[derive(Debug, Clone)]
pub struct Stations {
    store: Arc<dyn StationStore>,
    /// A connected charger not heard from for longer counts as offline (`chargers.offline_after_s`).
    offline_after: Duration,
    /// Which nodes are alive: a dead node's chargers are offline.
    nodes: Nodes,
}

impl Stations {
    pub fn new(store: impl StationStore + 'static, settings: &ChargerSettings) -> Self {
        let store: Arc<dyn StationStore> = Arc::new(store);
        let offline_after =
            i64::try_from(settings.offline_after_s).ok().and_then(Duration::try_seconds).unwrap_or(Duration::MAX);
        Stations { store, offline_after, nodes: Nodes::default() }
    }

    /// The same, judging presence by the cluster's view of the nodes.
    pub fn with_nodes(mut self, nodes: Nodes) -> Self {
        self.nodes = nodes;
        self
    }

    /// Creates a station; `Invalid` names the first wrong field, `StationExists` when the code
    /// is taken.
    pub async fn create(&self, new: NewStation) -> Result<Station, StationError> {
        let station = new.checked(Utc::now())?;
        match self.store.create_station(&station).await {
            Ok(created) => Ok(created),
            Err(StoreError::Conflict(_)) => Err(StationError::StationExists(station.code)),
            Err(e) => Err(e.into()),
        }
    }

    /// The station `code`.
    pub async fn station(&self, code: &str) -> Result<Option<Station>, StationError> {
        if records::station_code(code).is_err() {
            return Ok(None);
        }
        Ok(self.store.station(code).await?)
    }

    /// Stations by code, `limit` from `offset`, and how many there are.
    pub async fn stations(&self, offset: u64, limit: u64) -> Result<(Vec<Station>, u64), StationError> {
        let (rows, total) = self.store.stations(offset, limit).await?;
        Ok((rows, total))
    }

    /// Changes a station; `NoStation`, or `Invalid` for a field.
    pub async fn change(&self, code: &str, change: StationChange) -> Result<Station, StationError> {
        let station = self.station(code).await?.ok_or_else(|| StationError::NoStation(code.to_owned()))?;
        let changed = change.apply(station, Utc::now())?;
        match self.store.update_station(&changed).await {
            Ok(updated) => Ok(updated),
            Err(StoreError::NotFound(_)) => Err(StationError::NoStation(code.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a station and its tariffs; `HasPiles` while piles stand in it.
    pub async fn delete(&self, code: &str) -> Result<(), StationError> {
        match self.store.delete_station(code).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound(_)) => Err(StationError::NoStation(code.to_owned())),
            Err(StoreError::Conflict(_)) => Err(StationError::HasPiles(code.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores a station's tariff — its own, or price group `group`'s — valid from its
    /// `validFrom` (default: today in the station's zone, which is also the earliest allowed);
    /// one with the same `validFrom` is replaced.
    pub async fn put_tariff(&self, code: &str, group: Option<&str>, spec: TariffSpec) -> Result<Tariff, StationError> {
        let group = group.map(price_group).transpose()?.unwrap_or_default();
        let station = self.station(code).await?.ok_or_else(|| StationError::NoStation(code.to_owned()))?;
        let today = local_date(Utc::now(), station.timezone);
        let tariff = Tariff::from_spec(spec, today)?;
        if tariff.valid_from < today {
            return Err(StationError::Invalid {
                field: "validFrom",
                message: format!("{} is before today ({today} in {})", tariff.valid_from, station.timezone),
            });
        }
        let json = serde_json::to_string(&tariff).map_err(|e| StationError::Corrupt(e.to_string()))?;
        self.store.put_tariff(code, group, tariff.valid_from, json).await?;
        Ok(tariff)
    }

    /// The tariff of station `code` (price group `group`'s, else its own) in force at `at`: the
    /// one with the latest `valid_from` on or before `at`'s date in the station's zone, with that
    /// zone; `None` when none has started.
    pub async fn tariff_in_force(
        &self,
        code: &str,
        group: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<(Tariff, Tz)>, StationError> {
        let group = group.map(price_group).transpose()?.unwrap_or_default();
        let station = self.station(code).await?.ok_or_else(|| StationError::NoStation(code.to_owned()))?;
        self.tariff_of_group(&station, group, at).await
    }

    /// The station's own tariff in force at `at`, of `station` as read.
    pub async fn tariff_of(&self, station: &Station, at: DateTime<Utc>) -> Result<Option<(Tariff, Tz)>, StationError> {
        self.tariff_of_group(station, "", at).await
    }

    /// What a driver of price group `group` pays at `station` at `at`: the group's tariff in
    /// force there, else the station's own; with the group when it was the group's.
    pub async fn tariff_for(
        &self,
        station: &Station,
        group: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<(Tariff, Tz, Option<String>)>, StationError> {
        if let Some(group) = group
            && let Some((tariff, zone)) = self.tariff_of_group(station, group, at).await?
        {
            return Ok(Some((tariff, zone, Some(group.to_owned()))));
        }
        Ok(self.tariff_of(station, at).await?.map(|(tariff, zone)| (tariff, zone, None)))
    }

    async fn tariff_of_group(
        &self,
        station: &Station,
        group: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<(Tariff, Tz)>, StationError> {
        let code = &station.code;
        let Some((valid_from, spec)) = self.store.tariff_on(code, group, local_date(at, station.timezone)).await?
        else {
            return Ok(None);
        };
        let tariff: Tariff = serde_json::from_str(&spec)
            .map_err(|e| StationError::Corrupt(format!("the tariff of {code} from {valid_from}: {e}")))?;
        Ok(Some((tariff, station.timezone)))
    }
}

/// A price group's code (a fleet, the staff): 1 to 32 of `A-Z a-z 0-9 _ -`.
pub fn price_group(code: &str) -> Result<&str, StationError> {
    let fits =
        (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fits {
        Ok(code)
    } else {
        Err(StationError::Invalid {
            field: "group",
            message: format!("{code:?} is not 1 to 32 of A-Z, a-z, 0-9, '_' and '-'"),
        })
    }
}

/// The date at `at` in `zone`.
pub fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}
