//! Prometheus metrics: their names (a contract: `deploy/` and the Grafana dashboard use them, and
//! a test checks that they exist here), the recorder installed once per process, and `/metrics`.
//! Labels are bounded — version, action, direction, outcome, method, status, route template,
//! alarm type and level — and never carry a charger id or a user. Every metric shows from the
//! start, at zero, with the series of the label values known in advance: an alert on `rate()`
//! misses a series' first increase when the series appears with it.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Chargers connected now, by OCPP version (gauge).
pub const CHARGERS_CONNECTED: &str = "csms_chargers_connected";
/// OCPP messages, by version, action, direction (`in`/`out`) and outcome (counter).
pub const OCPP_MESSAGES: &str = "csms_ocpp_messages_total";
/// How long a charger's request took to handle, by version and action (histogram, seconds).
pub const OCPP_HANDLER_DURATION: &str = "csms_ocpp_handler_duration_seconds";
/// Calls to chargers that got no answer in time (counter).
pub const OCPP_CALL_TIMEOUTS: &str = "csms_ocpp_call_timeouts_total";
/// Transactions in progress (gauge).
pub const TRANSACTIONS_ACTIVE: &str = "csms_transactions_active";
/// Energy of ended transactions, Wh (counter).
pub const ENERGY_DELIVERED_WH: &str = "csms_energy_delivered_wh_total";
/// Active alarms, by type and level (gauge).
pub const ALARMS_ACTIVE: &str = "csms_alarms_active";
/// Mismatches the money audit's last run found, by kind.
pub const AUDIT_MISMATCHES: &str = "csms_audit_mismatches";
/// Orders reaching a status, by status (counter).
pub const ORDERS: &str = "csms_orders_total";
/// Payments, by method and outcome (counter).
pub const PAYMENTS: &str = "csms_payments_total";
/// HTTP requests, by route template and status (counter).
pub const HTTP_REQUESTS: &str = "csms_http_requests_total";
/// How long an HTTP request took, by route template (histogram, seconds).
pub const HTTP_REQUEST_DURATION: &str = "csms_http_request_duration_seconds";
/// How long a database statement or transaction took, by operation (histogram, seconds).
pub const DB_QUERY_DURATION: &str = "csms_db_query_duration_seconds";
/// Rows per group commit (histogram).
pub const GROUP_COMMIT_BATCH_SIZE: &str = "csms_group_commit_batch_size";
/// Messages between csms nodes, by kind and outcome (`sent`, `received`, `refused`) (counter).
pub const CLUSTER_MESSAGES: &str = "csms_cluster_messages_total";
/// csms nodes whose lease is current, as this node sees them (gauge).
pub const CLUSTER_NODES: &str = "csms_cluster_nodes";
/// Chargers' Basic auth checks, by outcome: `remembered` (verified before, here or on another
/// node: no argon2), `verified` (argon2), `refused` (counter).
pub const CHARGER_LOGINS: &str = "csms_charger_logins_total";
/// MQTT pile messages, by topic family and outcome (`mqtt::FAMILIES`, `mqtt::OUTCOMES`) (counter).
pub const MQTT_MESSAGES: &str = "csms_mqtt_messages_total";
/// `csms_charger_logins_total`'s outcomes.
pub const LOGIN_OUTCOMES: [&str; 3] = ["remembered", "verified", "refused"];

/// Every metric csms exports.
pub const NAMES: &[&str] = &[
    CHARGERS_CONNECTED,
    OCPP_MESSAGES,
    OCPP_HANDLER_DURATION,
    OCPP_CALL_TIMEOUTS,
    TRANSACTIONS_ACTIVE,
    ENERGY_DELIVERED_WH,
    ALARMS_ACTIVE,
    AUDIT_MISMATCHES,
    ORDERS,
    PAYMENTS,
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
    DB_QUERY_DURATION,
    GROUP_COMMIT_BATCH_SIZE,
    CLUSTER_MESSAGES,
    CLUSTER_NODES,
    CHARGER_LOGINS,
    MQTT_MESSAGES,
];

