//! The MQTT pile against a real broker (Mosquitto at 127.0.0.1:1883, or `CSMS_MQTT_URL`): what a
//! plain subscriber sees of its heartbeats, a session from start to stop (full, maxTime), its will
//! when it dies, and its coming back when its connection drops.
//! Without a broker each test says so and passes, unless `CSMS_REQUIRE_SERVICES=1`.

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use simulators::mqtt::{ChargingStatus, MqttPile, PileConfig, payload};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::{Instant, timeout};

/// The broker's URL and address, if it answers; `None` (the test skips) when it does not.
async fn broker() -> Option<(String, String, u16)> {
    let url = std::env::var("CSMS_MQTT_URL").unwrap_or_else(|_| "mqtt://127.0.0.1:1883".into());
    let authority = url.trim_start_matches("mqtt://").trim_end_matches('/');
    let (host, port) = authority.rsplit_once(':').unwrap_or((authority, "1883"));
    let port: u16 = port.parse().expect("the broker's port");
    let reachable = timeout(Duration::from_secs(2), tokio::net::TcpStream::connect((host, port))).await;
    if matches!(reachable, Ok(Ok(_))) {
        return Some((url.clone(), host.to_owned(), port));
    }
    assert!(
        std::env::var("CSMS_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "CSMS_REQUIRE_SERVICES=1 but no MQTT broker answers at {url}"
    );
    eprintln!("skipped: no MQTT broker answers at {url} (set CSMS_MQTT_URL, or run Mosquitto)");
    None
}

/// A pile code no other test (or run) uses.
fn unique(prefix: &str) -> String {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}-{}-{nanos:x}-{n}", std::process::id())
}

/// A plain rumqttc client subscribed to `filter`, once the broker confirmed.
async fn subscriber(host: &str, port: u16, filter: &str) -> (AsyncClient, EventLoop) {
    let mut options = MqttOptions::new(unique("watch"), host, port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, 16);
    client.subscribe(filter, QoS::AtLeastOnce).await.expect("subscribe");
    timeout(Duration::from_secs(5), async {
        loop {
            if let Event::Incoming(Packet::SubAck(_)) = events.poll().await.expect("the subscriber's connection") {
                break;
            }
        }
    })
    .await
    .expect("no SUBACK");
    (client, events)
}

/// Sends `command` to pile `code` as csms would (its own connection), once the broker has it.
async fn send_command(host: &str, port: u16, code: &str, command: &Value) {
    let (client, mut events) = AsyncClient::new(MqttOptions::new(unique("csms"), host, port), 16);
    client.publish(payload::command_topic(code), QoS::AtLeastOnce, false, command.to_string()).await.expect("publish");
    timeout(Duration::from_secs(5), async {
        loop {
            if let Event::Incoming(Packet::PubAck(_)) = events.poll().await.expect("the sender's connection") {
                break;
            }
        }
    })
    .await
    .expect("no PUBACK");
}

/// The next message on the subscription (topic, JSON) within `within`.
async fn next_message(events: &mut EventLoop, within: Duration) -> Option<(String, Value)> {
    let deadline = Instant::now() + within;
    loop {
        let event = tokio::time::timeout_at(deadline, events.poll()).await.ok()?.expect("the subscriber's connection");
        if let Event::Incoming(Packet::Publish(publish)) = event {
            let value = serde_json::from_slice(&publish.payload).expect("a JSON payload");
            return Some((publish.topic, value));
        }
    }
}

/// The next message on `topic` within `within`, skipping others.
async fn next_on(events: &mut EventLoop, topic: &str, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let (on, value) = next_message(events, deadline.saturating_duration_since(Instant::now())).await?;
        if on == topic {
            return Some(value);
        }
    }
}

