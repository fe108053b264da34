//! `csms demo`: the server on its embedded default (a fresh SQLite file, `csms-demo.db`) with a
//! live business to look at — a station with its tariff and piles, drivers with money on their
//! balance running orders one after another on simulated chargers (in this process, over real
//! sockets; with a broker at `mqtt.url`, every other pile speaks JSON over MQTT through it), and
//! one pile that overheats now and then — and the dashboard's address and an operator login
//! printed.

use crate::config::{Settings, SmsSenderKind};
use crate::startup::{Application, StartupError};
use chrono::Utc;
use protocol::{OcppVersion, v16};
use serde_json::json;
use simulators::drivers::{DriversPlan, MqttPiles, Rate};
use simulators::{Connect, SimCharger};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The demo's database file, made afresh each time.
pub const DATABASE: &str = "csms-demo.db";
/// The piles' Basic auth password.
const PASSWORD: &str = "demo-pile-password";
/// Drivers running orders.
const DRIVERS: usize = 4;

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Setup(String),
}

/// The demo's settings: `settings` on a fresh `csms-demo.db`, an operator token (made up unless
/// set), sign-in codes texted to the simulated drivers' gateway at `sms`.
pub fn settings(mut settings: Settings, sms: SocketAddr) -> Settings {
    for file in [DATABASE.to_owned(), format!("{DATABASE}-wal"), format!("{DATABASE}-shm")] {
        let _ = std::fs::remove_file(file);
    }
    settings.database.url = format!("sqlite://{DATABASE}?mode=rwc");
    if settings.api.operator_token.is_empty() {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut random = [0u8; 12];
        OsRng.fill_bytes(&mut random);
        settings.api.operator_token = format!("demo-{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>());
    }
    settings.sms.sender = SmsSenderKind::Http;
    settings.sms.url = format!("http://{sms}/sms");
    settings
}

/// Runs the demo until `stop`.
pub async fn run(settings: Settings, stop: CancellationToken) -> Result<(), DemoError> {
    let sms = free_address().await?;
    let settings = self::settings(settings, sms);
    let token = settings.api.operator_token.clone();
    // With a broker (mqtt.url), every other driver's pile speaks JSON over MQTT through it.
    let mqtt = settings.mqtt.enabled().then(|| MqttPiles {
        url: settings.mqtt.url.clone(),
        password: None,
        ca_file: (!settings.mqtt.ca_file.is_empty()).then(|| settings.mqtt.ca_file.clone().into()),
        every: 2,
        status_interval: Duration::from_secs(5),
    });
    let broker = mqtt.as_ref().map(|m| m.url.clone());
    let app = Application::build(settings).await?;
    let (http, ocpp) = (app.http_addr(), app.ocpp_addr());
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    let ws_url = format!("ws://{ocpp}");
    let plan = DriversPlan {
        api: http,
        ws_url: ws_url.clone(),
        token: token.clone(),
        drivers: DRIVERS,
        duration: Duration::from_secs(30 * 24 * 3600),
        // One order every 20 s or so in all: each driver charges, pays, and comes back.
        rates: vec![Rate::PerSecond(0.2)],
        sms_listen: sms,
        station: "DEMO-SH".to_owned(),
        password: Some(PASSWORD.to_owned()),
        phone_base: 13_900_000_001,
        prepay: "30.00".to_owned(),
        // DC piles of 60 kW, each session charging for 15 s: a quarter of a kWh, as such a pile
        // delivers in that time (a bill is never more than a pile could have charged).
        pile_kw: 60,
        charge_for: Duration::from_secs(15),
        poll_interval: Duration::from_secs(2),
        setup_concurrency: DRIVERS,
        connections: 4,
        csms_pid: None,
        mqtt,
    };
    let drivers = tokio::spawn(async move {
        if let Err(e) = simulators::drivers::run(plan).await {
            tracing::warn!(error = %e, "demo: the simulated drivers stopped");
        }
    });
    let hot = tokio::spawn(overheating_pile(http, ws_url, token.clone(), stop.clone()));
    println!();
    println!("  csms demo is running.");
    println!("  Dashboard:      http://{}/", shown(http));
    println!("  Operator login: paste the token  {token}");
    println!(
        "  Chargers:       ws://{}/ocpp/{{chargerId}}   API: http://{}/api/v1   Metrics: http://{}/metrics",
        shown(ocpp),
        shown(http),
        shown(http)
    );
    match &broker {
        Some(url) => println!("  {DRIVERS} drivers charge at DEMO-SH; piles P1 and P3 speak MQTT through {url}."),
        None => {
            println!("  {DRIVERS} drivers charge at DEMO-SH (with CSMS__MQTT__URL set, half the piles speak MQTT).")
        }
    }
    println!("  DEMO-HOT-1 overheats every few minutes. Ctrl-C stops.");
    println!();
    stop.cancelled().await;
    shutdown.cancel();
    drivers.abort();
    hot.abort();
    match server.await {
        Ok(result) => result.map_err(DemoError::from),
        Err(e) => Err(DemoError::Setup(format!("the server task: {e}"))),
    }
}

/// A pile on a station of its own whose temperature climbs past the alarm threshold for half a
/// minute every few minutes, then cools down; its voltage, current and power are reported too.
async fn overheating_pile(http: SocketAddr, ws_url: String, token: String, stop: CancellationToken) {
    if let Err(e) = run_hot_pile(http, &ws_url, &token, stop).await {
        tracing::warn!(error = %e, "demo: the overheating pile stopped");
    }
}

async fn run_hot_pile(http: SocketAddr, ws_url: &str, token: &str, stop: CancellationToken) -> Result<(), DemoError> {
    let call = |method: &'static str, path: String, body: serde_json::Value| async move {
        match simulators::http::request(http, method, &path, Some(token), Some(&body)).await {
            Ok((status, _)) if status < 300 => Ok(()),
            Ok((status, body)) => Err(DemoError::Setup(format!("{method} {path}: {status} {body}"))),
            Err(e) => Err(DemoError::Setup(format!("{method} {path}: {e}"))),
        }
    };
    call(
        "POST",
        "/api/v1/stations".into(),
        json!({"code": "DEMO-HOT", "name": "Demo depot", "province": "上海",
        "city": "上海", "district": "浦东", "address": "世纪大道", "lng": 121.5441, "lat": 31.2213}),
    )
    .await?;
    call(
        "PUT",
        "/api/v1/stations/DEMO-HOT/tariff".into(),
        json!({"periods": [
        {"start": "00:00", "end": "08:00", "energyPrice": "0.30", "serviceFee": "0.40", "name": "valley"},
        {"start": "08:00", "end": "00:00", "energyPrice": "0.90", "serviceFee": "0.60", "name": "peak"}]}),
    )
    .await?;
    call(
        "POST",
        "/api/v1/piles".into(),
        json!({"code": "DEMO-HOT-1", "name": "Pile (runs hot)",
        "stationCode": "DEMO-HOT", "type": "DC", "maxPowerKw": 60, "password": PASSWORD}),
    )
    .await?;
    let connect = Connect::new(ws_url, "DEMO-HOT-1", OcppVersion::V16).password(PASSWORD);
    let mut cp = SimCharger::connect(connect).await.map_err(|e| DemoError::Setup(e.to_string()))?;
    cp.boot().await.map_err(|e| DemoError::Setup(e.to_string()))?;
    let available = simulators::messages::status_notification(1, v16::ChargePointStatus::Available, Some(Utc::now()));
    cp.call(available).await.map_err(|e| DemoError::Setup(e.to_string()))?;
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    // Begun near the end of a cool spell: the first alarm comes within a minute.
    for n in 26u64.. {
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            _ = tick.tick() => {}
        }
        // A four-minute cycle: 45 °C, climbing past 80 °C for half a minute, then cooling.
        let phase = n % 48;
        let celsius = match phase {
            0..=29 => 45.0 + (phase as f64) * 0.3,
            30..=35 => 70.0 + (phase - 30) as f64 * 4.0,
            36..=41 => 86.0,
            _ => 60.0,
        };
        let sampled = |measurand, unit, value: String| v16::SampledValue {
            value,
            context: Some(v16::ReadingContext::SamplePeriodic),
            format: None,
            measurand: Some(measurand),
            phase: None,
            location: None,
            unit: Some(unit),
        };
        let reading = v16::MeterValuesRequest {
            connector_id: 1,
            transaction_id: None,
            meter_value: vec![v16::MeterValue {
                timestamp: Utc::now(),
                sampled_value: vec![
                    sampled(v16::Measurand::Temperature, v16::UnitOfMeasure::Celsius, format!("{celsius:.1}")),
                    sampled(v16::Measurand::Voltage, v16::UnitOfMeasure::V, format!("{:.1}", 400.0 + (n % 7) as f64)),
                    sampled(v16::Measurand::CurrentImport, v16::UnitOfMeasure::A, "0".into()),
                    sampled(v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::W, "0".into()),
                ],
            }],
        };
        cp.call(reading).await.map_err(|e| DemoError::Setup(e.to_string()))?;
    }
    Ok(())
}

/// A free loopback address for the simulated drivers' SMS gateway.
async fn free_address() -> Result<SocketAddr, DemoError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| DemoError::Setup(e.to_string()))?;
    listener.local_addr().map_err(|e| DemoError::Setup(e.to_string()))
}

/// An address as a browser reaches it (an unspecified one as the loopback).
fn shown(addr: SocketAddr) -> String {
    crate::providers::keys::public_base("", addr).trim_start_matches("http://").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_runs_on_its_own_database_with_an_operator_token_and_texts_its_drivers() {
        let sms: SocketAddr = "127.0.0.1:4567".parse().unwrap();
        let demo = settings(Settings::defaults().unwrap(), sms);
        assert_eq!(demo.database.url, "sqlite://csms-demo.db?mode=rwc");
        assert!(demo.api.operator_token.starts_with("demo-") && demo.api.operator_token.len() == 29);
        assert_eq!((demo.sms.sender, demo.sms.url.as_str()), (SmsSenderKind::Http, "http://127.0.0.1:4567/sms"));
        let mut mine = Settings::defaults().unwrap();
        mine.api.operator_token = "my-token".into();
        assert_eq!(settings(mine, sms).api.operator_token, "my-token", "a token set is kept");
    }
}
