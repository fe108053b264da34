//! Piles: a pile is the hub's charger (one record, one id) with its place and ratings. Creating
//! one registers the charger; an existing charger is attached to a station. A pile's status
//! combines what its charger reported with whether it is online.

use super::{StationError, Stations};
use crate::domain::chargers::records::{Charger, Connector};
use crate::domain::ids::ChargerId;
use crate::domain::storage::StoreError;
use crate::domain::storage::Subject;
use chrono::{DateTime, Duration, Utc};

/// `AC` or `DC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PileType {
    Ac,
    Dc,
}

impl PileType {
    /// The stored and shown spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            PileType::Ac => "AC",
            PileType::Dc => "DC",
        }
    }

    fn parse(given: &str) -> Result<PileType, StationError> {
        match given {
            "AC" => Ok(PileType::Ac),
            "DC" => Ok(PileType::Dc),
            other => Err(StationError::Invalid { field: "type", message: format!("{other:?} is not AC or DC") }),
        }
    }
}

/// A pile's fields as the operator gives them (checked into a [`PileSpec`]); `None` leaves one
/// unset, or as it is when attaching.
#[derive(Debug, Clone, Default)]
pub struct PileFields {
    pub name: Option<String>,
    /// `AC` or `DC`.
    pub pile_type: Option<String>,
    /// `GB/T`, `CCS2`, `Type2`…
    pub connector_type: Option<String>,
    pub max_power_kw: Option<f64>,
    pub rated_voltage_v: Option<i64>,
    pub rated_current_a: Option<i64>,
}

/// A pile's fields, checked, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PileSpec {
    pub name: Option<String>,
    pub pile_type: Option<PileType>,
    pub connector_type: Option<String>,
    pub max_power_w: Option<i64>,
    pub rated_voltage_v: Option<i32>,
    pub rated_current_a: Option<i32>,
}

/// A pile (and charger) to create, registered.
#[derive(Debug, Clone)]
pub struct NewPile {
    pub code: ChargerId,
    pub station_code: String,
    /// An argon2 PHC string (`chargers::hash_password`), or none for no Basic auth.
    pub password_hash: Option<String>,
    pub spec: PileSpec,
}

impl PileFields {
    /// Checked; `required` says a new pile's name, type and power must be given.
    fn checked(self, required: bool) -> Result<PileSpec, StationError> {
        let missing = |field: &'static str| StationError::Invalid { field, message: "missing".into() };
        if required {
            self.name.as_ref().ok_or_else(|| missing("name"))?;
            self.pile_type.as_ref().ok_or_else(|| missing("type"))?;
            self.max_power_kw.ok_or_else(|| missing("maxPowerKw"))?;
        }
        let whole = |field: &'static str, given: Option<i64>, max: i64| -> Result<Option<i32>, StationError> {
            given
                .map(|v| match i32::try_from(v) {
                    Ok(v) if (1..=max).contains(&i64::from(v)) => Ok(v),
                    _ => Err(StationError::Invalid { field, message: format!("{v} is not 1 to {max}") }),
                })
                .transpose()
        };
        Ok(PileSpec {
            name: self.name.map(|n| super::records::text("name", &n, 128)).transpose()?,
            pile_type: self.pile_type.as_deref().map(PileType::parse).transpose()?,
            connector_type: self.connector_type.map(|c| super::records::text("connectorType", &c, 32)).transpose()?,
            max_power_w: self.max_power_kw.map(watts).transpose()?,
            rated_voltage_v: whole("ratedVoltage", self.rated_voltage_v, 2000)?,
            rated_current_a: whole("ratedCurrent", self.rated_current_a, 1000)?,
        })
    }
}

/// Kilowatts (more than 0, at most 10 MW) as whole watts.
fn watts(kw: f64) -> Result<i64, StationError> {
    if kw.is_finite() && kw > 0.0 && kw <= 10_000.0 {
        // At most 1e7 here: the cast cannot overflow.
        Ok((kw * 1000.0).round() as i64)
    } else {
        Err(StationError::Invalid {
            field: "maxPowerKw",
            message: format!("{kw} is not more than 0 and at most 10000"),
        })
    }
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

    #[test]
    fn pile_fields_are_checked_and_power_is_kept_in_watts() {
        let fields = PileFields {
            name: Some("A-01".into()),
            pile_type: Some("DC".into()),
            max_power_kw: Some(7.4),
            rated_voltage_v: Some(750),
            ..Default::default()
        };
        let spec = fields.clone().checked(true).unwrap();
        assert_eq!(
            (spec.max_power_w, spec.pile_type, spec.rated_voltage_v),
            (Some(7400), Some(PileType::Dc), Some(750))
        );
        let field = |fields: PileFields, required: bool| match fields.checked(required) {
            Err(StationError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(PileFields { pile_type: Some("ac".into()), ..fields.clone() }, true), "type");
        assert_eq!(field(PileFields { max_power_kw: Some(0.0), ..fields.clone() }, true), "maxPowerKw");
        assert_eq!(field(PileFields { rated_current_a: Some(-3), ..fields.clone() }, true), "ratedCurrent");
        assert_eq!(field(PileFields { name: None, ..fields.clone() }, true), "name");
        assert_eq!(PileFields::default().checked(false).unwrap(), PileSpec::default());
    }
}
