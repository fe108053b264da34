//! One-statement batches against a real PostgreSQL database (CI's PostgreSQL run; on SQLite
//! there is none to take, and batches go the transaction's way, tested in `batch_tests`).
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use super::*;
use crate::domain::chargers::ReportedStatus;
use crate::store::Store;
use crate::store::test_store::{postgres, sample};
use chrono::{DateTime, Utc};
use entity::{connector, status_history};
use sea_orm::{EntityTrait, PaginatorTrait, RuntimeErr};
use tokio::sync::oneshot;

fn job(write: Write) -> Job {
    // The answers are not awaited here: `store` answers nobody, `commit` does.
    let (reply, _) = oneshot::channel();
    (write, reply)
}

fn status(status: ReportedStatus, at: DateTime<Utc>) -> Job {
    let record = StatusRecord {
        evse_id: 0,
        connector_id: 1,
        status,
        error_code: Some("NoError".into()),
        info: None,
        vendor_id: Some("ACME".into()),
        vendor_error_code: None,
        at,
    };
    job(Write::Status { charger_id: "CP-1".into(), record })
}

fn samples(at: DateTime<Utc>, watts: &str) -> Job {
    let samples = vec![sample(at, "Power.Active.Import", watts), sample(at, "Voltage", "231")];
    job(Write::Samples { charger_id: "CP-1".into(), transaction_id: None, evse_id: 0, connector_id: 1, samples })
}

async fn history(store: &Store) -> u64 {
    status_history::Entity::find().count(store.db()).await.unwrap()
}

/// What became of `jobs` stored as one statement run by `run`.
async fn outcome(
    writer: &Writer,
    jobs: &[Job],
    copies: Copies,
    run: &impl AsyncFn(&DatabaseConnection, Statement) -> Result<(), DbErr>,
) -> Outcome {
    super::store(writer, statement(writer, jobs, copies).unwrap(), copies, run).await
}

fn broken() -> DbErr {
    DbErr::Conn(RuntimeErr::Internal("connection reset while committing".into()))
}

#[tokio::test]
async fn a_lone_status_is_stored_by_one_statement_with_its_mark() {
    let Some((_db, store)) = postgres().await else { return };
    let mut writer = Writer::new(store.clone(), 0);
    writer.batch = 1;
    let jobs = [status(ReportedStatus::Charging, Utc::now())];
    assert!(matches!(outcome(&writer, &jobs, Copies::Fail, &execute).await, Outcome::Stored));
    assert!(writer.marked().await.unwrap());
    assert_eq!(history(&store).await, 1);
    // The next status of the connector replaces its current one and adds to its history.
    writer.batch = 2;
    let jobs = [status(ReportedStatus::Available, Utc::now())];
    assert!(matches!(outcome(&writer, &jobs, Copies::Fail, &execute).await, Outcome::Stored));
    let current = connector::Entity::find().all(store.db()).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!((current[0].status.as_str(), current[0].vendor_id.as_deref()), ("Available", Some("ACME")));
    assert_eq!(history(&store).await, 2);
}

#[tokio::test]
async fn a_statement_that_went_through_but_reported_failed_counts_as_stored_once() {
    let Some((_db, store)) = postgres().await else { return };
    let mut writer = Writer::new(store.clone(), 0);
    writer.batch = 1;
    let went_through = async |db: &DatabaseConnection, statement: Statement| {
        execute(db, statement).await?;
        Err(broken())
    };
    assert!(matches!(
        outcome(&writer, &[status(ReportedStatus::Charging, Utc::now())], Copies::Fail, &went_through).await,
        Outcome::Stored
    ));
    assert_eq!(history(&store).await, 1);
}

#[tokio::test]
async fn a_statement_that_failed_is_not_stored_and_its_mark_says_so() {
    let Some((_db, store)) = postgres().await else { return };
    let mut writer = Writer::new(store.clone(), 0);
    // An earlier batch's mark is there: the failed one must not pass for it.
    writer.batch = 1;
    assert!(matches!(
        outcome(&writer, &[status(ReportedStatus::Charging, Utc::now())], Copies::Fail, &execute).await,
        Outcome::Stored
    ));
    writer.batch = 2;
    let failed = async |_: &DatabaseConnection, _: Statement| Err(broken());
    assert!(matches!(
        outcome(&writer, &[status(ReportedStatus::Finishing, Utc::now())], Copies::Fail, &failed).await,
        Outcome::NotStored
    ));
    assert_eq!(history(&store).await, 1);
}

#[tokio::test]
async fn samples_of_several_meter_values_are_one_insert_and_a_copy_is_met_then_merged() {
    let Some((_db, store)) = postgres().await else { return };
    let mut writer = Writer::new(store.clone(), 0);
    writer.batch = 1;
    let (first, second) = (Utc::now(), Utc::now() + chrono::Duration::seconds(10));
    let jobs = [samples(first, "7000"), samples(second, "7100")];
    assert!(matches!(outcome(&writer, &jobs, Copies::Fail, &execute).await, Outcome::Stored));
    assert_eq!(store.stored_samples("CP-1").await.unwrap(), 4);
    // The charger sends the first again (its answer was lost): a copy, stored once.
    writer.batch = 2;
    let again = [samples(first, "7000")];
    assert!(matches!(outcome(&writer, &again, Copies::Fail, &execute).await, Outcome::MetCopy));
    assert!(matches!(outcome(&writer, &again, Copies::Ignore, &execute).await, Outcome::Stored));
    assert!(writer.marked().await.unwrap());
    assert_eq!(store.stored_samples("CP-1").await.unwrap(), 4);
}

#[tokio::test]
async fn a_batch_of_a_status_and_samples_or_of_two_statuses_takes_a_transaction() {
    let Some((_db, store)) = postgres().await else { return };
    let writer = Writer::new(store.clone(), 0);
    let at = Utc::now();
    assert!(statement(&writer, &[status(ReportedStatus::Charging, at), samples(at, "1")], Copies::Fail).is_none());
    let two = [status(ReportedStatus::Charging, at), status(ReportedStatus::Finishing, at)];
    assert!(statement(&writer, &two, Copies::Fail).is_none());
}