#[tokio::test]
async fn a_plain_subscriber_sees_the_piles_heartbeats_every_second() {
    let Some((url, host, port)) = broker().await else { return };
    let code = unique("HB");
    let (_watch, mut events) = subscriber(&host, port, &payload::heartbeat_topic(&code)).await;
    let mut config = PileConfig::new(url, code.clone());
    config.heartbeat_interval = Duration::from_secs(1);
    let pile = MqttPile::connect(config).await.expect("the pile connects");
    let topic = payload::heartbeat_topic(&code);
    let first = next_on(&mut events, &topic, Duration::from_secs(3)).await.expect("a first heartbeat");
    assert_eq!(first["pileCode"], json!(code));
    assert_eq!(first["connectorId"], json!(1));
    assert_eq!(first["status"], json!(1));
    assert_eq!(first["voltage"], json!(220.0));
    assert_eq!(first["current"], json!(0.0));
    assert_eq!(first["power"], json!(0.0));
    assert_eq!(first["temperature"], json!(35.0));
    assert!(first["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{first}");
    pile.set_temperature(80.5);
    let hot = next_on(&mut events, &topic, Duration::from_secs(3)).await.expect("a heartbeat at once");
    assert_eq!(hot["temperature"], json!(80.5));
    let later = next_on(&mut events, &topic, Duration::from_secs(3)).await.expect("a heartbeat a second later");
    assert_eq!(later["status"], json!(1));
    pile.close().await.expect("a clean disconnect");
}

#[tokio::test]
async fn a_start_command_makes_rising_status_and_a_stop_makes_finished() {
    let Some((url, host, port)) = broker().await else { return };
    let code = unique("CH");
    let (_watch, mut events) = subscriber(&host, port, &format!("pile/{code}/charging/#")).await;
    let mut config = PileConfig::new(url, code.clone());
    config.status_interval = Duration::from_millis(200);
    // 60 kW into a 1 kWh battery: the soc moves within a second.
    config.rated_power_kw = 60.0;
    config.battery.capacity_kwh = 1.0;
    let mut pile = MqttPile::connect(config).await.expect("the pile connects");
    let start = json!({"command": "start", "pileCode": code, "connectorId": 1, "orderNo": "O-1",
        "maxPower": 30.0, "maxTime": 0, "timestamp": "2026-12-07T10:00:00Z"});
    send_command(&host, port, &code, &start).await;
    let received = pile.next_command(Duration::from_secs(3)).await.expect("the pile hears the start");
    assert!(matches!(received.parsed, Ok(payload::Command::Start(_))), "{received:?}");

    let status_topic = payload::status_topic(&code);
    let first = next_on(&mut events, &status_topic, Duration::from_secs(3)).await.expect("a first status at once");
    let first: ChargingStatus = serde_json::from_value(first).expect("a charging/status");
    assert_eq!((first.order_no.as_str(), first.total_power, first.total_time, first.soc), ("O-1", 0.0, 0, 20));
    assert_eq!(first.current_power, 30.0, "maxPower caps the rated power");
    let mut last = first.clone();
    for _ in 0..4 {
        let next = next_on(&mut events, &status_topic, Duration::from_secs(2)).await.expect("a status every 200 ms");
        let next: ChargingStatus = serde_json::from_value(next).expect("a charging/status");
        assert!(next.total_power >= last.total_power && next.soc >= last.soc, "{next:?} after {last:?}");
        last = next;
    }
    // 30 kW for about a second: some 8 Wh, never more than power × time allows.
    assert!(last.total_power > first.total_power, "{last:?}");
    assert!(last.total_power <= 30.0 * (last.total_time + 1) as f64 / 3600.0 + 0.001, "{last:?}");
    let session = pile.session().expect("a running session");
    assert_eq!(session.order_no, "O-1");

    // A stop of another order is ignored; the running one's ends it.
    for order in ["O-other", "O-1"] {
        let stop = json!({"command": "stop", "pileCode": code, "orderNo": order, "stopReason": 1,
            "timestamp": "2026-12-07T10:05:00Z"});
        send_command(&host, port, &code, &stop).await;
    }
    let finished =
        next_on(&mut events, &payload::finished_topic(&code), Duration::from_secs(3)).await.expect("finished");
    let finished: payload::ChargingFinished = serde_json::from_value(finished).expect("a charging/finished");
    assert_eq!((finished.order_no.as_str(), finished.stop_reason, finished.start_soc), ("O-1", 1, 20));
    assert!(finished.total_power >= last.total_power, "{finished:?} after {last:?}");
    assert!(pile.session().is_none());
    pile.close().await.expect("a clean disconnect");
}

#[tokio::test]
async fn a_battery_filling_up_ends_the_session_full_and_max_time_ends_it_too() {
    let Some((url, host, port)) = broker().await else { return };
    let code = unique("FULL");
    let (_watch, mut events) = subscriber(&host, port, &payload::finished_topic(&code)).await;
    let mut config = PileConfig::new(url, code.clone());
    config.status_interval = Duration::from_millis(200);
    config.connectors = 2;
    config.rated_power_kw = 60.0;
    // 1 Wh left to fill on connector 1: a fraction of a second at 60 kW.
    config.battery.capacity_kwh = 0.1;
    config.battery.start_soc = 99.0;
    let pile = MqttPile::connect(config).await.expect("the pile connects");
    let start = json!({"command": "start", "pileCode": code, "connectorId": 1, "orderNo": "O-full"});
    send_command(&host, port, &code, &start).await;
    let full = next_on(&mut events, &payload::finished_topic(&code), Duration::from_secs(5)).await.expect("full");
    assert_eq!(
        (full["orderNo"].clone(), full["stopReason"].clone(), full["endSoc"].clone()),
        (json!("O-full"), json!(2), json!(100))
    );
    assert_eq!(full["totalPower"], json!(0.001));

    let timed = json!({"command": "start", "pileCode": code, "connectorId": 2, "orderNo": "O-timed",
        "maxPower": 0.001, "maxTime": 1});
    send_command(&host, port, &code, &timed).await;
    let timed = next_on(&mut events, &payload::finished_topic(&code), Duration::from_secs(5)).await.expect("maxTime");
    assert_eq!(
        (timed["orderNo"].clone(), timed["stopReason"].clone(), timed["connectorId"].clone()),
        (json!("O-timed"), json!(1), json!(2))
    );
    assert_eq!(timed["totalTime"], json!(1));
    pile.close().await.expect("a clean disconnect");
}

#[tokio::test]
async fn killing_the_connection_abruptly_delivers_the_will_and_closing_cleanly_does_not() {
    let Some((url, host, port)) = broker().await else { return };
    let (clean, abrupt) = (unique("BYE"), unique("DIE"));
    let (_watch, mut events) = subscriber(&host, port, "pile/+/heartbeat").await;
    let mut piles = Vec::new();
    for code in [&clean, &abrupt] {
        let mut config = PileConfig::new(url.clone(), code.clone());
        config.paused = true;
        piles.push(MqttPile::connect(config).await.expect("the pile connects"));
    }
    let (abrupt_pile, clean_pile) = (piles.pop().expect("two piles"), piles.pop().expect("two piles"));
    clean_pile.close().await.expect("a clean disconnect");
    abrupt_pile.disconnect_abruptly();
    let deadline = Instant::now() + Duration::from_secs(5);
    let will = loop {
        let (topic, value) = next_message(&mut events, deadline.saturating_duration_since(Instant::now()))
            .await
            .expect("the will, within seconds");
        assert_ne!(topic, payload::heartbeat_topic(&clean), "a clean disconnect leaves no will: {value}");
        if topic == payload::heartbeat_topic(&abrupt) {
            break value;
        }
    };
    assert_eq!(will, json!({"pileCode": abrupt, "status": 4}));
    let after = abrupt_pile.publish_raw(&payload::heartbeat_topic(&abrupt), "{}").await;
    assert!(matches!(after, Err(simulators::mqtt::MqttSimError::Closed)), "{after:?}");
    // Nothing of the clean one follows.
    while let Some((topic, value)) = next_message(&mut events, Duration::from_millis(500)).await {
        assert_ne!(topic, payload::heartbeat_topic(&clean), "a clean disconnect leaves no will: {value}");
    }
}

#[tokio::test]
async fn a_paused_pile_sends_only_what_the_test_publishes_and_acks_are_timed() {
    let Some((url, host, port)) = broker().await else { return };
    let code = unique("RAW");
    let (_watch, mut events) = subscriber(&host, port, &format!("pile/{code}/#")).await;
    let mut config = PileConfig::new(url, code.clone());
    config.paused = true;
    config.heartbeat_interval = Duration::from_millis(100);
    let pile = MqttPile::connect(config).await.expect("the pile connects");
    assert!(next_message(&mut events, Duration::from_millis(500)).await.is_none(), "a paused pile is silent");
    let took = pile.publish_raw(&payload::heartbeat_topic(&code), "{not json").await.expect("acknowledged");
    assert!(took < Duration::from_secs(5));
    let counters = pile.counters();
    assert_eq!((counters.published, counters.acked, counters.lost), (1, 1, 0));
    let deadline = Instant::now() + Duration::from_secs(3);
    let raw = loop {
        let event =
            tokio::time::timeout_at(deadline, events.poll()).await.expect("the raw message").expect("connection");
        if let Event::Incoming(Packet::Publish(publish)) = event {
            break publish.payload;
        }
    };
    assert_eq!(&raw[..], b"{not json");
    pile.heartbeat_now().await.expect("a heartbeat by hand");
    let (topic, heartbeat) = next_message(&mut events, Duration::from_secs(3)).await.expect("the heartbeat");
    assert_eq!((topic, heartbeat["status"].clone()), (payload::heartbeat_topic(&code), json!(1)));
    pile.close().await.expect("a clean disconnect");
}

#[tokio::test]
async fn an_unreachable_broker_is_an_error_not_a_hang() {
    let mut config = PileConfig::new("mqtt://127.0.0.1:1", unique("NONE"));
    config.connect_timeout = Duration::from_secs(5);
    let error = MqttPile::connect(config).await.expect_err("nothing listens on port 1");
    assert!(matches!(error, simulators::mqtt::MqttSimError::Connect(_)), "{error}");
}

/// A TCP proxy to the broker whose connections can be cut (its listener stays): its URL, and
/// the switch (each send cuts every connection open).
async fn proxy(host: &str, port: u16) -> (String, broadcast::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("mqtt://{}", listener.local_addr().expect("local address"));
    let (cut, _) = broadcast::channel(4);
    let (switch, upstream) = (cut.clone(), format!("{host}:{port}"));
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let (mut cut, upstream) = (switch.subscribe(), upstream.clone());
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await else { return };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut.recv() => {}
                }
            });
        }
    });
    (url, cut)
}

