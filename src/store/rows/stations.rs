//! Stations' rows into the domain's records and back, and alarms' rows into their views.

use crate::domain::monitoring::AlarmView;
use crate::domain::stations::{SessionCaps, Station};
use crate::domain::storage::StoreError;
use chrono_tz::Tz;
use entity::{alarm, station};

/// The station of a stored row; a zone that no longer parses is a corrupt row.
pub(crate) fn station_of(row: station::Model) -> Result<Station, StoreError> {
    let timezone = row
        .timezone
        .parse::<Tz>()
        .map_err(|_| StoreError::Corrupt(format!("station {}: time zone {:?} is unknown", row.code, row.timezone)))?;
    Ok(Station {
        code: row.code,
        name: row.name,
        province: row.province,
        city: row.city,
        district: row.district,
        address: row.address,
        lng: row.lng,
        lat: row.lat,
        operator: row.operator,
        status: row.status,
        timezone,
        session: SessionCaps { max_power_w: row.session_max_power_w, max_time_s: row.session_max_time_s },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The row that stores a station.
pub(crate) fn station_row(station: &Station) -> station::Model {
    station::Model {
        code: station.code.clone(),
        name: station.name.clone(),
        province: station.province.clone(),
        city: station.city.clone(),
        district: station.district.clone(),
        address: station.address.clone(),
        lng: station.lng,
        lat: station.lat,
        operator: station.operator.clone(),
        status: station.status.clone(),
        timezone: station.timezone.name().to_owned(),
        session_max_power_w: station.session.max_power_w,
        session_max_time_s: station.session.max_time_s,
        created_at: station.created_at,
        updated_at: station.updated_at,
    }
}

impl From<alarm::Model> for AlarmView {
    fn from(a: alarm::Model) -> Self {
        AlarmView {
            id: a.id,
            charger_id: a.charger_id,
            kind: a.kind,
            level: a.level,
            status: a.status,
            message: a.message,
            value: a.value,
            raised_at: a.raised_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            cleared_at: a.cleared_at,
        }
    }
}
