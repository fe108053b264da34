//! csms reaches the broker over TLS (`mqtts://`) with the CA it is given: a private Mosquitto
//! with a test CA made by `deploy/mosquitto/make-certs`.

use crate::business::tariff;
use crate::mqtt_helpers::{BarePile, broker_up, register_mqtt_pile, spawn_mqtt_app, unique};
use std::time::Duration;

#[tokio::test]
async fn csms_reaches_the_broker_over_tls_with_the_ca_it_is_given() {
    if !broker_up().await {
        return;
    }
    // A private Mosquitto: TLS on one port (csms), plain on another (the pile), with a test CA
    // made by deploy/mosquitto/make-certs.
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let made = std::process::Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/mosquitto/make-certs"))
        .args(["-d", certs.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let free = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (tls_port, plain_port) = (free(), free());
    let conf = dir.path().join("mosquitto.conf");
    let c = |name: &str| certs.join(name).display().to_string();
    std::fs::write(
        &conf,
        format!(
            "per_listener_settings false\nallow_anonymous true\nlistener {plain_port} 127.0.0.1\n\
             listener {tls_port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
            c("ca.crt"),
            c("server.crt"),
            c("server.key")
        ),
    )
    .unwrap();
    let mut broker = tokio::process::Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let ca = c("ca.crt");
    let app = spawn_mqtt_app(move |s| {
        s.mqtt.url = format!("mqtts://localhost:{tls_port}");
        s.mqtt.ca_file = ca;
    })
    .await;
    let code = unique("MQ-");
    register_mqtt_pile(&app, "ST-TLS", &code, tariff(), 7).await;
    let bare = BarePile::connect_to(&code, plain_port).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        bare.heartbeat(1, 30.0).await;
        let (_, found) = app.get(&format!("/api/v1/piles/{code}")).await;
        if found["online"] == true {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "csms never heard the pile over TLS: {found}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.stop().await;
    broker.kill().await.unwrap();
}
