//! An upgrade leaves the samples stored before migration 19 where they are (`meter_samples`) and
//! reads them as before: a session's samples, its bill and the trend over them are the same
//! before and after the migration, and the same as those of a twin session stored after it in
//! the compact layout (`meter_readings`); retention rolls both up alike.

use crate::helpers::{fresh_database, spawn_app_with};
use chrono::{DateTime, Duration, DurationRound, Utc};
use csms::domain::charging::records::{MeterSample, Transaction};
use csms::domain::orders::billing::{Metering, SessionBill, session_bill};
use csms::domain::tariffs::Tariff;
use entity::{charger, meter_sample, transaction};
use migration::{Migrator, MigratorTrait};
use protocol::{OcppVersion, v16};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, Database, EntityTrait, QueryFilter, QueryOrder};
use simulators::{Connect, SimCharger};

/// Two days ago, on the hour: within `monitoring.retention_days` (the retention job, which runs
/// as the server starts, leaves it), rolled up when the test says.
fn began() -> DateTime<Utc> {
    (Utc::now() - Duration::days(2)).duration_trunc(Duration::hours(1)).unwrap()
}

type Spec = (i64, &'static str, Option<&'static str>, &'static str, &'static str, &'static str, String);
/// A sample as a reader sees it: time, measurand, phase, context, location, unit, value.
type Seen = (DateTime<Utc>, String, Option<String>, String, String, String, String);

/// The session's samples: (minute, measurand, phase, context, location, unit, value), as the
/// OCPP handler normalises them.
fn samples() -> Vec<Spec> {
    let mut all =
        vec![(0, "Energy.Active.Import.Register", None, "Transaction.Begin", "Outlet", "Wh", "50000".to_owned())];
    for minute in 1..=150 {
        let periodic = "Sample.Periodic";
        all.push((
            minute,
            "Energy.Active.Import.Register",
            None,
            periodic,
            "Outlet",
            "Wh",
            (50_000 + 118 * minute).to_string(),
        ));
        all.push((
            minute,
            "Voltage",
            Some("L1-N"),
            periodic,
            "Outlet",
            "V",
            format!("{}.{}", 228 + minute % 5, 1 + minute % 9),
        ));
        all.push((minute, "Voltage", Some("L2-N"), periodic, "Outlet", "V", "230.05".to_owned()));
        all.push((minute, "Power.Active.Import", None, periodic, "Outlet", "W", (7000 + 3 * minute).to_string()));
        all.push((minute, "Current.Import", None, periodic, "Outlet", "A", "31.5".to_owned()));
        all.push((minute, "SoC", None, periodic, "EV", "Percent", (20 + minute / 3).to_string()));
    }
    all.push((151, "Energy.Active.Import.Register", None, "Transaction.End", "Outlet", "Wh", "67818".to_owned()));
    all
}

fn tariff() -> Tariff {
    let mut spec = crate::business::tariff();
    spec["validFrom"] = "2020-01-01".into();
    serde_json::from_value(spec).unwrap()
}

/// The bill of a session, from the stored rows as the previous build read them or from what the
/// store answers now.
fn bill<
    T: Clone + TryInto<Transaction, Error: std::fmt::Debug>,
    S: Clone + TryInto<MeterSample, Error: std::fmt::Debug>,
>(
    t: &T,
    samples: &[S],
) -> SessionBill {
    let tariff = tariff();
    let metering = Metering {
        tariff: &tariff,
        zone: chrono_tz::Asia::Shanghai,
        rated_power_w: None,
        billed_location: "Outlet",
        discount: None,
    };
    let samples: Vec<MeterSample> = samples.iter().cloned().map(|s| s.try_into().unwrap()).collect();
    session_bill(&t.clone().try_into().unwrap(), &samples, &metering)
}

/// What a reader sees of a sample (not where it is stored).
fn seen<S: Clone + TryInto<MeterSample, Error: std::fmt::Debug>>(samples: &[S]) -> Vec<Seen> {
    samples
        .iter()
        .map(|s| {
            let s: MeterSample = s.clone().try_into().unwrap();
            (s.sampled_at, s.measurand, s.phase, s.context, s.location, s.unit, s.value)
        })
        .collect()
}

/// A trend's points with means to 9 places: a mean is a sum of doubles, whose last bits depend
/// on the order the database adds them in.
fn rounded(points: &serde_json::Value) -> serde_json::Value {
    match points {
        serde_json::Value::Number(n) => n.as_f64().map_or(points.clone(), |f| ((f * 1e9).round() / 1e9).into()),
        serde_json::Value::Array(all) => all.iter().map(rounded).collect(),
        serde_json::Value::Object(fields) => fields.iter().map(|(k, v)| (k.clone(), rounded(v))).collect(),
        other => other.clone(),
    }
}

#[tokio::test]
async fn samples_stored_before_the_compact_layout_read_the_same_bills_and_trends_after_it() {
    // A database one migration short of this build's, with a finished session stored as the
    // previous build stored it.
    let (url, database) = fresh_database().await;
    let db = Database::connect(&url).await.unwrap();
    let steps = Migrator::migrations().iter().position(|m| m.name() == "m20261206_000019_compact_samples").unwrap();
    Migrator::up(&db, Some(u32::try_from(steps).unwrap())).await.unwrap();
    let now = Utc::now();
    // Inserted without reading it back: this build's charger has columns that database lacks.
    let old_charger = charger::ActiveModel {
        id: Set("CP-OLD".into()),
        registration: Set("Registered".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    charger::Entity::insert(old_charger).exec_without_returning(&db).await.unwrap();
    let old = transaction::ActiveModel {
        charger_id: Set("CP-OLD".into()),
        evse_id: Set(0),
        connector_id: Set(1),
        id_tag: Set(Some("TAG-OLD".into())),
        started_at: Set(began()),
        meter_start_wh: Set(Some(50_000)),
        stopped_at: Set(Some(began() + Duration::minutes(151))),
        meter_stop_wh: Set(Some(67_818)),
        energy_wh: Set(Some(17_818)),
        stop_reason: Set(Some("Local".into())),
        status: Set("Completed".into()),
        offline: Set(false),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    for (minute, measurand, phase, context, location, unit, value) in samples() {
        meter_sample::ActiveModel {
            transaction_id: Set(Some(old.id)),
            charger_id: Set("CP-OLD".into()),
            evse_id: Set(0),
            connector_id: Set(1),
            sampled_at: Set(began() + Duration::minutes(minute)),
            measurand: Set(measurand.into()),
            phase: Set(phase.map(Into::into)),
            context: Set(context.into()),
            location: Set(location.into()),
            unit: Set(unit.into()),
            value: Set(value),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }
    // What the previous build read: the transaction's rows in time order.
    let before = meter_sample::Entity::find()
        .filter(meter_sample::Column::TransactionId.eq(old.id))
        .order_by_asc(meter_sample::Column::SampledAt)
        .order_by_asc(meter_sample::Column::Id)
        .all(&db)
        .await
        .unwrap();
    let bill_before = bill(&old, &before);
    assert_eq!(bill_before.energy_wh.get(), 17_818);
    assert!(bill_before.review.is_none(), "{bill_before:?}");
    db.close().await.unwrap();

    // This build on that database migrates it, and a twin session arrives over OCPP.
    let app = spawn_app_with(|s| s.database.url = url.clone()).await;
    let (_, after) = app.store.transaction(old.id).await.unwrap().unwrap();
    assert_eq!(seen(&after), seen(&before), "the old rows read as before");
    assert_eq!(bill(&old, &after), bill_before);

    app.register("CP-NEW", None).await;
    app.store.create_id_tag("TAG-NEW", "Accepted", None, None).await.unwrap();
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-NEW", OcppVersion::V16)).await.unwrap();
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-NEW".into(),
        meter_start: 50_000,
        reservation_id: None,
        timestamp: began(),
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    let mut by_minute: std::collections::BTreeMap<i64, Vec<v16::SampledValue>> = Default::default();
    for (minute, measurand, phase, context, location, unit, value) in samples() {
        let sampled: v16::SampledValue = serde_json::from_value(serde_json::json!({
            "value": value, "measurand": measurand, "phase": phase, "context": context, "location": location, "unit": unit,
        }))
        .unwrap();
        by_minute.entry(minute).or_default().push(sampled);
    }
    for (minute, sampled_value) in by_minute {
        let timestamp = began() + Duration::minutes(minute);
        let values = v16::MeterValuesRequest {
            connector_id: 1,
            transaction_id: Some(tx),
            meter_value: vec![v16::MeterValue { timestamp, sampled_value }],
        };
        cp.call(values).await.unwrap();
    }
    crate::business::stop_at(&mut cp, tx, 67_818, began() + Duration::minutes(151)).await;
    let (twin, twin_samples) = app.store.transaction(i64::from(tx)).await.unwrap().unwrap();
    assert_eq!(seen(&twin_samples), seen(&before), "the compact rows read as the old ones");
    assert_eq!(bill(&twin, &twin_samples), bill_before);

    let trend = |charger: &str| {
        let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (from, to) = (at(began()), at(began() + Duration::hours(3)));
        format!("/api/v1/chargers/{charger}/trend?from={from}&to={to}&bucket=1h")
    };
    let (status, old_trend) = app.operator("GET", &trend("CP-OLD"), None).await;
    assert_eq!(status, 200, "{old_trend}");
    let (_, new_trend) = app.operator("GET", &trend("CP-NEW"), None).await;
    assert_eq!(old_trend["points"].as_array().map(Vec::len), Some(3), "{old_trend}");
    assert_eq!(rounded(&new_trend["points"]), rounded(&old_trend["points"]));

    // Retention rolls both up alike; the trend over the rollups is the same for both.
    let cutoff = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    let done = app.store.roll_up_samples(cutoff, Utc::now() + Duration::days(1)).await.unwrap();
    let left = (app.store.stored_samples("CP-OLD").await.unwrap(), app.store.stored_samples("CP-NEW").await.unwrap());
    assert_eq!((done.deleted, left), (2 * samples().len() as u64, (0, 0)), "{done:?}");
    let (_, old_rolled) = app.operator("GET", &trend("CP-OLD"), None).await;
    let (_, new_rolled) = app.operator("GET", &trend("CP-NEW"), None).await;
    assert_eq!(rounded(&new_rolled["points"]), rounded(&old_rolled["points"]));
    app.stop().await;
    drop(database);
}
