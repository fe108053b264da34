//! Stations and piles as the business sees them, what the operator gives to make or change
//! them, and the checks on each field (every refusal names the field it is about).

use super::StationError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The zone of a station made without one.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
/// A station's status when it is open to drivers (`closed` otherwise).
pub const OPEN: &str = "open";
/// A station's status when closed: it is not offered by `nearby`.
pub const CLOSED: &str = "closed";

/// A station.
#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    pub code: String,
    pub name: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub operator: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    /// Its IANA zone: local days (when a tariff starts) and tariff periods are read in it.
    pub timezone: Tz,
    /// The most a session here may draw and last.
    pub session: SessionCaps,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The most power (W) and time (s) a session at a station may take; none: no limit. Copied
/// onto each order made there, as its tariff is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCaps {
    pub max_power_w: Option<i64>,
    pub max_time_s: Option<i64>,
}

/// A station to create, as the operator gave it (checked by `Stations::create`).
#[derive(Debug, Clone, Default)]
pub struct NewStation {
    pub code: String,
    pub name: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    /// Default [`DEFAULT_TIMEZONE`].
    pub timezone: Option<String>,
    pub operator: Option<String>,
    /// Default `open`.
    pub status: Option<String>,
    /// The most power a session may draw, in kW (none: no limit).
    pub session_max_power_kw: Option<f64>,
    /// The longest a session may last, in seconds (none: no limit).
    pub session_max_time_s: Option<i64>,
}

/// What the operator changes of a station; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StationChange {
    pub name: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub timezone: Option<String>,
    /// `Some(None)` removes the operator.
    pub operator: Option<Option<String>>,
    pub status: Option<String>,
    /// `Some(None)` removes the limit.
    pub session_max_power_kw: Option<Option<f64>>,
    pub session_max_time_s: Option<Option<i64>>,
}

impl NewStation {
    /// The station it describes, created `now`, or the first field that is wrong.
    pub(crate) fn checked(self, now: DateTime<Utc>) -> Result<Station, StationError> {
        Ok(Station {
            code: station_code(&self.code)?.to_owned(),
            name: text("name", &self.name, 128)?,
            province: text("province", &self.province, 64)?,
            city: text("city", &self.city, 64)?,
            district: text("district", &self.district, 64)?,
            address: text("address", &self.address, 256)?,
            lng: longitude(self.lng)?,
            lat: latitude(self.lat)?,
            operator: self.operator.map(|o| text("operator", &o, 128)).transpose()?,
            status: status(self.status.as_deref().unwrap_or(OPEN))?,
            timezone: timezone(self.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE))?,
            session: SessionCaps {
                max_power_w: self.session_max_power_kw.map(session_power).transpose()?,
                max_time_s: self.session_max_time_s.map(session_time).transpose()?,
            },
            created_at: now,
            updated_at: now,
        })
    }
}

