//! What the MQTT pile tests share: csms with the link on, against the real Mosquitto on
//! 127.0.0.1:1883 (skipped when it is not there, failed under `CSMS_REQUIRE_SERVICES=1`), each
//! app and pile named apart (the tests share the broker); a bare pile speaking MQTT 3.1.1 with
//! rumqttc that publishes exactly what a test gives it — glitches included — and hands over the
//! commands csms sends it; and a station with an MQTT pile online and free.

use crate::business::CENTRE;
use crate::helpers::{TestApp, spawn_app_with};
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc;

pub(crate) const BROKER: &str = "mqtt://127.0.0.1:1883";

/// Whether the broker answers; when it does not, the test skips, unless services are required.
pub(crate) async fn broker_up() -> bool {
    let up = tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect("127.0.0.1:1883"))
        .await
        .is_ok_and(|c| c.is_ok());
    if !up {
        assert!(
            std::env::var("CSMS_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "CSMS_REQUIRE_SERVICES=1 but Mosquitto does not answer on 127.0.0.1:1883"
        );
        eprintln!("skipped: Mosquitto does not answer on 127.0.0.1:1883");
    }
    up
}

/// A name no other test (or earlier run) uses: `prefix` and a random suffix.
pub(crate) fn unique(prefix: &str) -> String {
    let random: u32 = rand_u32();
    format!("{prefix}{random:08x}")
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    hasher.finish() as u32
}

/// csms with the MQTT link on (its consumer named apart), `change` applied after.
pub(crate) async fn spawn_mqtt_app(change: impl FnOnce(&mut csms::config::Settings)) -> TestApp {
    let _ = tracing_subscriber::fmt().with_env_filter("csms::mqtt=info").with_test_writer().try_init();
    let client_id = unique("csms-test-");
    spawn_app_with(move |s| {
        s.mqtt.url = BROKER.into();
        s.mqtt.client_id = client_id;
        // The broker forgets a test's session soon after it ends.
        s.mqtt.session_expiry_s = 5;
        s.ocpp.liveness_flush_s = 1;
        change(s);
    })
    .await
}

/// A pile on the broker as a test drives it.
pub(crate) struct BarePile {
    pub code: String,
    client: AsyncClient,
    commands: mpsc::UnboundedReceiver<Value>,
    task: tokio::task::JoinHandle<()>,
}

impl BarePile {
    /// Connects as `pile-{code}` (MQTT 3.1.1) with its last will on its heartbeat topic, and
    /// subscribes to its commands.
    pub(crate) async fn connect(code: &str) -> BarePile {
        Self::connect_to(code, 1883).await
    }

    /// The same, to a broker on 127.0.0.1:`port`.
    pub(crate) async fn connect_to(code: &str, port: u16) -> BarePile {
        let mut options = MqttOptions::new(format!("pile-{code}"), "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        let will = json!({"pileCode": code, "status": 4}).to_string();
        options.set_last_will(LastWill::new(format!("pile/{code}/heartbeat"), will, QoS::AtLeastOnce, false));
        let (client, mut events) = AsyncClient::new(options, 64);
        let (tx, commands) = mpsc::unbounded_channel();
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        let subscriber = client.clone();
        let topic = format!("pile/{code}/command");
        let task = tokio::spawn(async move {
            let mut ready_tx = Some(ready_tx);
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = subscriber.subscribe(topic.clone(), QoS::AtLeastOnce).await;
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(ready) = ready_tx.take() {
                            let _ = ready.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if let Ok(command) = serde_json::from_slice::<Value>(&p.payload) {
                            let _ = tx.send(command);
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(5), ready).await.expect("the pile subscribed").unwrap();
        BarePile { code: code.to_owned(), client, commands, task }
    }

    /// Publishes `payload` on `pile/{code}/{family}` (or `topic` itself when it starts with
    /// `pile/`), QoS 1.
    pub(crate) async fn publish(&self, family: &str, payload: impl Into<Vec<u8>>) {
        let topic =
            if family.starts_with("pile/") { family.to_owned() } else { format!("pile/{}/{family}", self.code) };
        self.client.publish(topic, QoS::AtLeastOnce, false, payload.into()).await.unwrap();
    }

    /// A heartbeat: `status` (1 idle, 2 charging, 3 fault) with readings.
    pub(crate) async fn heartbeat(&self, status: i32, temperature: f64) {
        let beat = json!({"pileCode": self.code, "status": status, "voltage": 230.0, "current": 0.0, "power": 0.0,
            "temperature": temperature, "timestamp": chrono::Utc::now().to_rfc3339()});
        self.publish("heartbeat", beat.to_string()).await;
    }

    /// The next command csms sends (within 5 s).
    pub(crate) async fn command(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(5), self.commands.recv())
            .await
            .expect("a command within 5 s")
            .expect("the pile's connection is up")
    }

    /// Whether a command comes within `wait`.
    pub(crate) async fn command_within(&mut self, wait: Duration) -> Option<Value> {
        tokio::time::timeout(wait, self.commands.recv()).await.ok().flatten()
    }

    /// The connection drops without a DISCONNECT: the broker publishes the will.
    pub(crate) fn drop_connection(self) {
        self.task.abort();
    }
}

/// Makes station `station` with `tariff` and MQTT pile `pile` (DC, `kw`) in it.
pub(crate) async fn register_mqtt_pile(app: &TestApp, station: &str, pile: &str, tariff: Value, kw: u32) {
    let body = json!({
        "code": station, "name": format!("Station {station}"), "province": "Shanghai", "city": "Shanghai",
        "district": "Huangpu", "address": "Renmin Avenue", "lng": CENTRE.0, "lat": CENTRE.1,
    });
    let (status, answer) = app.operator("POST", "/api/v1/stations", Some(&body)).await;
    assert!(status == 201 || status == 409, "{answer}");
    let (status, answer) = app.operator("PUT", &format!("/api/v1/stations/{station}/tariff"), Some(&tariff)).await;
    assert_eq!(status, 200, "{answer}");
    let body = json!({"code": pile, "name": "MQTT pile", "stationCode": station, "type": "DC", "maxPowerKw": kw, "protocol": "mqtt"});
    let (status, answer) = app.operator("POST", "/api/v1/piles", Some(&body)).await;
    assert_eq!((status, &answer["protocol"]), (201, &json!("mqtt")), "{answer}");
}

/// Makes station `station` with `tariff` and MQTT pile `pile` (DC, `kw`) in it, and brings the
/// pile online and free by a heartbeat; answers once the API shows it so.
pub(crate) async fn open_mqtt_pile(app: &TestApp, station: &str, pile: &str, tariff: Value, kw: u32) -> BarePile {
    register_mqtt_pile(app, station, pile, tariff, kw).await;
    let bare = BarePile::connect(pile).await;
    // Heartbeats until csms hears one (its consumer may be subscribing still), as a pile does.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        bare.heartbeat(1, 30.0).await;
        let (_, found) = app.get(&format!("/api/v1/piles/{pile}")).await;
        if found["online"] == true && found["connectors"][0]["status"] == "Available" {
            return bare;
        }
        assert!(tokio::time::Instant::now() < deadline, "the pile never showed online and free: {found}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The pile once `ready` says so (or after 5 s, as it is then, which the test then rejects).
pub(crate) async fn pile_when(app: &TestApp, pile: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, found) = app.get(&format!("/api/v1/piles/{pile}")).await;
        assert_eq!(status, 200, "{found}");
        if ready(&found) {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "the pile never got there: {found}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