#[tokio::test]
async fn a_pile_whose_connection_drops_comes_back_says_so_and_hears_commands_again() {
    let Some((_, host, port)) = broker().await else { return };
    let code = unique("BACK");
    let topic = payload::heartbeat_topic(&code);
    let (_watch, mut events) = subscriber(&host, port, &topic).await;
    let (url, cut) = proxy(&host, port).await;
    let mut pile = MqttPile::connect(PileConfig::new(url, code.clone())).await.expect("the pile connects");
    let first = next_on(&mut events, &topic, Duration::from_secs(3)).await.expect("a first heartbeat");
    assert_eq!(first["status"], json!(1));

    cut.send(()).expect("the proxy's connection");
    let will = next_on(&mut events, &topic, Duration::from_secs(5)).await.expect("the will");
    assert_eq!(will, json!({"pileCode": code, "status": 4}));
    let back = next_on(&mut events, &topic, Duration::from_secs(5)).await.expect("a heartbeat once back");
    assert_eq!(back["status"], json!(1));
    assert!(pile.is_ready());
    assert_eq!(pile.counters().reconnects, 1);

    let start = json!({"command": "start", "pileCode": code, "orderNo": "O-back", "maxPower": 7.0, "maxTime": 0});
    send_command(&host, port, &code, &start).await;
    let heard = pile.next_command(Duration::from_secs(3)).await.expect("subscribed again");
    assert!(matches!(heard.parsed, Ok(payload::Command::Start(_))), "{heard:?}");
    assert_eq!(pile.session().map(|s| s.order_no), Some("O-back".into()));
    pile.close().await.expect("a clean disconnect");
}