/// `csms_orders_total`'s statuses.
pub const ORDER_STATUSES: [&str; 6] = ["started", "completed", "review", "rebilled", "failed", "cancelled"];
/// `csms_audit_mismatches{kind}`: the audit's kinds of mismatch (kept equal to
/// `domain::audit::MismatchKind::ALL` by its test).
pub const MISMATCH_KINDS: [&str; 4] = ["balance_vs_ledger", "order_money", "payment_refunds", "sample_billed_twice"];
/// `csms_db_query_duration_seconds`'s operations: a group commit, a write transaction.
pub const DB_GROUP_COMMIT: &str = "group_commit";
pub const DB_TRANSACTION: &str = "transaction";

/// Seconds: from a fast handler's tenth of a millisecond to a slow provider call's ten seconds.
const SECONDS: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// Rows per commit.
const ROWS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use (one per process: tests start many servers
/// in one); none when another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(GROUP_COMMIT_BATCH_SIZE.into()), ROWS));
            let recorder = match builder {
                Ok(builder) => builder.build_recorder(),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: the recorder could not be built");
                    return None;
                }
            };
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    describe();
                    Some(handle)
                }
                Err(_) => {
                    tracing::warn!("metrics: another recorder is installed; /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

/// `csms_payments_total`'s series at zero: the balance's payments succeeded, and each of
/// `providers`' succeeded, failed to open, closed unpaid (`payments::provider`, `jobs`) or
/// notified in another currency than yuan (`payments::notify`). Their names are the registry's
/// (`providers::METHODS`, handed over by startup after `handle`): this file lists none.
pub fn zero_payments(providers: impl IntoIterator<Item = &'static str>) {
    metrics::counter!(PAYMENTS, "method" => "balance", "outcome" => "succeeded").increment(0);
    for provider in providers {
        for outcome in ["succeeded", "failed", "closed", "wrong_currency"] {
            metrics::counter!(PAYMENTS, "method" => provider, "outcome" => outcome).increment(0);
        }
    }
}

/// The text `/metrics` answers.
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(CHARGERS_CONNECTED, "Chargers connected now, by OCPP version");
    describe_counter!(OCPP_MESSAGES, "OCPP messages by version, action, direction and outcome");
    describe_histogram!(OCPP_HANDLER_DURATION, Unit::Seconds, "Time to handle a charger's request");
    describe_counter!(OCPP_CALL_TIMEOUTS, "Calls to chargers left unanswered in time");
    describe_gauge!(TRANSACTIONS_ACTIVE, "Transactions in progress");
    describe_counter!(ENERGY_DELIVERED_WH, "Energy of ended transactions, Wh");
    describe_gauge!(ALARMS_ACTIVE, "Active alarms by type and level");
    describe_gauge!(AUDIT_MISMATCHES, "Mismatches the money audit's last run found, by kind");
    describe_counter!(ORDERS, "Orders reaching a status");
    describe_counter!(PAYMENTS, "Payments by method and outcome");
    describe_counter!(HTTP_REQUESTS, "HTTP requests by route and status");
    describe_histogram!(HTTP_REQUEST_DURATION, Unit::Seconds, "Time to answer an HTTP request");
    describe_histogram!(DB_QUERY_DURATION, Unit::Seconds, "Time of a database statement or transaction");
    describe_histogram!(GROUP_COMMIT_BATCH_SIZE, "Rows per group commit");
    describe_counter!(CLUSTER_MESSAGES, "Messages between csms nodes, by kind and outcome");
    describe_gauge!(CLUSTER_NODES, "csms nodes whose lease is current");
    describe_counter!(MQTT_MESSAGES, "MQTT pile messages by topic family and outcome");
    describe_counter!(CHARGER_LOGINS, "Chargers' Basic auth checks: remembered, verified by argon2, refused");
    // Shown from the start, at zero, rather than only once something happened.
    metrics::counter!(OCPP_CALL_TIMEOUTS).absolute(0);
    metrics::counter!(ENERGY_DELIVERED_WH).absolute(0);
    metrics::gauge!(TRANSACTIONS_ACTIVE).set(0.0);
    zero_series();
}

/// The labelled series whose label values are known in advance, at zero (an increment by 0, a
/// histogram's handle: what is there already stays). Alarms' and HTTP routes' are made where
/// their labels are known (`monitoring::alarms`, `api`).
fn zero_series() {
    use metrics::{counter, gauge, histogram};
    for version in protocol::OcppVersion::ALL {
        gauge!(CHARGERS_CONNECTED, "version" => version.subprotocol()).increment(0.0);
    }
    ocpp::zero();
    for status in ORDER_STATUSES {
        counter!(ORDERS, "status" => status).increment(0);
    }
    for kind in MISMATCH_KINDS {
        gauge!(AUDIT_MISMATCHES, "kind" => kind).increment(0.0);
    }
    for operation in [DB_GROUP_COMMIT, DB_TRANSACTION] {
        drop(histogram!(DB_QUERY_DURATION, "operation" => operation));
    }
    drop(histogram!(GROUP_COMMIT_BATCH_SIZE));
    gauge!(CLUSTER_NODES).increment(0.0);
    for outcome in LOGIN_OUTCOMES {
        counter!(CHARGER_LOGINS, "outcome" => outcome).increment(0);
    }
    cluster::zero();
    mqtt::zero();
}

pub mod cluster {
    //! Messages between nodes: kinds and outcomes are a fixed set (a message of an unknown kind
    //! counts as `unknown`).

    use super::CLUSTER_MESSAGES;

    /// The kinds of message (`wire::Envelope::kind`), and `unknown`.
    pub const KINDS: [&str; 8] =
        ["call", "answer", "takeover", "registration", "user_event", "operator_event", "live", "unknown"];
    /// What became of a message.
    pub const OUTCOMES: [&str; 3] = ["sent", "received", "refused"];

    /// Counts a message.
    pub fn message(kind: &'static str, outcome: &'static str) {
        metrics::counter!(CLUSTER_MESSAGES, "kind" => kind, "outcome" => outcome).increment(1);
    }

    pub(super) fn zero() {
        for kind in KINDS {
            for outcome in OUTCOMES {
                metrics::counter!(CLUSTER_MESSAGES, "kind" => kind, "outcome" => outcome).increment(0);
            }
        }
    }
}

pub mod mqtt;

/// Drains the histograms into their buckets (the exporter keeps samples until then), every few
/// seconds until `stop`.
pub async fn upkeep(stop: tokio_util::sync::CancellationToken) {
    let Some(handle) = handle() else { return };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => handle.run_upkeep(),
        }
    }
}

