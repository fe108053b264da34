//! A node killed with SIGKILL (the real binary, two processes on CI's PostgreSQL and Redis): its
//! chargers reconnect to the other node and are served at once — their passwords recognised from
//! the verifications shared through Redis, with no argon2 run — and an offline alarm is raised
//! only for the chargers that did not come back, once the dead node's lease lapsed.

use crate::cluster::clustered;
use crate::helpers::{OPERATOR_TOKEN, fresh_database};
use protocol::OcppVersion;
use serde_json::{Value, json};
use simulators::{Connect, SimCharger};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::process::{Child, Command};

const PASSWORD: &str = "failover-pile-password";

/// A free port on loopback (released for the node to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `csms serve` as a process of its own.
struct Node {
    child: Child,
    http: SocketAddr,
    ws_url: String,
}

impl Node {
    async fn start(database_url: &str, prefix: &str, log: &std::path::Path) -> Node {
        let (http, ocpp) = (free_port(), free_port());
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_csms"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("CSMS__REDIS__KEY_PREFIX", prefix)
            .env("CSMS__HTTP__LISTEN", format!("127.0.0.1:{http}"))
            .env("CSMS__OCPP__LISTEN", format!("127.0.0.1:{ocpp}"))
            .env("CSMS__API__OPERATOR_TOKEN", OPERATOR_TOKEN)
            .env("CSMS__AUTH__JWT_SECRET", "one-secret-for-every-node-of-the-test")
            .env("CSMS__CLUSTER__LEASE_S", "3")
            // All ten connect to a first: a must not send some to b meanwhile (balance is tested
            // on its own), or they would be missing when a dies.
            .env("CSMS__CLUSTER__MAX_SHARE", "1000")
            .env("CSMS__MONITORING__OFFLINE_AFTER_S", "3")
            .env("RUST_LOG", "warn,csms=info")
            .env("NO_COLOR", "1")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("csms starts");
        let node = Node {
            child,
            http: format!("127.0.0.1:{http}").parse().unwrap(),
            ws_url: format!("ws://127.0.0.1:{ocpp}"),
        };
        for _ in 0..600 {
            if simulators::http::request(node.http, "GET", "/ready", None, None)
                .await
                .is_ok_and(|(status, _)| status == 200)
            {
                return node;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("csms did not become ready");
    }

    async fn operator(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        simulators::http::request(self.http, method, path, Some(OPERATOR_TOKEN), body).await.unwrap()
    }

    /// `csms_charger_logins_total{outcome}`.
    async fn logins(&self, outcome: &str) -> f64 {
        let text = reqwest::get(format!("http://{}/metrics", self.http)).await.unwrap().text().await.unwrap();
        let series = format!("csms_charger_logins_total{{outcome=\"{outcome}\"}}");
        text.lines().find_map(|l| l.strip_prefix(&series)?.trim().parse().ok()).unwrap_or(0.0)
    }
}

async fn connect(node: &Node, id: &str) -> SimCharger {
    let mut cp =
        SimCharger::connect(Connect::new(&node.ws_url, id, OcppVersion::V16).password(PASSWORD)).await.unwrap();
    cp.boot().await.unwrap();
    cp
}

#[tokio::test]
async fn a_killed_nodes_chargers_are_served_by_the_other_at_once_and_only_those_not_back_are_alarmed() {
    if !clustered() {
        return;
    }
    let (database_url, database) = fresh_database().await;
    let prefix = format!("csms-test:{}:", database.name());
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("csms.log");
    let mut a = Node::start(&database_url, &prefix, &log).await;
    let b = Node::start(&database_url, &prefix, &log).await;
    let ids: Vec<String> = (0..10).map(|n| format!("FAIL-{n}")).collect();
    for id in &ids {
        let (status, body) =
            a.operator("POST", "/api/v1/chargers", Some(&json!({"id": id, "password": PASSWORD}))).await;
        assert_eq!(status, 201, "{body}");
    }
    let mut held = Vec::new();
    for id in &ids {
        held.push(connect(&a, id).await);
    }
    assert_eq!(a.logins("verified").await, 10.0, "argon2 once per charger, on a");

    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();
    drop(held);
    // Eight come back, to b, at once; two do not.
    let began = std::time::Instant::now();
    let mut back = Vec::new();
    for id in &ids[..8] {
        back.push(connect(&b, id).await);
    }
    let took = began.elapsed();
    assert_eq!((b.logins("remembered").await, b.logins("verified").await), (8.0, 0.0), "no argon2 on b");
    eprintln!("8 chargers of a killed node back and booted on the other in {took:?}");

    // Once a's lease lapsed (3 s, and one more), the two missing are offline and alarmed; the
    // eight back are not.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    let alarmed = loop {
        let (_, alarms) = b.operator("GET", "/api/v1/alarms?type=offline&active=true", None).await;
        let mut alarmed: Vec<String> =
            alarms["items"].as_array().unwrap().iter().map(|a| a["chargerId"].as_str().unwrap().to_owned()).collect();
        alarmed.sort();
        if alarmed.len() >= 2 || tokio::time::Instant::now() > deadline {
            break alarmed;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        alarmed,
        ["FAIL-8", "FAIL-9"],
        "csms's log:\n{}",
        said.lines().rev().take(30).collect::<Vec<_>>().join("\n")
    );
    for id in &ids[..8] {
        let (_, charger) = b.operator("GET", &format!("/api/v1/chargers/{id}"), None).await;
        assert_eq!(charger["online"], true, "{charger}");
    }
    for id in &ids[8..] {
        let (_, charger) = b.operator("GET", &format!("/api/v1/chargers/{id}"), None).await;
        assert_eq!(charger["online"], false, "{charger}");
    }
    drop(back);
    drop(b);
    drop(database);
}