#[tokio::test]
async fn a_fault_ends_the_session_with_reason_three_and_a_start_is_ignored_while_it_lasts() {
    let Some((url, host, port)) = broker().await else { return };
    let code = unique("FAULT");
    let (_watch, mut events) = subscriber(&host, port, &format!("pile/{code}/#")).await;
    let mut pile = MqttPile::connect(PileConfig::new(url, code.clone())).await.expect("the pile connects");
    let (heartbeat_topic, finished_topic) = (payload::heartbeat_topic(&code), payload::finished_topic(&code));
    let start = json!({"command": "start", "pileCode": code, "orderNo": "O-fault", "maxPower": 7.0, "maxTime": 0});
    send_command(&host, port, &code, &start).await;
    pile.next_command(Duration::from_secs(3)).await.expect("the start");
    assert!(pile.session().is_some());
    pile.heartbeat_now().await.expect("a heartbeat by hand");
    let deadline = Instant::now() + Duration::from_secs(3);
    let charging = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let heartbeat = next_on(&mut events, &heartbeat_topic, left).await.expect("a charging heartbeat");
        // The one sent at connection says idle.
        if heartbeat["status"] == json!(2) {
            break heartbeat;
        }
    };
    assert_eq!((charging["power"].clone(), charging["current"].clone()), (json!(7.0), json!(31.82)));

    pile.set_fault(true);
    let finished = next_on(&mut events, &finished_topic, Duration::from_secs(3)).await.expect("finished");
    assert_eq!((finished["orderNo"].clone(), finished["stopReason"].clone()), (json!("O-fault"), json!(3)));
    let fault = next_on(&mut events, &heartbeat_topic, Duration::from_secs(3)).await.expect("a heartbeat at once");
    assert_eq!((fault["status"].clone(), fault["power"].clone()), (json!(3), json!(0.0)));
    let again = json!({"command": "start", "pileCode": code, "orderNo": "O-refused"});
    send_command(&host, port, &code, &again).await;
    pile.next_command(Duration::from_secs(3)).await.expect("the second start");
    assert!(pile.session().is_none(), "a pile in fault does not charge");
    pile.close().await.expect("a clean disconnect");
}
