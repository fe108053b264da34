//! The drivers' setup (not timed): the SMS gateway the CSMS texts sign-up codes to, the station
//! with its tariff, and per driver a pile — its OCPP charger connected, booted and Available, or
//! its MQTT pile on the broker and online — and the driver signed up by SMS code with money on
//! the balance.

use super::{DriversPlan, MqttPiles};
use crate::http::Pool;
use crate::mqtt::{MqttPile, PileConfig};
use crate::{Connect, SimCharger, SimError};
use chrono::Utc;
use protocol::{OcppVersion, v16};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Semaphore, oneshot};

/// People's Square, Shanghai.
const CENTRE: (f64, f64) = (121.4737, 31.2304);
/// Money put on each driver's balance, yuan.
const CREDIT: &str = "100000.00";

/// Why the setup failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{step}: HTTP {status} {body}")]
    Http { step: &'static str, status: u16, body: String },
    #[error("{step}: {source}")]
    Io { step: &'static str, source: std::io::Error },
    #[error("{step}: {message}")]
    Answer { step: &'static str, message: String },
    #[error("charger: {0}")]
    Charger(#[from] SimError),
    #[error("no SMS code reached the gateway for {0} within 10 s")]
    NoCode(String),
}

impl SetupError {
    /// The kind, for counting: the step and status, without the details.
    pub(crate) fn kind(&self) -> String {
        match self {
            SetupError::Http { step, status, body } => {
                let code: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                format!("{step}: HTTP {status} {}", code["error"].as_str().unwrap_or(""))
            }
            SetupError::Io { step, source } => format!("{step}: {}", source.kind()),
            SetupError::Answer { step, .. } => format!("{step}: unexpected answer"),
            SetupError::Charger(e) => format!("charger: {e}"),
            SetupError::NoCode(_) => "sms: no code".to_owned(),
        }
    }
}

/// A driver signed up: their sign-in token and id tag, and their pile.
#[derive(Debug, Clone)]
pub(super) struct Driver {
    pub(super) token: String,
    pub(super) id_tag: String,
    pub(super) pile: String,
}

/// A driver's pile: an OCPP 1.6 charger the driver's journey plays call by call, or an MQTT
/// pile that charges by itself.
#[derive(Debug)]
pub(super) enum PileLink {
    Ocpp(Box<SimCharger>),
    Mqtt(MqttPile),
}

/// A driver ready to drive: who, their charger, the API (through the shared connections).
#[derive(Debug)]
pub(super) struct Rig {
    pub(super) driver: Driver,
    pub(super) cp: PileLink,
    pub(super) api: Pool,
    /// The driver's events (`GET /api/v1/me/events`), on a connection of their own.
    pub(super) events: tokio::sync::mpsc::UnboundedReceiver<crate::sse::ServerEvent>,
    /// The charger's energy register, Wh, carried from order to order.
    pub(super) register_wh: i64,
}

/// Drivers waiting for their code, by phone.
pub(crate) type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<String>>>>;

/// Makes the station and its tariff, then sets up every driver (`setup_concurrency` at once);
/// answers those ready and how many failed, by kind. Only a failure common to all (the gateway,
/// the station) is an error.
pub(super) async fn prepare(plan: &Arc<DriversPlan>) -> Result<(Vec<Rig>, BTreeMap<String, usize>), SetupError> {
    let (waiters, _) = gateway(plan.sms_listen).await?;
    let api = Pool::new(plan.api, plan.connections);
    let station = json!({
        "code": plan.station, "name": format!("Station {}", plan.station), "province": "Shanghai",
        "city": "Shanghai", "district": "Huangpu", "address": "Renmin Avenue", "lng": CENTRE.0, "lat": CENTRE.1,
    });
    expect(&api, "station", "POST", "/api/v1/stations", Some(&plan.token), Some(&station), &[201, 409]).await?;
    // Flat until 11:00 (0.50 + 0.30 per kWh), peak from 11:00 (1.00 + 0.50).
    let tariff = json!({"periods": [
        {"start": "00:00", "end": "11:00", "energyPrice": "0.50", "serviceFee": "0.30", "name": "flat"},
        {"start": "11:00", "end": "00:00", "energyPrice": "1.00", "serviceFee": "0.50", "name": "peak"},
    ]});
    let path = format!("/api/v1/stations/{}/tariff", plan.station);
    expect(&api, "tariff", "PUT", &path, Some(&plan.token), Some(&tariff), &[200]).await?;
    let permits = Arc::new(Semaphore::new(plan.setup_concurrency.max(1)));
    let tasks: Vec<_> = (0..plan.drivers)
        .map(|n| {
            let (plan, waiters, permits, api) = (plan.clone(), waiters.clone(), permits.clone(), api.clone());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                rig(&plan, n, &waiters, api).await
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

/// Driver `n`: their pile and its charger, online and Available; signed up; money on the balance.
async fn rig(plan: &DriversPlan, n: usize, waiters: &Waiters, api: Pool) -> Result<Rig, SetupError> {
    let pile = format!("{}-P{n}", plan.station);
    let kind = if plan.pile_kw > 22 { "DC" } else { "AC" };
    let mqtt = plan.mqtt.as_ref().filter(|m| m.plays(n));
    let mut body = json!({"code": pile, "name": format!("Pile {n}"), "stationCode": plan.station, "type": kind, "maxPowerKw": plan.pile_kw});
    match (&plan.password, mqtt) {
        // The broker checks an MQTT pile's password, not csms.
        (_, Some(_)) => body["protocol"] = json!("mqtt"),
        (Some(password), None) => body["password"] = json!(password),
        (None, None) => {}
    }
    expect(&api, "pile", "POST", "/api/v1/piles", Some(&plan.token), Some(&body), &[201, 409]).await?;
    let cp = match mqtt {
        Some(mqtt) => PileLink::Mqtt(mqtt_pile(plan, mqtt, &pile, &api).await?),
        None => PileLink::Ocpp(Box::new(ocpp_charger(plan, &pile).await?)),
    };

    let phone = (plan.phone_base + n as u64).to_string();
    let signed = sign_up(&api, waiters, &phone).await?;
    credit(&api, &plan.token, signed.user_id, CREDIT).await?;
    // The driver's app listens for their orders' progress rather than polling.
    let events = crate::sse::subscribe(plan.api, "/api/v1/me/events", &signed.token)
        .await
        .map_err(|source| SetupError::Io { step: "events", source })?;
    let driver = Driver { token: signed.token, id_tag: signed.id_tag, pile };
    Ok(Rig { driver, cp, api, events, register_wh: 100_000 })
}

/// The pile's charger, connected, booted and Available.
async fn ocpp_charger(plan: &DriversPlan, pile: &str) -> Result<SimCharger, SetupError> {
    let mut options = Connect::new(&plan.ws_url, pile.to_owned(), OcppVersion::V16);
    options.password.clone_from(&plan.password);
    // A charger answers a remote stop and stops at once: two messages back to back.
    options.no_delay = true;
    let mut cp = SimCharger::connect(options).await?;
    cp.boot().await?;
    cp.call(crate::messages::status_notification(1, v16::ChargePointStatus::Available, Some(Utc::now()))).await?;
    Ok(cp)
}

/// The pile on the broker, charging at its rated power when started, once csms has heard its
/// first heartbeat (an order on a pile not online is refused).
async fn mqtt_pile(plan: &DriversPlan, mqtt: &MqttPiles, pile: &str, api: &Pool) -> Result<MqttPile, SetupError> {
    let mut config = PileConfig::new(mqtt.url.clone(), pile.to_owned());
    config.password.clone_from(&mqtt.password);
    config.ca_file.clone_from(&mqtt.ca_file);
    config.rated_power_kw = f64::from(plan.pile_kw);
    config.status_interval = mqtt.status_interval;
    let connected = MqttPile::connect(config).await;
    let connected = connected.map_err(|e| SetupError::Answer { step: "mqtt pile", message: e.to_string() })?;
    let path = format!("/api/v1/piles/{pile}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = expect(api, "mqtt pile online", "GET", &path, Some(&plan.token), None, &[200]).await?;
        if found["online"] == true && found["connectors"][0]["status"] == "Available" {
            return Ok(connected);
        }
        if tokio::time::Instant::now() > deadline {
            let message = format!("{pile} not online and free within 10 s: {found}");
            return Err(SetupError::Answer { step: "mqtt pile", message });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        // As a pile not heard does: csms's consumer may have been subscribing still.
        let again = connected.heartbeat_now().await;
        again.map_err(|e| SetupError::Answer { step: "mqtt pile", message: e.to_string() })?;
    }
}

/// A driver signed up: their sign-in token, user id and id tag.
#[derive(Debug, Clone)]
pub(crate) struct SignedUp {
    pub(crate) token: String,
    pub(crate) user_id: i64,
    pub(crate) id_tag: String,
}

/// Signs up the driver of `phone` with the code csms texts to the gateway (`gateway`).
pub(crate) async fn sign_up(api: &Pool, waiters: &Waiters, phone: &str) -> Result<SignedUp, SetupError> {
    let (tx, rx) = oneshot::channel();
    if let Ok(mut waiting) = waiters.lock() {
        waiting.insert(phone.to_owned(), tx);
    }
    let ask = json!({"phone": phone, "purpose": "register"});
    expect(api, "sms-code", "POST", "/api/v1/auth/sms-code", None, Some(&ask), &[204]).await?;
    let code = match tokio::time::timeout(Duration::from_secs(10), rx).await {
        Ok(Ok(code)) => code,
        _ => return Err(SetupError::NoCode(phone.to_owned())),
    };
    let signed = json!({"phone": phone, "code": code});
    let signed = expect(api, "register", "POST", "/api/v1/auth/register", None, Some(&signed), &[201]).await?;
    let field = |value: &Value| {
        value.as_str().map(str::to_owned).ok_or_else(|| SetupError::Answer {
            step: "register",
            message: format!("no token, user id or id tag in {signed}"),
        })
    };
    let (token, id_tag) = (field(&signed["token"])?, field(&signed["user"]["idTag"])?);
    let user_id = signed["user"]["id"]
        .as_i64()
        .ok_or_else(|| SetupError::Answer { step: "register", message: format!("no user id in {signed}") })?;
    Ok(SignedUp { token, user_id, id_tag })
}

/// Puts `amount` yuan on user `user_id`'s balance (an operator's adjustment, with `token`).
pub(crate) async fn credit(api: &Pool, token: &str, user_id: i64, amount: &str) -> Result<(), SetupError> {
    let credit = json!({"amount": amount, "reason": "bench credit"});
    let path = format!("/api/v1/users/{user_id}/balance-adjustments");
    expect(api, "credit", "POST", &path, Some(token), Some(&credit), &[201]).await.map(drop)
}

/// Sends a request; an answer of another status than `ok` is an error.
pub(crate) async fn expect(
    api: &Pool,
    step: &'static str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    ok: &[u16],
) -> Result<Value, SetupError> {
    let answer = api.send(method, path, token, body).await.map_err(|source| SetupError::Io { step, source })?;
    if !ok.contains(&answer.status) {
        return Err(SetupError::Http { step, status: answer.status, body: answer.body.to_string() });
    }
    Ok(answer.body)
}

/// Serves the SMS gateway: each POSTed `{"phone", "text"}` hands the text's six-digit code to the
/// driver waiting for that phone, and is answered 200 (kept alive). Answers the waiting drivers
/// and the address it listens on (`listen` may say port 0).
pub(crate) async fn gateway(listen: SocketAddr) -> Result<(Waiters, SocketAddr), SetupError> {
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|source| SetupError::Io { step: "sms gateway", source })?;
    let bound = listener.local_addr().map_err(|source| SetupError::Io { step: "sms gateway", source })?;
    let waiters: Waiters = Arc::default();
    let served = waiters.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let waiters = served.clone();
            tokio::spawn(async move {
                let _ = texts(stream, &waiters).await;
            });
        }
    });
    Ok((waiters, bound))
}

/// One connection of the gateway: request after request until it closes.
async fn texts(stream: tokio::net::TcpStream, waiters: &Waiters) -> std::io::Result<()> {
    let mut conn = BufReader::new(stream);
    let mut line = String::new();
    loop {
        let mut length = 0usize;
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        loop {
            line.clear();
            if conn.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0).min(1 << 16);
            }
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body).await?;
        let text: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if let (Some(phone), Some(code)) = (text["phone"].as_str(), text["text"].as_str().and_then(six_digits)) {
            let waiter = waiters.lock().ok().and_then(|mut waiting| waiting.remove(phone));
            if let Some(waiter) = waiter {
                let _ = waiter.send(code);
            }
        }
        conn.get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            .await?;
    }
}

/// The first run of six digits in a text.
fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    bytes.windows(6).position(|w| w.iter().all(u8::is_ascii_digit)).map(|at| text[at..at + 6].to_owned())
}

#[cfg(test)]
mod tests {
    use super::six_digits;

    #[test]
    fn the_code_is_the_first_six_digits_of_the_text() {
        assert_eq!(six_digits("123456").as_deref(), Some("123456"));
        assert_eq!(six_digits("Your code is 654321, valid 5 minutes").as_deref(), Some("654321"));
        assert_eq!(six_digits("no code 12345"), None);
    }
}
