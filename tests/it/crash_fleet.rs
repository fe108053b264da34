//! Crash safety at scale, in the suite: the real `csms` binary on the suite's database (SQLite,
//! or PostgreSQL with Redis in CI's second run) with 20 drivers mid-session is killed with
//! SIGKILL, restarted, and killed again while the chargers replay what they queued offline;
//! every order must be completed and billed once and right, every balance equal its ledger, and
//! `csms audit` exit 0 (`simulators::crash`, which `scripts/crash-check` runs with 1,000).

use crate::helpers::fresh_database;
use simulators::crash::{CrashPlan, CsmsCommand};
use std::time::Duration;

#[tokio::test]
async fn a_fleet_killed_mid_session_and_again_while_replaying_is_billed_once_and_right() {
    let (database_url, database) = fresh_database().await;
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("csms.log");
    let mut env = vec![("RUST_LOG".to_owned(), "warn,csms=info".to_owned())];
    if std::env::var("REDIS_URL").is_ok() {
        // csms takes REDIS_URL from the test's environment: a key prefix of its own.
        env.push(("CSMS__REDIS__KEY_PREFIX".to_owned(), format!("csms-test:{}:", database.name())));
    }
    let any_port = "127.0.0.1:0".parse().unwrap();
    let plan = CrashPlan {
        csms: CsmsCommand { program: env!("CARGO_BIN_EXE_csms").into(), env, log: Some(log.clone()) },
        database_url,
        ocpp: any_port,
        api: any_port,
        sms_listen: any_port,
        chargers: 20,
        station: "CRASH-IT".into(),
        password: Some("crash-pile-password".into()),
        phone_base: 13_600_000_000,
        meter_interval: Duration::from_millis(500),
        began_ago: Duration::from_secs(30 * 60),
        stopping_at_kill: 0.25,
        down: Duration::from_secs(2),
        second_kill_at: Some(0.25),
        retry: Duration::from_millis(250),
        setup_concurrency: 8,
        connections: 16,
        deadline: Duration::from_secs(45),
    };
    let report = simulators::crash::run(plan).await;
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    let tail: Vec<&str> = said.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    let report = match report {
        Ok(report) => report,
        Err(e) => panic!("the crash check could not run: {e}\ncsms's log ends:\n{}", tail.join("\n")),
    };
    eprintln!("{report}");
    assert!(report.ok, "{report}\ncsms's log ends:\n{}", tail.join("\n"));
    assert_eq!(report.kills[0].during, "sessions", "{report}");
    assert_eq!((report.orders_expected, report.orders_completed), (20, 20), "{report}");
    assert!(report.replayed_messages >= 20 * 2, "every charger replayed its meter values and stop: {report}");
}