pub mod ocpp {
    //! OCPP message metrics with their handles made once per (version, action) and kept: a
    //! frame costs a look-up in its thread's own map and atomic adds — no allocation, and no
    //! lock shared between threads (a shared map's shard lock would be taken by every frame of
    //! an action, on every thread). Actions are named by the protocol's own spelling once
    //! known; anything else is `unknown` (a charger cannot grow the label set).

    use super::{OCPP_CALL_TIMEOUTS, OCPP_HANDLER_DURATION, OCPP_MESSAGES};
    use dashmap::DashMap;
    use metrics::{Counter, Histogram, counter, histogram};
    use protocol::{ActionSet, Role};
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::sync::LazyLock;
    use std::time::Duration;

    /// One action's handles.
    #[derive(Debug)]
    struct Meters {
        answered: Counter,
        refused: Counter,
        out_ok: Counter,
        out_error: Counter,
        duration: Histogram,
    }

    /// Actions seen, per version (bounded: known actions only, each interned once).
    static METERS: LazyLock<[DashMap<Box<str>, &'static Meters>; 2]> = LazyLock::new(Default::default);

    thread_local! {
        /// This thread's copy of `METERS`, filled as actions are first seen here.
        static LOCAL: RefCell<[HashMap<Box<str>, &'static Meters>; 2]> = RefCell::default();
    }

    fn meters(version: &'static str, action: &str, known: bool) -> &'static Meters {
        let action = if known { action } else { "unknown" };
        let v = usize::from(version != "ocpp1.6");
        LOCAL.with(|local| {
            if let Some(found) = local.borrow()[v].get(action) {
                return *found;
            }
            let made = shared(version, v, action);
            local.borrow_mut()[v].insert(Box::from(action), made);
            made
        })
    }

    /// The handles of `action` of `version` (index `v`), made once for every thread.
    fn shared(version: &'static str, v: usize, action: &str) -> &'static Meters {
        let seen = &METERS[v];
        if let Some(found) = seen.get(action).map(|m| *m) {
            return found;
        }
        // Interned once per known action: a bounded set (the protocol's actions).
        let name: &'static str = Box::leak(action.to_owned().into_boxed_str());
        let labels = |direction: &'static str, outcome: &'static str| counter!(OCPP_MESSAGES, "version" => version, "action" => name, "direction" => direction, "outcome" => outcome);
        let made: &'static Meters = Box::leak(Box::new(Meters {
            answered: labels("in", "ok"),
            refused: labels("in", "error"),
            out_ok: labels("out", "ok"),
            out_error: labels("out", "error"),
            duration: histogram!(OCPP_HANDLER_DURATION, "version" => version, "action" => name),
        }));
        *seen.entry(Box::from(action)).or_insert(made)
    }

    /// Every action's series at zero, in the direction its CALL goes: a charger's requests
    /// answered or refused and the time they took, our calls answered or refused.
    pub(super) fn zero() {
        fn of<A: ActionSet>() {
            let version = A::VERSION.subprotocol();
            for action in A::ALL {
                let (name, initiator) = (action.as_str(), action.initiator());
                let directions = [(Role::ChargingStation, "in"), (Role::Csms, "out")];
                for (_, direction) in directions.into_iter().filter(|(role, _)| initiator.may_send(*role)) {
                    for outcome in ["ok", "error"] {
                        counter!(OCPP_MESSAGES, "version" => version, "action" => name, "direction" => direction, "outcome" => outcome)
                            .increment(0);
                    }
                }
                if initiator.may_send(Role::ChargingStation) {
                    drop(histogram!(OCPP_HANDLER_DURATION, "version" => version, "action" => name));
                }
            }
        }
        of::<protocol::v16::Action>();
        of::<protocol::v201::Action>();
    }

    /// A charger's request handled in `took`: answered, or refused with a CALLERROR; `known`
    /// when its action is one of the protocol's.
    pub fn handled(version: &'static str, action: &str, known: bool, ok: bool, took: Duration) {
        let m = meters(version, action, known);
        if ok {
            m.answered.increment(1)
        } else {
            m.refused.increment(1)
        }
        m.duration.record(took.as_secs_f64());
    }

    /// A call of ours answered (`ok`) or refused by the charger.
    pub fn call_answered(version: &'static str, action: &'static str, ok: bool) {
        let m = meters(version, action, true);
        if ok { m.out_ok.increment(1) } else { m.out_error.increment(1) }
    }

    /// A call of ours left unanswered in time.
    pub fn call_timed_out() {
        static TIMEOUTS: LazyLock<Counter> = LazyLock::new(|| counter!(OCPP_CALL_TIMEOUTS));
        TIMEOUTS.increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_known_in_advance_show_at_zero_before_anything_happened() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe();
            zero_payments(crate::providers::METHODS.providers().iter().map(|name| name.as_str()));
        });
        let text = handle.render();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let shows = |series: &str| lines.iter().any(|l| l.starts_with(series) && l.ends_with(" 0"));
        // Alarms' and HTTP routes' series are made with their labels (monitoring, api).
        for name in NAMES.iter().filter(|n| ![ALARMS_ACTIVE, HTTP_REQUESTS, HTTP_REQUEST_DURATION].contains(n)) {
            assert!(shows(name), "{name} at zero in:\n{text}");
        }
        assert!(shows(r#"csms_chargers_connected{version="ocpp2.0.1"}"#));
        assert!(shows(r#"csms_orders_total{status="cancelled"}"#));
        let refused =
            r#"csms_ocpp_messages_total{version="ocpp1.6",action="StartTransaction",direction="in",outcome="error"}"#;
        assert!(shows(refused), "{text}");
        let ours = r#"csms_ocpp_messages_total{version="ocpp2.0.1",action="RequestStopTransaction",direction="out",outcome="ok"}"#;
        assert!(shows(ours), "{text}");
        // Each action in its own direction only.
        assert!(!text.contains(r#"action="Heartbeat",direction="out""#), "{text}");
        assert!(!text.contains(r#"action="RemoteStartTransaction",direction="in""#), "{text}");
        assert!(shows(r#"csms_payments_total{method="alipay",outcome="closed"}"#));
        assert!(!text.contains(r#"method="balance",outcome="closed""#));
    }
}
