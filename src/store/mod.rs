//! Storage: a `Store` over one sea-orm connection pool, SQLite by default or PostgreSQL, with
//! one file of queries per aggregate.

mod batch;
mod chargers;
mod messages;
mod operations;
mod transactions;

pub use batch::{BatchWriter, Write, Writes};
pub use chargers::{BootRecord, NewCharger, StatusRecord};
pub use messages::MessageRecord;
pub use operations::OperationRecord;
pub use transactions::{
    ACTIVE, COMPLETED, ENERGY_REGISTER, EventKind, EventRecord, STALE, Sample, StartRecord, Started, StopRecord,
    Stopped,
};

use crate::config::DatabaseSettings;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// A storage failure. Its details are logged where the request ends, never sent to a charger.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("commit: {0}")]
    Commit(String),
}

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to `settings.url` (a SQLite file is created when missing).
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(settings.url.clone());
        options
            .max_connections(settings.max_connections.max(1))
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx logs every statement at INFO otherwise (DESIGN pitfalls).
            .sqlx_logging(false);
        let db = Database::connect(options).await?;
        Ok(Store { db })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// The connection, for queries of other modules.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Closes the pool, letting in-flight statements finish.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }
}
