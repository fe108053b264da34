//! What goes wrong between nodes: a message of another protocol version is refused (a call at
//! once, not left to its deadline); jobs run on one node of three, and move when it stops; Redis
//! going away leaves each node serving its own chargers, cross-node commands answer 503
//! `cluster_unavailable`, and all of it comes back by itself with Redis; an order started through
//! a node that cannot reach the pile's node fails and gives the driver's money back; two nodes on
//! one database without Redis find each other and say they are degraded, still serving.

use crate::business::{adjust, balance, driver, open_pile, order_when, tariff};
use crate::cluster::{clustered, two_nodes, until};
use crate::helpers::{spawn_app_with, spawn_node};
use csms::domain::nodes::Job;
use fred::prelude::{ClientLike, EventInterface, PubsubInterface};
use protocol::OcppVersion;
use serde_json::json;
use simulators::{Connect, SimCharger};
use std::time::Duration;

#[tokio::test]
async fn a_call_in_another_protocol_version_is_refused_at_once_and_counted() {
    if !clustered() {
        return;
    }
    let app = spawn_app_with(|_| {}).await;
    let url = std::env::var("REDIS_URL").unwrap();
    let config = fred::prelude::Config::from_url(&url).unwrap();
    let listener = fred::prelude::Builder::from_config(config.clone()).build_subscriber_client().unwrap();
    listener.init().await.unwrap();
    let mut answers = listener.message_rx();
    let newer = format!("newer-{}", std::process::id());
    listener.subscribe(format!("{}cluster:node:{newer}", app.redis_prefix)).await.unwrap();
    let publisher = fred::prelude::Builder::from_config(config).build().unwrap();
    publisher.init().await.unwrap();
    let call = json!({"v": 2, "from": newer, "kind": "call", "id": 41, "charger": "CP-X", "action": "Reset",
        "payload": {"type": "Soft"}, "timeout_ms": 30_000, "shape": "of the future"});
    let channel = format!("{}cluster:node:{}", app.redis_prefix, app.cluster.node());
    let received: i64 = publisher.publish(channel, call.to_string()).await.unwrap();
    assert_eq!(received, 1, "the node listens on its own channel");
    let answer = tokio::time::timeout(Duration::from_secs(2), answers.recv()).await.expect("answered at once").unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answer.value.as_string().unwrap()).unwrap();
    assert_eq!((&answer["v"], &answer["kind"], &answer["id"]), (&json!(1), &json!("answer"), &json!(41)), "{answer}");
    assert_eq!(answer["answer"]["outcome"], "refused", "{answer}");
    let text = reqwest::get(format!("http://{}/metrics", app.http_addr)).await.unwrap().text().await.unwrap();
    let refused = text
        .lines()
        .find(|l| {
            l.starts_with("csms_cluster_messages_total{")
                && l.contains("kind=\"unknown\"")
                && l.contains("outcome=\"refused\"")
        })
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
    assert!(refused.is_some_and(|n| n >= 1.0), "{refused:?}");
    app.stop().await;
}

