//! Piles: a pile is the hub's charger (one record, one id) with its place and ratings. Creating
//! one registers the charger; an existing charger is attached to a station. A pile's status
//! combines what its charger reported with whether it is online.

use super::pile_fields::{PileFields, PileSpec};
use super::{StationError, Stations};
use crate::domain::chargers::PileProtocol;
use crate::domain::chargers::records::{Charger, Connector};
use crate::domain::ids::ChargerId;
use crate::domain::storage::StoreError;
use crate::domain::storage::Subject;
use chrono::{DateTime, Duration, Utc};

/// A pile (and charger) to create, registered.
#[derive(Debug, Clone)]
pub struct NewPile {
    pub code: ChargerId,
    pub station_code: String,
    /// An argon2 PHC string (`chargers::hash_password`), or none for no Basic auth.
    pub password_hash: Option<String>,
    pub spec: PileSpec,
}

/// A pile and the state of its connectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Pile {
    pub code: ChargerId,
    pub name: Option<String>,
    pub station_code: Option<String>,
    /// `AC` or `DC`.
    pub pile_type: Option<String>,
    pub connector_type: Option<String>,
    pub max_power_w: Option<i64>,
    pub rated_voltage_v: Option<i32>,
    pub rated_current_a: Option<i32>,
    /// How it talks to csms.
    pub protocol: PileProtocol,
    /// `Registered`, `Pending` or `Disabled`.
    pub registration: String,
    /// The hub holds its connection (and heard from it lately).
    pub online: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// `Offline`, else `Faulted`, `Unavailable`, `Available`, `Occupied` or `Unknown` (see
    /// [`pile_status`]).
    pub status: &'static str,
    /// Its connectors, the charger's own entry (1.6 connector 0) left out.
    pub connectors: Vec<ConnectorState>,
}

impl Pile {
    /// The connector a driver names by `number`: a 1.6 connector, else a 2.0.1 EVSE.
    pub fn connector(&self, number: i32) -> Option<&ConnectorState> {
        let of_16 = self.connectors.iter().find(|c| c.evse_id == 0 && c.connector_id == number);
        of_16.or_else(|| self.connectors.iter().find(|c| c.evse_id == number))
    }
}

/// A connector's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorState {
    pub evse_id: i32,
    pub connector_id: i32,
    /// `Offline` when the pile is not online, else what the charger reported.
    pub status: String,
    /// What the charger last reported (`Available`, `Charging`, `Faulted`…).
    pub reported: String,
    pub error_code: Option<String>,
    pub status_at: DateTime<Utc>,
}

impl ConnectorState {
    /// Free for a driver: online and available.
    pub fn is_free(&self) -> bool {
        self.status == AVAILABLE
    }
}

/// The status a free connector reports (both OCPP versions spell it so).
pub const AVAILABLE: &str = "Available";
/// The status of every connector of a pile that is not online.
pub const OFFLINE: &str = "Offline";

/// Whether a charger counts as online: a node holds its connection (`online_session`), that
/// node is alive (`node_alive`: its lease is current, see [`crate::domain::nodes::Nodes::alive`]),
/// and it has heard from the charger within `offline_after` (connected chargers' last-seen times
/// are flushed every few seconds). The one definition: every reader of presence asks it.
pub fn is_online(
    online_session: Option<&str>,
    node_alive: bool,
    last_seen_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    offline_after: Duration,
) -> bool {
    online_session.is_some() && node_alive && last_seen_at.is_some_and(|seen| now - seen <= offline_after)
}

/// 1.6's connector 0: the charger as a whole, not a connector.
pub fn is_whole_charger(evse_id: i32, connector_id: i32) -> bool {
    evse_id == 0 && connector_id == 0
}

