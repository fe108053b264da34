//! Group commit when a commit fails: against a real SQLite file, a batch whose commit went
//! through but was reported failed (a connection broken while committing) is stored once, and
//! one whose commit really failed is redone write by write, also stored once.
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use super::*;
use crate::domain::chargers::records::StatusRecord;
use crate::store::test_store::{sample, store};
use chrono::{DateTime, Utc};
use entity::{charger_event, status_history};
use sea_orm::{EntityTrait, PaginatorTrait, RuntimeErr};

/// A status, an event and four samples, with the receivers of their answers.
/// Where a write's outcome comes back (with the write).
type Answer = oneshot::Receiver<(Write, Result<(), StoreError>)>;

fn batch(at: DateTime<Utc>) -> (Vec<Job>, Vec<Answer>) {
    let status = StatusRecord {
        evse_id: 0,
        connector_id: 1,
        status: crate::domain::chargers::ReportedStatus::Charging,
        error_code: None,
        info: None,
        vendor_id: None,
        vendor_error_code: None,
        at,
    };
    let samples = vec![
        sample(at, "Power.Active.Import", "7360"),
        sample(at, "Voltage", "231"),
        sample(at, "Current.Import", "32"),
    ];
    let writes = [
        Write::Status { charger_id: "CP-1".into(), record: status },
        Write::Event { charger_id: "CP-1".into(), kind: "Notified".into(), payload: serde_json::json!({"n": 1}) },
        Write::Samples { charger_id: "CP-1".into(), transaction_id: None, evse_id: 0, connector_id: 1, samples },
    ];
    writes
        .into_iter()
        .map(|write| {
            let (reply, answer) = oneshot::channel();
            ((write, reply), answer)
        })
        .unzip()
}

async fn counts(store: &Store) -> (u64, u64, u64) {
    let db = store.db();
    (
        status_history::Entity::find().count(db).await.unwrap(),
        charger_event::Entity::find().count(db).await.unwrap(),
        store.stored_samples("CP-1").await.unwrap(),
    )
}

fn broken() -> DbErr {
    DbErr::Conn(RuntimeErr::Internal("connection reset while committing".into()))
}

/// Ends a batch as a commit that failed: rolled back, and an error.
async fn rolled_back(txn: DatabaseTransaction) -> Result<(), DbErr> {
    txn.rollback().await?;
    Err(broken())
}

/// Commits `jobs` ended by `how` and checks that every write was acknowledged.
async fn commit_and_acknowledge(
    writer: &mut Writer,
    (mut jobs, answers): (Vec<Job>, Vec<Answer>),
    how: impl AsyncFn(DatabaseTransaction) -> Result<(), DbErr>,
) {
    commit(writer, &mut jobs, how).await;
    for answer in answers {
        assert!(answer.await.unwrap().1.is_ok());
    }
}

#[tokio::test]
async fn a_batch_committed_but_reported_failed_is_stored_once_and_acknowledged() {
    let (_dir, store) = store().await;
    let mut writer = Writer::new(store.clone(), 0);
    let went_through = async |txn: DatabaseTransaction| {
        txn.commit().await?;
        Err(broken())
    };
    commit_and_acknowledge(&mut writer, batch(Utc::now()), went_through).await;
    assert_eq!(counts(&store).await, (1, 1, 3));
}

#[tokio::test]
async fn a_batch_whose_commit_failed_is_redone_write_by_write_and_stored_once() {
    let (_dir, store) = store().await;
    let mut writer = Writer::new(store.clone(), 0);
    commit_and_acknowledge(&mut writer, batch(Utc::now()), rolled_back).await;
    assert_eq!(counts(&store).await, (1, 1, 3));
}

#[tokio::test]
async fn a_second_batch_after_a_committed_one_is_judged_by_its_own_mark() {
    let (_dir, store) = store().await;
    let mut writer = Writer::new(store.clone(), 0);
    let at = Utc::now();
    let (mut first, _) = batch(at);
    commit(&mut writer, &mut first, end).await;
    // The mark holds the first batch's number; the second's failed commit must not pass for it.
    commit_and_acknowledge(&mut writer, batch(at), rolled_back).await;
    // Statuses and events are new rows each time; the same samples are stored once.
    assert_eq!(counts(&store).await, (2, 2, 3));
}
