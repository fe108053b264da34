//! `GET /api/v1/stations/nearby`: the open stations nearest a point, with their free connectors.

use super::stations::kilowatts;
use super::{ApiError, ApiState};
use crate::domain::stations::NearbyStation;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/api/v1/stations/nearby", get(nearby))
}

/// The OpenAPI of this route.
#[derive(utoipa::OpenApi)]
#[openapi(paths(nearby))]
pub(super) struct Doc;

/// `?lng=&lat=&radius_km=` (radius default 5 km, at most 50).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NearbyQuery {
    lng: Option<String>,
    lat: Option<String>,
    radius_km: Option<String>,
    limit: Option<String>,
}

/// `{items: [...]}`, nearest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct NearbyView {
    items: Vec<NearbyStationView>,
}

/// A station near the point, with its connectors.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct NearbyStationView {
    code: String,
    name: String,
    address: String,
    lng: f64,
    lat: f64,
    /// To the metre.
    distance_km: f64,
    free_connectors: u32,
    /// Connectors online that a reservation holds (`Reserved`): not free.
    reserved_connectors: u32,
    total_connectors: u32,
    connectors: Vec<FreeConnectorView>,
}

/// A connector of a nearby station.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct FreeConnectorView {
    pile_code: String,
    evse_id: i32,
    connector_id: i32,
    status: String,
    #[serde(rename = "type")]
    pile_type: Option<String>,
    max_power_kw: Option<f64>,
}

impl From<NearbyStation> for NearbyStationView {
    fn from(s: NearbyStation) -> Self {
        NearbyStationView {
            code: s.code,
            name: s.name,
            address: s.address,
            lng: s.lng,
            lat: s.lat,
            distance_km: (s.distance_km * 1000.0).round() / 1000.0,
            free_connectors: s.free_connectors,
            reserved_connectors: s.reserved_connectors,
            total_connectors: s.total_connectors,
            connectors: s
                .connectors
                .into_iter()
                .map(|k| FreeConnectorView {
                    pile_code: k.pile_code,
                    evse_id: k.evse_id,
                    connector_id: k.connector_id,
                    status: k.status,
                    pile_type: k.pile_type,
                    max_power_kw: k.max_power_w.map(kilowatts),
                })
                .collect(),
        }
    }
}

/// The open stations within a radius of a point, nearest first, with their free connectors (anyone).
#[utoipa::path(get, path = "/api/v1/stations/nearby", tag = "stations", operation_id = "nearbyStations",
    params(
        ("lng" = f64, Query, description = "Longitude of the point"),
        ("lat" = f64, Query, description = "Latitude of the point"),
        ("radius_km" = Option<f64>, Query, description = "Kilometres, default 5, at most 50"),
        ("limit" = Option<u64>, Query, description = "The nearest this many stations, default 20, at most 100"),
    ),
    responses(
        (status = 200, description = "The stations, nearest first", body = NearbyView),
        (status = 400, description = "`bad_request`: a missing or malformed coordinate or radius", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn nearby(
    State(state): State<ApiState>,
    query: Result<Query<NearbyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<NearbyView>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let number = |name: &str, given: Option<String>| -> Result<Option<f64>, ApiError> {
        given
            .map(|text| {
                text.trim()
                    .parse::<f64>()
                    .map_err(|_| ApiError::BadRequest(format!("{name}: {text:?} is not a number")))
            })
            .transpose()
    };
    let missing = |name: &str| ApiError::BadRequest(format!("{name}: missing"));
    let lng = number("lng", q.lng)?.ok_or_else(|| missing("lng"))?;
    let lat = number("lat", q.lat)?.ok_or_else(|| missing("lat"))?;
    let (centre, radius_km) = crate::domain::stations::search(lng, lat, number("radius_km", q.radius_km)?)?;
    let limit = match number("limit", q.limit)? {
        None => 20,
        Some(n) if n.fract() == 0.0 && (1.0..=100.0).contains(&n) => n as u64,
        Some(n) => return Err(ApiError::BadRequest(format!("limit: {n} is not a whole number from 1 to 100"))),
    };
    let found = state.stations.nearby(centre, radius_km, limit).await?;
    Ok(Json(NearbyView { items: found.into_iter().map(NearbyStationView::from).collect() }))
}
