//! Stations near a point: a latitude/longitude box around the circle (what the database can
//! search by index), then the great-circle distance of each station found, kept when within the
//! radius, nearest first, with its free connectors (online and `Available`).

use super::piles::{AVAILABLE, is_online, is_whole_charger};
use super::{StationError, Stations};
use crate::domain::nodes::Nodes;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// The mean Earth radius (IUGG), in km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
/// The radius asked for when none is given, in km.
pub const DEFAULT_RADIUS_KM: f64 = 5.0;
/// The largest radius that may be asked for, in km.
pub const MAX_RADIUS_KM: f64 = 50.0;

/// A point, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lng: f64,
    pub lat: f64,
}

/// The great-circle distance between two points, in km (haversine).
pub fn haversine_km(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let (dlat, dlng) = ((b.lat - a.lat).to_radians(), (b.lng - a.lng).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// The smallest box of latitudes and longitudes holding every point within a radius of a
/// centre: one latitude range, and one longitude range — two where the box crosses the
/// antimeridian (±180°), the whole circle where it reaches a pole.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoBox {
    pub lat: (f64, f64),
    pub lng: Vec<(f64, f64)>,
}

impl GeoBox {
    /// The box around the circle of `radius_km` about `centre` (J. Matuschek's bounding
    /// coordinates: the longitude span is widest at the latitude where the circle touches its
    /// meridians, asin(sin r / cos lat), not at the centre's).
    pub fn around(centre: Point, radius_km: f64) -> GeoBox {
        let angle = radius_km / EARTH_RADIUS_KM;
        let lat = centre.lat.to_radians();
        let (south, north) = (lat - angle, lat + angle);
        let half_pi = std::f64::consts::FRAC_PI_2;
        if south <= -half_pi || north >= half_pi {
            // A pole is inside: every longitude, from the pole to the far edge.
            return GeoBox {
                lat: (south.max(-half_pi).to_degrees(), north.min(half_pi).to_degrees()),
                lng: vec![(-180.0, 180.0)],
            };
        }
        let span = (angle.sin() / lat.cos()).asin().to_degrees();
        let (west, east) = (centre.lng - span, centre.lng + span);
        let lng = if west < -180.0 {
            vec![(west + 360.0, 180.0), (-180.0, east)]
        } else if east > 180.0 {
            vec![(west, 180.0), (-180.0, east - 360.0)]
        } else {
            vec![(west, east)]
        };
        GeoBox { lat: (south.to_degrees(), north.to_degrees()), lng }
    }

    /// Whether the box holds `p`.
    pub fn contains(&self, p: Point) -> bool {
        (self.lat.0..=self.lat.1).contains(&p.lat) && self.lng.iter().any(|(w, e)| (*w..=*e).contains(&p.lng))
    }
}

/// One row of the box's query: a station, one of its piles and one of that pile's connectors
/// (`None`s where the station has no pile, or the pile no connector).
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyRow {
    pub station_code: String,
    pub station_name: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub station_status: String,
    pub pile_code: Option<String>,
    pub pile_type: Option<String>,
    pub max_power_w: Option<i64>,
    pub online_session: Option<String>,
    pub online_node: Option<String>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub evse_id: Option<i32>,
    pub connector_id: Option<i32>,
    pub connector_status: Option<String>,
}

/// A station near the point.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyStation {
    pub code: String,
    pub name: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub distance_km: f64,
    /// Connectors online and available.
    pub free_connectors: u32,
    /// Connectors online that a reservation holds.
    pub reserved_connectors: u32,
    /// Every connector its piles reported.
    pub total_connectors: u32,
    /// The free ones, by pile and connector.
    pub connectors: Vec<FreeConnector>,
}

/// A free connector of a station.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeConnector {
    pub pile_code: String,
    pub evse_id: i32,
    pub connector_id: i32,
    /// `Available`.
    pub status: String,
    /// `AC` or `DC`.
    pub pile_type: Option<String>,
    pub max_power_w: Option<i64>,
}

/// Checks a nearby search: a longitude, a latitude and a radius (default 5 km, at most 50).
pub fn search(lng: f64, lat: f64, radius_km: Option<f64>) -> Result<(Point, f64), StationError> {
    let centre = Point { lng: super::records::longitude(lng)?, lat: super::records::latitude(lat)? };
    let radius = radius_km.unwrap_or(DEFAULT_RADIUS_KM);
    if !(radius.is_finite() && radius > 0.0 && radius <= MAX_RADIUS_KM) {
        return Err(StationError::Invalid {
            field: "radius_km",
            message: format!("{radius} is not more than 0 and at most {MAX_RADIUS_KM}"),
        });
    }
    Ok((centre, radius))
}

/// The open stations of `rows` within `radius_km` of `centre`, nearest first (then by code).
pub(super) fn nearest(
    rows: Vec<NearbyRow>,
    centre: Point,
    radius_km: f64,
    now: DateTime<Utc>,
    offline_after: Duration,
    nodes: &Nodes,
) -> Vec<NearbyStation> {
    let mut stations: BTreeMap<String, NearbyStation> = BTreeMap::new();
    for row in rows {
        if row.station_status != super::OPEN {
            continue;
        }
        let distance_km = haversine_km(centre, Point { lng: row.lng, lat: row.lat });
        if distance_km > radius_km {
            continue;
        }
        let station = stations.entry(row.station_code.clone()).or_insert_with(|| NearbyStation {
            code: row.station_code.clone(),
            name: row.station_name.clone(),
            address: row.address.clone(),
            lng: row.lng,
            lat: row.lat,
            distance_km,
            free_connectors: 0,
            reserved_connectors: 0,
            total_connectors: 0,
            connectors: Vec::new(),
        });
        let (Some(pile_code), Some(evse_id), Some(connector_id), Some(status)) =
            (row.pile_code, row.evse_id, row.connector_id, row.connector_status)
        else {
            continue;
        };
        if is_whole_charger(evse_id, connector_id) {
            continue;
        }
        station.total_connectors += 1;
        let alive = nodes.alive(row.online_node.as_deref());
        let online = is_online(row.online_session.as_deref(), alive, row.last_seen_at, now, offline_after);
        if online && status == "Reserved" {
            station.reserved_connectors += 1;
        }
        if status == AVAILABLE && online {
            station.free_connectors += 1;
            station.connectors.push(FreeConnector {
                pile_code,
                evse_id,
                connector_id,
                status,
                pile_type: row.pile_type,
                max_power_w: row.max_power_w,
            });
        }
    }
    let mut found: Vec<NearbyStation> = stations.into_values().collect();
    for station in &mut found {
        station
            .connectors
            .sort_by(|a, b| (&a.pile_code, a.evse_id, a.connector_id).cmp(&(&b.pile_code, b.evse_id, b.connector_id)));
    }
    found.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km).then_with(|| a.code.cmp(&b.code)));
    found
}

impl Stations {
    /// The `limit` open stations within `radius_km` of `centre` nearest it, nearest first, with
    /// their free connectors: one query (see `Store::nearby`), the exact distances computed here.
    pub async fn nearby(&self, centre: Point, radius_km: f64, limit: u64) -> Result<Vec<NearbyStation>, StationError> {
        let rows = self.store.nearby(&GeoBox::around(centre, radius_km), centre, limit).await?;
        Ok(nearest(rows, centre, radius_km, Utc::now(), self.offline_after, &self.nodes))
    }
}

#[cfg(test)]
#[path = "nearby_tests.rs"]
mod tests;
