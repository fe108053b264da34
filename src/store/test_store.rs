//! A store on a real SQLite file of the test's own, migrated, with one registered charger `CP-1`:
//! what the store's own tests start from.
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use super::{NewCharger, Store};
use crate::config::DatabaseSettings;
use crate::domain::chargers::records::Registration;

/// The store and the folder its file is in (dropped with it).
pub(super) async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("csms.db").display());
    let store = Store::connect(&DatabaseSettings { url, max_connections: 2 }).await.unwrap();
    store.migrate().await.unwrap();
    let charger = NewCharger { id: "CP-1".into(), registration: Registration::Registered, password_hash: None };
    store.create_charger(charger).await.unwrap();
    (dir, store)
}