/// A pile's status: `Offline` when not online; else the whole charger's own `Faulted` or
/// `Unavailable`; else `Available` when a connector is; else `Faulted` when every connector is,
/// `Unavailable` when every one is that or faulted, `Occupied` when one is in use, and `Unknown`
/// when none reported.
pub fn pile_status(online: bool, connectors: &[Connector]) -> &'static str {
    if !online {
        return OFFLINE;
    }
    let whole = connectors.iter().find(|k| is_whole_charger(k.evse_id, k.connector_id));
    if let Some(state @ ("Faulted" | "Unavailable")) = whole.map(|k| k.status.as_str()) {
        return if state == "Faulted" { "Faulted" } else { "Unavailable" };
    }
    let reported: Vec<&str> =
        connectors.iter().filter(|k| !is_whole_charger(k.evse_id, k.connector_id)).map(|k| k.status.as_str()).collect();
    if reported.is_empty() {
        "Unknown"
    } else if reported.contains(&AVAILABLE) {
        AVAILABLE
    } else if reported.iter().all(|s| *s == "Faulted") {
        "Faulted"
    } else if reported.iter().all(|s| matches!(*s, "Faulted" | "Unavailable")) {
        "Unavailable"
    } else {
        "Occupied"
    }
}

impl Stations {
    /// Creates a pile: registers its charger (Registered, with its password) with the pile's
    /// fields, in one transaction with the station's check. `Invalid` for a field, `NoStation`,
    /// `PileExists`.
    pub async fn create_pile(
        &self,
        code: &ChargerId,
        station_code: &str,
        password_hash: Option<String>,
        fields: PileFields,
    ) -> Result<Pile, StationError> {
        let spec = fields.checked(true)?;
        if spec.protocol == Some(PileProtocol::Mqtt) && !PileProtocol::fits_topic(code.as_str()) {
            return Err(StationError::Invalid {
                field: "code",
                message: format!("{code:?}: an MQTT pile's code is 1 to 64 letters, digits, '-' and '_'"),
            });
        }
        let station_code = super::records::station_code(station_code).map_err(|_| StationError::Invalid {
            field: "stationCode",
            message: format!("{station_code:?} is not a station code"),
        })?;
        let new = NewPile { code: code.clone(), station_code: station_code.to_owned(), password_hash, spec };
        match self.store.create_pile(new).await {
            Ok(row) => Ok(self.pile_of(row, Vec::new())),
            Err(StoreError::NotFound(_)) => Err(StationError::NoStation(station_code.to_owned())),
            Err(StoreError::Conflict(_)) => Err(StationError::PileExists(code.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// Attaches the existing charger `code` to a station (moving it from another), with the
    /// pile fields given (the others as they are). `NoStation`, `NoPile`, `Invalid`.
    pub async fn attach_pile(
        &self,
        code: &ChargerId,
        station_code: &str,
        fields: PileFields,
    ) -> Result<Pile, StationError> {
        let spec = fields.checked(false)?;
        let station_code =
            super::records::station_code(station_code).map_err(|_| StationError::NoStation(station_code.to_owned()))?;
        match self.store.attach_pile(code, station_code, spec).await {
            Ok(row) => {
                let connectors = self.store.connectors(code).await?;
                Ok(self.pile_of(row, connectors))
            }
            Err(StoreError::NotFound(Subject::Station)) => Err(StationError::NoStation(station_code.to_owned())),
            Err(StoreError::NotFound(_)) => Err(StationError::NoPile(code.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// The pile `code` with its connectors, and its station (whose `timezone` is the pile's
    /// zone), if it stands in one.
    pub async fn pile(&self, code: &ChargerId) -> Result<Option<(Pile, Option<super::Station>)>, StationError> {
        let Some((row, station, connectors)) = self.store.charger_in_station(code).await? else { return Ok(None) };
        Ok(Some((self.pile_of(row, connectors), station)))
    }

    /// One connector of a pile (`None` when the pile or the connector is unknown).
    pub async fn connector(
        &self,
        pile: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Option<ConnectorState>, StationError> {
        let found = self.pile(pile).await?;
        Ok(found.and_then(|(pile, _)| {
            pile.connectors.into_iter().find(|k| (k.evse_id, k.connector_id) == (evse_id, connector_id))
        }))
    }

    /// Piles by code, of one station or all, `limit` from `offset`, and how many there are;
    /// two queries and one for all their connectors.
    pub async fn piles(
        &self,
        station: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Pile>, u64), StationError> {
        let (rows, total) = self.store.piles(station, offset, limit).await?;
        let ids: Vec<ChargerId> = rows.iter().map(|r| r.id.clone()).collect();
        let mut connectors: std::collections::HashMap<ChargerId, Vec<Connector>> = Default::default();
        for k in self.store.connectors_of(&ids).await? {
            connectors.entry(k.charger_id.clone()).or_default().push(k);
        }
        let piles = rows
            .into_iter()
            .map(|row| {
                let own = connectors.remove(&row.id).unwrap_or_default();
                self.pile_of(row, own)
            })
            .collect();
        Ok((piles, total))
    }

    fn pile_of(&self, row: Charger, connectors: Vec<Connector>) -> Pile {
        let alive = self.nodes.alive(row.online_node.as_deref());
        let online = is_online(row.online_session.as_deref(), alive, row.last_seen_at, Utc::now(), self.offline_after);
        let status = pile_status(online, &connectors);
        Pile {
            code: row.id,
            name: row.name,
            station_code: row.station_code,
            pile_type: row.pile_type,
            connector_type: row.connector_type,
            max_power_w: row.max_power_w,
            rated_voltage_v: row.rated_voltage_v,
            rated_current_a: row.rated_current_a,
            protocol: row.protocol,
            registration: row.registration.as_str().to_owned(),
            online,
            last_seen_at: row.last_seen_at,
            status,
            connectors: connectors
                .into_iter()
                .filter(|k| !is_whole_charger(k.evse_id, k.connector_id))
                .map(|k| ConnectorState {
                    evse_id: k.evse_id,
                    connector_id: k.connector_id,
                    status: if online { k.status.as_str().to_owned() } else { OFFLINE.to_owned() },
                    reported: k.status.as_str().to_owned(),
                    error_code: k.error_code,
                    status_at: k.status_at,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chargers::ReportedStatus;

    fn connector(evse_id: i32, connector_id: i32, status: &str) -> Connector {
        Connector {
            charger_id: "P".into(),
            evse_id,
            connector_id,
            status: ReportedStatus::parse(status).unwrap_or_else(|| panic!("no status {status:?}")),
            error_code: None,
            info: None,
            vendor_id: None,
            vendor_error_code: None,
            status_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_pile_is_online_only_while_connected_and_heard_from_lately() {
        let now = Utc::now();
        let after = Duration::seconds(300);
        assert!(is_online(Some("t"), true, Some(now - Duration::seconds(299)), now, after));
        assert!(!is_online(Some("t"), true, Some(now - Duration::seconds(301)), now, after));
        assert!(!is_online(None, true, Some(now), now, after));
        assert!(!is_online(Some("t"), true, None, now, after));
        assert!(!is_online(Some("t"), false, Some(now), now, after), "the node holding it died");
    }

    #[test]
    fn a_pile_status_combines_its_connectors_with_being_online() {
        let available = [connector(0, 1, "Charging"), connector(0, 2, "Available")];
        assert_eq!(pile_status(false, &available), "Offline");
        assert_eq!(pile_status(true, &available), "Available");
        assert_eq!(pile_status(true, &[connector(1, 1, "Occupied")]), "Occupied");
        assert_eq!(pile_status(true, &[connector(0, 1, "Faulted"), connector(0, 2, "Faulted")]), "Faulted");
        assert_eq!(pile_status(true, &[connector(0, 1, "Faulted"), connector(0, 2, "Unavailable")]), "Unavailable");
        assert_eq!(pile_status(true, &[connector(0, 0, "Faulted"), connector(0, 1, "Available")]), "Faulted");
        assert_eq!(pile_status(true, &[]), "Unknown");
    }
}
