//! `/metrics` scraped and parsed after a charger boots, reports and overheats and the API is
//! used: Prometheus' text format, the metrics csms promises, labels that never name a charger;
//! on a fresh server every metric with a value (zero series for the labels known in advance);
//! transactions in progress counted.

use crate::business::{open_pile, tariff};
use crate::helpers::spawn_app;
use chrono::Utc;
use protocol::v16;
use std::collections::BTreeMap;
use std::time::Duration;

/// Each sample line's metric name with its labels, and its value.
fn parse(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed: {line}"))),
            None => (series, ""),
        };
        let labels = labels
            .split("\",")
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l.split_once("=\"").unwrap_or_else(|| panic!("a bad label in {line}"));
                (k.to_owned(), v.trim_end_matches('"').to_owned())
            })
            .collect();
        samples.push((name.to_owned(), labels, value));
    }
    samples
}

#[tokio::test]
async fn metrics_are_scraped_in_prometheus_text_with_bounded_labels() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-MET", "PILE-METRICS-7", tariff()).await;
    let hot = v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: None,
        meter_value: vec![v16::MeterValue {
            timestamp: Utc::now(),
            sampled_value: vec![crate::transactions::sampled(
                v16::Measurand::Temperature,
                v16::UnitOfMeasure::Celsius,
                "95",
            )],
        }],
    };
    cp.call(hot).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.operator("GET", "/api/v1/stations/ST-MET", None).await.0, 200);

    let answer = reqwest::get(format!("http://{}/metrics", app.http_addr)).await.unwrap();
    assert_eq!(answer.status(), 200);
    let kind = answer.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    let text = answer.text().await.unwrap();
    assert!(!text.contains("PILE-METRICS-7") && !text.contains("ST-MET\""), "no charger or station in a label");
    let samples = parse(&text);
    let has = |name: &str, labels: &[(&str, &str)]| {
        samples
            .iter()
            .any(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
    };
    assert!(has("csms_chargers_connected", &[("version", "ocpp1.6")]));
    assert!(has(
        "csms_ocpp_messages_total",
        &[("version", "ocpp1.6"), ("action", "BootNotification"), ("direction", "in"), ("outcome", "ok")]
    ));
    assert!(has("csms_ocpp_handler_duration_seconds_bucket", &[("action", "MeterValues")]));
    assert!(has("csms_http_requests_total", &[("route", "/api/v1/stations/{code}"), ("status", "200")]));
    assert!(has("csms_http_request_duration_seconds_count", &[("route", "/api/v1/stations/{code}")]));
    assert!(has("csms_alarms_active", &[("type", "over_temperature"), ("level", "high")]));
    for name in [
        "csms_ocpp_call_timeouts_total",
        "csms_transactions_active",
        "csms_energy_delivered_wh_total",
        "csms_db_query_duration_seconds_count",
        "csms_group_commit_batch_size_count",
    ] {
        assert!(has(name, &[]), "{name} is exported");
    }
    app.stop().await;
}

/// The value of the unlabelled series `name` in a scrape, if it is there.
async fn scraped(app: &crate::helpers::TestApp, name: &str) -> Option<f64> {
    let text = reqwest::get(format!("http://{}/metrics", app.http_addr)).await.unwrap().text().await.unwrap();
    parse(&text).into_iter().find(|(n, l, _)| n == name && l.is_empty()).map(|(_, _, v)| v)
}

#[tokio::test]
async fn the_active_transactions_gauge_counts_a_transaction_in_progress() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-MET-TX", "PILE-METRICS-TX", tariff()).await;
    app.store.create_id_tag("TAG-METRICS-TX", "Accepted", None, None).await.unwrap();
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-METRICS-TX".into(),
        meter_start: 0,
        reservation_id: None,
        timestamp: Utc::now(),
    };
    cp.call(start).await.unwrap();
    assert_eq!(app.store.active_transaction_count().await.unwrap(), 1);
    // An alarm's change recounts the gauges at once (they are also read every 15 s). The gauge is
    // the process's, shared by the servers of tests running alongside: wait until ours is seen.
    let hot = v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: None,
        meter_value: vec![v16::MeterValue {
            timestamp: Utc::now(),
            sampled_value: vec![crate::transactions::sampled(
                v16::Measurand::Temperature,
                v16::UnitOfMeasure::Celsius,
                "95",
            )],
        }],
    };
    cp.call(hot).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut seen = None;
    while tokio::time::Instant::now() < deadline {
        seen = scraped(&app, "csms_transactions_active").await;
        if seen.is_some_and(|n| n >= 1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen.is_some_and(|n| n >= 1.0), "csms_transactions_active stayed at {seen:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_fresh_servers_metrics_list_every_metric_with_a_value_before_anything_happened() {
    let app = spawn_app().await;
    let text = reqwest::get(format!("http://{}/metrics", app.http_addr)).await.unwrap().text().await.unwrap();
    let samples = parse(&text);
    let has = |name: &str, labels: &[(&str, &str)]| {
        samples
            .iter()
            .any(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
    };
    for name in csms::metrics::NAMES {
        // A histogram's series are its buckets, sum and count.
        assert!(has(name, &[]) || has(&format!("{name}_count"), &[]), "{name} has no value in:\n{text}");
    }
    // The zero series of the label values known in advance, for alerts on rate().
    for version in ["ocpp1.6", "ocpp2.0.1"] {
        assert!(has("csms_chargers_connected", &[("version", version)]), "chargers connected over {version}");
        let boot = [("version", version), ("action", "BootNotification"), ("direction", "in"), ("outcome", "error")];
        assert!(has("csms_ocpp_messages_total", &boot), "refused boots over {version}");
    }
    for status in ["started", "completed", "failed", "cancelled"] {
        assert!(has("csms_orders_total", &[("status", status)]), "orders {status}");
    }
    for method in ["balance", "wechat", "alipay", "unionpay"] {
        assert!(has("csms_payments_total", &[("method", method), ("outcome", "succeeded")]), "{method} payments");
    }
    assert!(has("csms_payments_total", &[("method", "wechat"), ("outcome", "failed")]));
    assert!(has("csms_alarms_active", &[("type", "offline"), ("level", "high")]));
    assert!(has("csms_http_requests_total", &[("route", "/api/v1/orders"), ("status", "500")]));
    app.stop().await;
}
