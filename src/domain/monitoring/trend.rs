//! A pile's trend: per-bucket means of voltage, current, power and temperature over a time
//! range, computed in SQL from the stored samples (and, past the raw samples' retention, from
//! their hourly rollups).

use crate::domain::ids::ChargerId;
use crate::domain::monitoring::MonitoringStore;
use crate::domain::storage::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The measurands a trend shows, with the point's field each fills.
pub const MEASURANDS: [&str; 4] = ["Voltage", "Current.Import", "Power.Active.Import", "Temperature"];
/// The most points one trend answers.
const MAX_POINTS: i64 = 2000;

/// One bucket's means (`null` where nothing was reported).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub at: DateTime<Utc>,
    pub voltage: Option<f64>,
    pub current: Option<f64>,
    pub power: Option<f64>,
    pub temperature: Option<f64>,
}

/// A trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trend {
    pub charger_id: ChargerId,
    pub bucket: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub points: Vec<TrendPoint>,
}

/// Why a trend was refused.
#[derive(Debug, thiserror::Error)]
pub enum TrendError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("charger {0} not found")]
    NoCharger(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A bucket's length in seconds: `30s`, `1m`, `5m`, `15m`, `1h`, `6h`, `1d`.
pub fn bucket_seconds(text: &str) -> Option<i64> {
    let unit = text.chars().last()?;
    let count: i64 = text.strip_suffix(unit)?.parse().ok().filter(|n| (1..=1000).contains(n))?;
    let seconds = match unit {
        's' => count,
        'm' => count * 60,
        'h' => count * 3600,
        'd' => count * 86_400,
        _ => return None,
    };
    (seconds >= 10).then_some(seconds)
}

/// The trend of `charger_id` from `from` to `to` by `bucket`.
pub async fn trend(
    store: &dyn MonitoringStore,
    charger_id: &ChargerId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: &str,
) -> Result<Trend, TrendError> {
    let seconds = bucket_seconds(bucket).ok_or_else(|| TrendError::Invalid {
        field: "bucket",
        message: format!("{bucket:?} is not a length like 30s, 5m, 1h or 1d (at least 10 s)"),
    })?;
    if from >= to {
        return Err(TrendError::Invalid { field: "from", message: "must be before to".into() });
    }
    if (to - from).num_seconds() / seconds > MAX_POINTS {
        return Err(TrendError::Invalid {
            field: "bucket",
            message: format!("more than {MAX_POINTS} buckets: take a longer bucket or a shorter range"),
        });
    }
    if store.charger(charger_id).await?.is_none() {
        return Err(TrendError::NoCharger(charger_id.to_string()));
    }
    let rows = store.sample_means(charger_id, from, to, seconds, &MEASURANDS).await?;
    let mut points: BTreeMap<i64, TrendPoint> = BTreeMap::new();
    for (bucket_start, measurand, mean) in rows {
        let Some(at) = DateTime::from_timestamp(bucket_start, 0) else { continue };
        let point = points.entry(bucket_start).or_insert_with(|| TrendPoint { at, ..Default::default() });
        match measurand.as_str() {
            "Voltage" => point.voltage = Some(mean),
            "Current.Import" => point.current = Some(mean),
            "Power.Active.Import" => point.power = Some(mean),
            "Temperature" => point.temperature = Some(mean),
            _ => {}
        }
    }
    Ok(Trend {
        charger_id: charger_id.to_owned(),
        bucket: bucket.to_owned(),
        from,
        to,
        points: points.into_values().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::bucket_seconds;

    #[test]
    fn buckets_are_read_in_seconds_minutes_hours_and_days() {
        let read: Vec<_> =
            ["30s", "5m", "1h", "1d", "5s", "0m", "m", "5w", "1001m"].iter().map(|b| bucket_seconds(b)).collect();
        assert_eq!(read, [Some(30), Some(300), Some(3600), Some(86_400), None, None, None, None, None]);
    }
}
