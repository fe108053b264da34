//! The crash check's setup: a station with a flat tariff (so that each bill is exactly what its
//! energy costs), and per driver a pile of their own with a rated power, its charger connected,
//! booted and Available, and the driver signed up by SMS code with money on the balance.

use super::CrashPlan;
use crate::drivers::setup::{SetupError, SignedUp, Waiters, credit, expect, sign_up};
use crate::http::Pool;
use crate::{Connect, SimCharger};
use chrono::Utc;
use protocol::{OcppVersion, v16, v201};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// People's Square, Shanghai.
const CENTRE: (f64, f64) = (121.4737, 31.2304);
/// Each driver's money, yuan.
pub(super) const CREDIT: &str = "500.00";
/// What a prepaid order pays ahead, yuan (its surplus goes back to the balance): more than half
/// an hour of the fastest pile costs (60 kWh, 120.00), so that csms never stops it for money.
pub(super) const PREPAY: &str = "200.00";
/// The flat tariff: energy and service, yuan per kWh, all day.
const ENERGY_PRICE: &str = "1.20";
const SERVICE_FEE: &str = "0.80";
/// The piles, in turn: type and rated power (kW).
const PILES: [(&str, u32); 4] = [("AC", 7), ("AC", 11), ("DC", 60), ("DC", 120)];

/// A driver ready: who, their pile and charger, and how the session will go.
pub(super) struct Rig {
    pub(super) n: usize,
    pub(super) user: SignedUp,
    pub(super) pile: String,
    pub(super) cp: SimCharger,
    /// The pile's rated power, W: the session charges at it.
    pub(super) power_w: i64,
    /// Prepaid from the balance (else postpaid).
    pub(super) prepaid: bool,
    /// The energy register at the start, Wh.
    pub(super) register_wh: i64,
    /// Stops online just before the first kill (`Stage::StopEarly`).
    pub(super) early: bool,
    /// A third of the chargers speak OCPP 2.0.1, the others 1.6.
    pub(super) version: OcppVersion,
}

/// What the flat tariff bills for `wh` Wh: each fee rounded half-up to the fen, then summed.
pub(super) fn bill_of(wh: i64) -> Decimal {
    let kwh = Decimal::new(wh, 3);
    let fee = |price: &str| {
        let price = price.parse::<Decimal>().unwrap_or_default();
        (kwh * price).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    };
    fee(ENERGY_PRICE) + fee(SERVICE_FEE)
}

/// Makes the station and its tariff, then every driver (`setup_concurrency` at once); answers
/// those ready and the failures by kind.
pub(super) async fn prepare(
    plan: &Arc<CrashPlan>,
    api: &Pool,
    waiters: &Waiters,
    ws_url: &str,
    token: &str,
) -> Result<(Vec<Rig>, BTreeMap<String, usize>), SetupError> {
    let station = json!({
        "code": plan.station, "name": format!("Station {}", plan.station), "province": "Shanghai",
        "city": "Shanghai", "district": "Huangpu", "address": "Renmin Avenue", "lng": CENTRE.0, "lat": CENTRE.1,
    });
    expect(api, "station", "POST", "/api/v1/stations", Some(token), Some(&station), &[201]).await?;
    let tariff = json!({"periods": [
        {"start": "00:00", "end": "00:00", "energyPrice": ENERGY_PRICE, "serviceFee": SERVICE_FEE, "name": "flat"},
    ]});
    let path = format!("/api/v1/stations/{}/tariff", plan.station);
    expect(api, "tariff", "PUT", &path, Some(token), Some(&tariff), &[200]).await?;
    let permits = Arc::new(Semaphore::new(plan.setup_concurrency.max(1)));
    let tasks: Vec<_> = (0..plan.chargers)
        .map(|n| {
            let (plan, waiters, permits, api) = (plan.clone(), waiters.clone(), permits.clone(), api.clone());
            let (ws_url, token) = (ws_url.to_owned(), token.to_owned());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                rig(&plan, n, &waiters, &api, (&ws_url, &token)).await
            })
        })
        .collect();
    let (mut rigs, mut failed) = (Vec::new(), BTreeMap::new());
    for task in tasks {
        match task.await {
            Ok(Ok(rig)) => rigs.push(rig),
            Ok(Err(e)) => *failed.entry(e.kind()).or_insert(0) += 1,
            Err(e) => *failed.entry(format!("setup task: {e}")).or_insert(0) += 1,
        }
    }
    Ok((rigs, failed))
}

/// Driver `n`: the pile (type and power in turn), its charger online and Available, the driver
/// signed up with money on the balance; even drivers prepay, odd ones pay after.
async fn rig(
    plan: &CrashPlan,
    n: usize,
    waiters: &Waiters,
    api: &Pool,
    (ws_url, token): (&str, &str),
) -> Result<Rig, SetupError> {
    let pile = format!("{}-P{n}", plan.station);
    let (kind, kw) = PILES[n % PILES.len()];
    let mut body =
        json!({"code": pile, "name": format!("Pile {n}"), "stationCode": plan.station, "type": kind, "maxPowerKw": kw});
    if let Some(password) = &plan.password {
        body["password"] = json!(password);
    }
    expect(api, "pile", "POST", "/api/v1/piles", Some(token), Some(&body), &[201]).await?;
    let version = if n % 3 == 2 { OcppVersion::V201 } else { OcppVersion::V16 };
    let mut options = Connect::new(ws_url, pile.clone(), version);
    options.password.clone_from(&plan.password);
    options.no_delay = true;
    let mut cp = SimCharger::connect(options).await?;
    cp.boot().await?;
    match version {
        OcppVersion::V16 => {
            let available =
                crate::messages::status_notification(1, v16::ChargePointStatus::Available, Some(Utc::now()));
            cp.call(available).await?;
        }
        OcppVersion::V201 => {
            cp.call(super::messages::status_201(v201::ConnectorStatusEnumType::Available, Utc::now())).await?;
        }
    }
    let user = sign_up(api, waiters, &(plan.phone_base + n as u64).to_string()).await?;
    credit(api, token, user.user_id, CREDIT).await?;
    let register_wh = 1_000_000 + (n as i64 % 997) * 1_013;
    // Whole groups of four (each pile type, both ways to pay) stop early, spread evenly.
    let group = (n / PILES.len()) as f64;
    let early = ((group + 1.0) * plan.stopping_at_kill).floor() > (group * plan.stopping_at_kill).floor();
    let power_w = i64::from(kw) * 1000;
    Ok(Rig { n, user, pile, cp, power_w, prepaid: n.is_multiple_of(2), register_wh, early, version })
}

#[cfg(test)]
mod tests {
    use super::bill_of;

    #[test]
    fn the_flat_tariff_rounds_each_fee_half_up_to_the_fen() {
        // 1.234 kWh: energy 1.4808 → 1.48, service 0.9872 → 0.99.
        assert_eq!(bill_of(1_234).to_string(), "2.47");
        // 5 Wh: energy 0.006 → 0.01, service 0.004 → 0.00.
        assert_eq!(bill_of(5).to_string(), "0.01");
        assert!(bill_of(0).is_zero());
    }
}
