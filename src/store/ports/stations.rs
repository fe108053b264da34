//! The store as the stations area's port: each method is the store's own query.

use crate::domain::chargers::records::Charger;
use crate::domain::chargers::records::Connector;
use crate::domain::ids::ChargerId;
use crate::domain::stations::GeoBox;
use crate::domain::stations::NearbyRow;
use crate::domain::stations::NewPile;
use crate::domain::stations::PileSpec;
use crate::domain::stations::Point;
use crate::domain::stations::Station;
use crate::domain::stations::StationStore;
use crate::domain::storage::StoreError;
use crate::store::Store;
use chrono::NaiveDate;

#[async_trait::async_trait]
impl StationStore for Store {
    async fn attach_pile(&self, id: &ChargerId, station_code: &str, spec: PileSpec) -> Result<Charger, StoreError> {
        Store::attach_pile(self, id, station_code, spec).await
    }

    async fn charger(&self, id: &ChargerId) -> Result<Option<Charger>, StoreError> {
        Store::charger(self, id).await
    }

    async fn charger_in_station(
        &self,
        id: &ChargerId,
    ) -> Result<Option<(Charger, Option<Station>, Vec<Connector>)>, StoreError> {
        match Store::charger_in_station(self, id).await? {
            Some((charger, station, connectors)) => {
                Ok(Some((charger, station, self.with_reservations(connectors).await?)))
            }
            None => Ok(None),
        }
    }

    async fn connectors(&self, charger_id: &ChargerId) -> Result<Vec<Connector>, StoreError> {
        let connectors = Store::connectors(self, charger_id).await?;
        self.with_reservations(connectors).await
    }

    async fn connectors_of(&self, ids: &[ChargerId]) -> Result<Vec<Connector>, StoreError> {
        let connectors = Store::connectors_of(self, ids).await?;
        self.with_reservations(connectors).await
    }

    async fn create_pile(&self, pile: NewPile) -> Result<Charger, StoreError> {
        Store::create_pile(self, pile).await
    }

    async fn create_station(&self, station: &Station) -> Result<Station, StoreError> {
        Store::create_station(self, station).await
    }

    async fn delete_station(&self, code: &str) -> Result<(), StoreError> {
        Store::delete_station(self, code).await
    }

    async fn nearby(&self, area: &GeoBox, centre: Point, limit: u64) -> Result<Vec<NearbyRow>, StoreError> {
        Store::nearby(self, area, centre, limit).await
    }

    async fn piles(&self, station: Option<&str>, offset: u64, limit: u64) -> Result<(Vec<Charger>, u64), StoreError> {
        Store::piles(self, station, offset, limit).await
    }

    async fn put_tariff(&self, code: &str, group: &str, valid_from: NaiveDate, spec: String) -> Result<(), StoreError> {
        Store::put_tariff(self, code, group, valid_from, spec).await
    }

    async fn station(&self, code: &str) -> Result<Option<Station>, StoreError> {
        Store::station(self, code).await
    }

    async fn stations(&self, offset: u64, limit: u64) -> Result<(Vec<Station>, u64), StoreError> {
        Store::stations(self, offset, limit).await
    }

    async fn tariff_on(
        &self,
        code: &str,
        group: &str,
        day: NaiveDate,
    ) -> Result<Option<(NaiveDate, String)>, StoreError> {
        Store::tariff_on(self, code, group, day).await
    }

    async fn update_station(&self, station: &Station) -> Result<Station, StoreError> {
        Store::update_station(self, station).await
    }
}