#[tokio::test]
async fn each_job_runs_on_one_node_of_three_and_moves_when_that_node_stops() {
    if !clustered() {
        return;
    }
    let fast = |s: &mut csms::config::Settings| s.cluster.lease_s = 3;
    let first = spawn_app_with(fast).await;
    let second = spawn_node(&first, fast).await;
    let third = spawn_node(&first, fast).await;
    let holders = |nodes: &[&crate::helpers::TestApp], job: Job| -> Vec<String> {
        nodes.iter().filter(|n| n.cluster.nodes().runs(job)).map(|n| n.cluster.node().to_owned()).collect()
    };
    let all = [&first, &second, &third];
    for job in Job::ALL {
        assert_eq!(holders(&all, job).len(), 1, "{job:?}: {:?}", holders(&all, job));
    }
    // The audit's holder stops: within a lease or two another node runs each of its jobs, and
    // only one (a claim is trusted for two thirds of a lease: under load a job may be unheld a
    // moment between rounds, never held twice).
    let holder = holders(&all, Job::Audit).remove(0);
    let (stopping, rest): (Vec<_>, Vec<_>) =
        [first, second, third].into_iter().partition(|n| n.cluster.node() == holder);
    let mut kept = Vec::new();
    for node in stopping {
        kept.push(node.stop_node().await);
    }
    let running: Vec<&crate::helpers::TestApp> = rest.iter().collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while Job::ALL.iter().any(|job| holders(&running, *job).len() != 1) && tokio::time::Instant::now() < deadline {
        for job in Job::ALL {
            assert!(holders(&running, job).len() <= 1, "{job:?} held twice: {:?}", holders(&running, job));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for job in Job::ALL {
        assert_eq!(holders(&running, job).len(), 1, "{job:?} after its holder stopped: {:?}", holders(&running, job));
    }
    for node in rest {
        node.stop().await;
    }
    drop(kept);
}

/// A Redis of the test's own, on a port of its own, that the test stops and starts again.
struct OwnRedis {
    port: u16,
    server: Option<std::process::Child>,
}

impl OwnRedis {
    fn start(port: u16) -> Self {
        let server = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (CI installs it)");
        OwnRedis { port, server: Some(server) }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    async fn answering(&self) {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Redis of the test's own, and two nodes sharing it.
async fn two_nodes_on_own_redis() -> (OwnRedis, crate::helpers::TestApp, crate::helpers::TestApp) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let redis = OwnRedis::start(port);
    redis.answering().await;
    let url = redis.url();
    let (a, b) = two_nodes(move |s| s.redis.url = url.clone()).await;
    (redis, a, b)
}

#[tokio::test]
async fn with_redis_gone_each_node_serves_its_own_chargers_cross_node_commands_answer_503_and_all_comes_back() {
    if !clustered() {
        return;
    }
    let (mut redis, a, b) = two_nodes_on_own_redis().await;
    a.register("CP-REDIS", None).await;
    let mut cp = SimCharger::connect(Connect::new(&a.ws_url, "CP-REDIS", OcppVersion::V16)).await.unwrap();
    cp.boot().await.unwrap();
    until(&b, "/api/v1/chargers/CP-REDIS", |c| c["online"] == true).await;
    let reset = json!({"type": "Soft"});
    let path = "/api/v1/chargers/CP-REDIS/commands/Reset";

    redis.stop();
    let started = tokio::time::Instant::now();
    let (status, body) = b.operator("POST", path, Some(&reset)).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("cluster_unavailable")), "{body}");
    assert!(started.elapsed() < Duration::from_secs(5), "refused at once, not at a deadline: {:?}", started.elapsed());
    // Node a still serves the charger it holds, and commands sent through it.
    cp.heartbeat().await.unwrap();
    let serving = tokio::spawn(async move {
        let served = cp.serve_calls(1, None).await.unwrap();
        (served, cp)
    });
    assert_eq!(a.operator("POST", path, Some(&reset)).await.0, 200);
    let (served, mut cp) = serving.await.unwrap();
    assert_eq!(served, ["Reset"]);
    let ready = until(&b, "/ready", |r| r["cluster"] == "degraded").await;
    assert_eq!(
        (&ready["status"], &ready["redis"], &ready["cluster"]),
        (&json!("ready"), &json!("unreachable"), &json!("degraded")),
        "{ready}"
    );

    // Redis comes back: so does everything, by itself.
    let _again = OwnRedis::start(redis.port);
    _again.answering().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, ready) = b.get("/ready").await;
        if ready["cluster"] == "ok" && ready["redis"] == "ok" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "node b never saw Redis again: {ready}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let serving = tokio::spawn(async move { cp.serve_calls(1, None).await.unwrap() });
    let (status, body) = b.operator("POST", path, Some(&reset)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serving.await.unwrap(), ["Reset"]);
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn an_order_started_through_a_node_that_cannot_reach_the_piles_node_fails_and_refunds_the_driver() {
    if !clustered() {
        return;
    }
    let (mut redis, a, b) = two_nodes_on_own_redis().await;
    // The pile on a; the driver on b, who pays from the balance before the nodes lose each other.
    let mut cp = open_pile(&a, "ST-CUT", "PILE-CUT", tariff()).await;
    until(&b, "/api/v1/chargers/PILE-CUT", |c| c["online"] == true).await;
    let (token, user_id, _) = driver(&b, "13912349101").await;
    assert_eq!(adjust(&b, user_id, "100.00").await.0, 201);
    let ask = json!({"pileCode": "PILE-CUT", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (status, order) = b.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let pay = json!({"orderNo": no, "method": "balance"});
    assert_eq!(b.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await.0, 201);
    assert_eq!(balance(&b, &token).await, "50.00");

    redis.stop();
    let (status, body) = b.request("POST", &format!("/api/v1/orders/{no}/start"), Some(&token), None).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("cluster_unavailable")), "{body}");
    let failed = order_when(&b, &token, &no, |o| o["status"] == "FAILED").await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(balance(&b, &token).await, "100.00", "the prepayment came back");
    // Its node still serves the pile.
    cp.heartbeat().await.unwrap();
    let (_, pile) = a.operator("GET", "/api/v1/chargers/PILE-CUT", None).await;
    assert_eq!(pile["online"], true, "{pile}");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn two_nodes_on_one_database_without_redis_find_each_other_and_say_they_are_degraded() {
    if !clustered() {
        return;
    }
    let alone = |s: &mut csms::config::Settings| {
        s.redis.url = String::new();
        s.cluster.lease_s = 3;
    };
    let a = spawn_app_with(alone).await;
    let (_, ready) = a.get("/ready").await;
    assert_eq!(ready["cluster"], "single", "one node without Redis is the default: {ready}");
    let b = spawn_node(&a, alone).await;
    for node in [&a, &b] {
        let ready = until(node, "/ready", |r| r["cluster"] == "degraded").await;
        assert_eq!(
            (&ready["status"], &ready["redis"], &ready["cluster"]),
            (&json!("ready"), &json!("unused"), &json!("degraded")),
            "{ready}"
        );
    }
    b.stop().await;
    a.stop().await;
}