impl StationChange {
    /// `station` with the change applied at `now`, or the first field that is wrong.
    pub(crate) fn apply(self, mut station: Station, now: DateTime<Utc>) -> Result<Station, StationError> {
        let texts = [
            ("name", self.name, 128, &mut station.name),
            ("province", self.province, 64, &mut station.province),
            ("city", self.city, 64, &mut station.city),
            ("district", self.district, 64, &mut station.district),
            ("address", self.address, 256, &mut station.address),
        ];
        for (field, given, max, slot) in texts {
            if let Some(given) = given {
                *slot = text(field, &given, max)?;
            }
        }
        if let Some(lng) = self.lng {
            station.lng = longitude(lng)?;
        }
        if let Some(lat) = self.lat {
            station.lat = latitude(lat)?;
        }
        if let Some(zone) = self.timezone {
            station.timezone = timezone(&zone)?;
        }
        if let Some(operator) = self.operator {
            station.operator = operator.map(|o| text("operator", &o, 128)).transpose()?;
        }
        if let Some(given) = self.status {
            station.status = status(&given)?;
        }
        if let Some(given) = self.session_max_power_kw {
            station.session.max_power_w = given.map(session_power).transpose()?;
        }
        if let Some(given) = self.session_max_time_s {
            station.session.max_time_s = given.map(session_time).transpose()?;
        }
        station.updated_at = now;
        Ok(station)
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> StationError {
    StationError::Invalid { field, message: message.into() }
}

/// A station code: 1 to 32 of `A-Z a-z 0-9 _ -`.
pub fn station_code(code: &str) -> Result<&str, StationError> {
    let fits =
        (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fits { Ok(code) } else { Err(invalid("code", "1 to 32 of A-Z, a-z, 0-9, '_' and '-'")) }
}

/// Text trimmed, 1 to `max` characters.
pub(crate) fn text(field: &'static str, given: &str, max: usize) -> Result<String, StationError> {
    let trimmed = given.trim();
    if trimmed.is_empty() || trimmed.chars().count() > max {
        return Err(invalid(field, format!("1 to {max} characters")));
    }
    Ok(trimmed.to_owned())
}

/// A longitude in degrees, −180 to 180.
pub fn longitude(lng: f64) -> Result<f64, StationError> {
    if lng.is_finite() && (-180.0..=180.0).contains(&lng) {
        Ok(lng)
    } else {
        Err(invalid("lng", format!("{lng} is not a longitude (-180 to 180)")))
    }
}

/// A latitude in degrees, −90 to 90.
pub fn latitude(lat: f64) -> Result<f64, StationError> {
    if lat.is_finite() && (-90.0..=90.0).contains(&lat) {
        Ok(lat)
    } else {
        Err(invalid("lat", format!("{lat} is not a latitude (-90 to 90)")))
    }
}

/// An IANA time zone (`Asia/Shanghai`).
pub fn timezone(zone: &str) -> Result<Tz, StationError> {
    zone.parse::<Tz>().map_err(|_| invalid("timezone", format!("{zone:?} is not an IANA time zone")))
}

/// A session's most power: more than 0 and at most 10,000 kW, kept in whole watts.
fn session_power(kw: f64) -> Result<i64, StationError> {
    if kw.is_finite() && kw > 0.0 && kw <= 10_000.0 {
        // At most 1e7 here: the cast cannot overflow.
        Ok((kw * 1000.0).round() as i64)
    } else {
        Err(invalid("sessionMaxPowerKw", format!("{kw} is not more than 0 and at most 10000")))
    }
}

/// A session's most time: a minute to a week.
fn session_time(seconds: i64) -> Result<i64, StationError> {
    if (60..=7 * 86_400).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(invalid("sessionMaxTimeS", format!("{seconds} is not from 60 to 604800 seconds")))
    }
}

fn status(given: &str) -> Result<String, StationError> {
    match given {
        OPEN | CLOSED => Ok(given.to_owned()),
        other => Err(invalid("status", format!("{other:?} is not open or closed"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_station() -> NewStation {
        NewStation {
            code: "SH-001".into(),
            name: " People's Square ".into(),
            province: "Shanghai".into(),
            city: "Shanghai".into(),
            district: "Huangpu".into(),
            address: "120 Renmin Avenue".into(),
            lng: 121.4737,
            lat: 31.2304,
            ..Default::default()
        }
    }

    fn field(result: Result<Station, StationError>) -> &'static str {
        match result {
            Err(StationError::Invalid { field, .. }) => field,
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn a_station_defaults_to_shanghai_time_and_open_and_its_text_is_trimmed() {
        let station = new_station().checked(Utc::now()).unwrap();
        assert_eq!(
            (station.timezone, station.status.as_str(), station.name.as_str()),
            (chrono_tz::Asia::Shanghai, "open", "People's Square")
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let now = Utc::now();
        assert_eq!(field(NewStation { code: "SH 001".into(), ..new_station() }.checked(now)), "code");
        assert_eq!(field(NewStation { code: "x".repeat(33), ..new_station() }.checked(now)), "code");
        assert_eq!(field(NewStation { lng: 180.5, ..new_station() }.checked(now)), "lng");
        assert_eq!(field(NewStation { lat: f64::NAN, ..new_station() }.checked(now)), "lat");
        assert_eq!(
            field(NewStation { timezone: Some("Mars/Olympus".into()), ..new_station() }.checked(now)),
            "timezone"
        );
        assert_eq!(field(NewStation { address: "  ".into(), ..new_station() }.checked(now)), "address");
        assert_eq!(field(NewStation { status: Some("busy".into()), ..new_station() }.checked(now)), "status");
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name() {
        let station = new_station().checked(Utc::now()).unwrap();
        let change = StationChange { lat: Some(31.0), operator: Some(Some("Volt".into())), ..Default::default() };
        let changed = change.apply(station.clone(), Utc::now()).unwrap();
        assert_eq!((changed.lat, changed.lng, changed.operator.as_deref()), (31.0, station.lng, Some("Volt")));
        let bad = StationChange { timezone: Some("UTC+8".into()), ..Default::default() };
        assert_eq!(field(bad.apply(station, Utc::now())), "timezone");
    }
}
