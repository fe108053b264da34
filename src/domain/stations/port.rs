//! What the stations area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/stations.rs`); `startup` hands the store in.

use crate::domain::chargers::records::Charger;
use crate::domain::chargers::records::Connector;
use crate::domain::ids::ChargerId;
use crate::domain::stations::GeoBox;
use crate::domain::stations::NearbyRow;
use crate::domain::stations::NewPile;
use crate::domain::stations::PileSpec;
use crate::domain::stations::Point;
use crate::domain::stations::Station;
use crate::domain::storage::StoreError;
use chrono::NaiveDate;

/// The stations area's persistence port: stations, their piles and tariffs, and nearby search.
/// The store implements it.
#[async_trait::async_trait]
pub trait StationStore: Send + Sync + std::fmt::Debug {
    /// Puts the charger `id` in a station with the pile fields given (the others kept).
    /// `NotFound("station")` or `NotFound("charger")`.
    async fn attach_pile(&self, id: &ChargerId, station_code: &str, spec: PileSpec) -> Result<Charger, StoreError>;

    /// The charger called `id`.
    async fn charger(&self, id: &ChargerId) -> Result<Option<Charger>, StoreError>;

    /// The charger `id`, the station it stands in (if any) and its connectors, in one read.
    async fn charger_in_station(
        &self,
        id: &ChargerId,
    ) -> Result<Option<(Charger, Option<Station>, Vec<Connector>)>, StoreError>;

    /// The current status of every connector of a charger.
    async fn connectors(&self, charger_id: &ChargerId) -> Result<Vec<Connector>, StoreError>;

    /// The connectors of the chargers `ids`, in one query.
    async fn connectors_of(&self, ids: &[ChargerId]) -> Result<Vec<Connector>, StoreError>;

    /// Creates a pile: its charger, registered, with the pile's fields, in the station (checked in
    /// the same transaction). `NotFound("station")`, or `Conflict` when the id is taken.
    async fn create_pile(&self, pile: NewPile) -> Result<Charger, StoreError>;

    /// Creates a station; `Conflict` when its code is taken.
    async fn create_station(&self, station: &Station) -> Result<Station, StoreError>;

    /// Removes a station and its tariffs; `Conflict` while a charger stands in it, `NotFound`.
    async fn delete_station(&self, code: &str) -> Result<(), StoreError>;

    /// The stations in `area`, each with its piles and their connectors, in one statement: a
    /// range on `ix_stations_lat_lng` (latitude, the longitude filtered within the index), each
    /// station's piles by `ix_chargers_station`, and each pile's connectors by the `connectors`
    /// primary key (charger first). Rows come one per connector (`None`s where a station has no
    /// pile or a pile no connector), in no order.
    async fn nearby(&self, area: &GeoBox, centre: Point, limit: u64) -> Result<Vec<NearbyRow>, StoreError>;

    /// Piles (chargers) by id, of one station or all, `limit` from `offset`, and how many.
    async fn piles(&self, station: Option<&str>, offset: u64, limit: u64) -> Result<(Vec<Charger>, u64), StoreError>;

    /// Stores a station's tariff valid from `valid_from`, replacing the one of that date.
    async fn put_tariff(&self, code: &str, group: &str, valid_from: NaiveDate, spec: String) -> Result<(), StoreError>;

    /// The station `code`.
    async fn station(&self, code: &str) -> Result<Option<Station>, StoreError>;

    /// Stations by code, `limit` from `offset`, and how many there are.
    async fn stations(&self, offset: u64, limit: u64) -> Result<(Vec<Station>, u64), StoreError>;

    /// The station's tariff with the latest `valid_from` on or before `day`.
    /// Answers the day it starts and its stored spec (JSON).
    async fn tariff_on(
        &self,
        code: &str,
        group: &str,
        day: NaiveDate,
    ) -> Result<Option<(NaiveDate, String)>, StoreError>;

    /// Writes every field of a station but its code and creation time; `NotFound`.
    async fn update_station(&self, station: &Station) -> Result<Station, StoreError>;
}
