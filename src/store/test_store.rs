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

/// A PostgreSQL database of the test's own, dropped with this.
pub(super) struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop cannot await: a thread with a runtime of its own drops it (FORCE ends the store's
        // sessions).
        let dropping = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async move {
                if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sea_orm::ConnectionTrait::execute_unprepared(&admin, &drop).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropping.join();
    }
}

/// A store on a fresh PostgreSQL database, migrated, with charger `CP-1`, when `DATABASE_URL`
/// names a PostgreSQL server (CI's PostgreSQL run); none otherwise.
pub(super) async fn postgres() -> Option<(PostgresDatabase, Store)> {
    let admin_url = std::env::var("DATABASE_URL").ok().filter(|url| url.starts_with("postgres"))?;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "csms_unit_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    admin.close().await.unwrap();
    let database = PostgresDatabase { admin_url: admin_url.clone(), name: name.clone() };
    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
    let store = Store::connect(&DatabaseSettings { url: format!("{base}/{name}"), max_connections: 2 }).await.unwrap();
    store.migrate().await.unwrap();
    let charger = NewCharger { id: "CP-1".into(), registration: Registration::Registered, password_hash: None };
    store.create_charger(charger).await.unwrap();
    Some((database, store))
}

/// A periodic sample taken at the outlet at `at`, in W (whatever the measurand).
pub(super) fn sample(
    at: chrono::DateTime<chrono::Utc>,
    measurand: &str,
    value: &str,
) -> crate::domain::charging::transactions::Sample {
    crate::domain::charging::transactions::Sample {
        sampled_at: at,
        measurand: measurand.into(),
        phase: None,
        context: "Sample.Periodic".into(),
        location: "Outlet".into(),
        unit: "W".into(),
        value: value.into(),
    }
}
