//! Storage: a `Store` over one sea-orm connection pool, SQLite by default or PostgreSQL, with
//! one file of queries per aggregate.

mod alarms;
mod at_once;
#[cfg(test)]
mod at_once_tests;
mod audit;
mod batch;
mod batch_one;
mod chargers;
mod cluster;
mod ledger;
mod membership;
mod messages;
mod operations;
mod order_payments;
mod orders;
mod payments;
mod ports;
mod provider_calls;
mod provider_payments;
mod provider_refunds;
mod reservations;
mod retention;
pub(crate) mod rows;
mod sample_codec;
mod sample_reads;
mod samples;
mod sql;
mod stations;
mod stats;
mod stats_counting;
mod stats_read;
mod stats_rollup;
mod statuses;
#[cfg(test)]
mod test_store;
mod transactions;
mod trend;
mod users;

pub use crate::domain::monitoring::records::Retained;
pub use crate::domain::monitoring::records::{AlarmFilter, NewAlarm};
pub use crate::domain::orders::records::OrderFilter;
pub use crate::domain::users::records::UserFilter;
pub use crate::domain::writes::{Write, WriteQueue};
pub use batch::{BatchWriter, Writes};
pub use cluster::{NodeLease, Orphan};
pub use messages::MessageRecord;

// The domain's types this module takes and returns, at their earlier paths here.
pub use crate::domain::chargers::records::{
    BootRecord, ChargerChange, NewCharger, OperationRecord, Presence, StatusRecord,
};
pub use crate::domain::charging::transactions::{
    ACTIVE, Applied, COMPLETED, ENERGY_REGISTER, EventKind, EventRecord, STALE, Sample, StartRecord, Started,
    StopRecord, Stopped, TransactionStatus,
};

use crate::config::DatabaseSettings;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::sync::Arc;
use std::time::Duration;

/// Text that PostgreSQL can store: it refuses a NUL character in text (and jsonb), which a
/// frame that is not JSON can hold; it becomes U+FFFD.
pub(crate) fn storable(text: &str) -> String {
    if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text.to_owned() }
}

/// JSON that PostgreSQL can store as jsonb: NUL characters in strings and names become U+FFFD.
pub(crate) fn storable_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) if text.contains('\0') => Value::String(storable(&text)),
        Value::Array(items) => Value::Array(items.into_iter().map(storable_json).collect()),
        Value::Object(members) => {
            Value::Object(members.into_iter().map(|(name, value)| (storable(&name), storable_json(value))).collect())
        }
        other => other,
    }
}

pub use crate::domain::storage::{StoreError, Subject};

/// A database failure as the domain's ports report it: a unique key's refusal apart (see
/// `StoreError::Duplicate`), the rest as the database said it.
impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(what)) => StoreError::Duplicate(what),
            _ => StoreError::Db(e.to_string()),
        }
    }
}

/// Opens a pool of at most `connections` (see `Store::connect`).
async fn pool(url: &str, connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
        })
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx logs every statement at INFO otherwise (DESIGN pitfalls).
        .sqlx_logging(false);
    Database::connect(options).await
}

/// SQLite connections in the pool at most, and each one's page cache (see `Store::connect`).
pub const SQLITE_MAX_CONNECTIONS: u32 = 2;
const SQLITE_CACHE_KIB: u32 = 1024;

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// SQLite's writing turn (see `begin_write`).
    sqlite_writer: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Whether `meter_samples` (the samples stored before migration 19, which nothing writes
    /// since) holds any: unknown (0) until asked once, then none (1) or some (2).
    legacy_samples: Arc<std::sync::atomic::AtomicU8>,
}

/// A turn to write (SQLite); ends when dropped.
#[derive(Debug)]
pub(crate) struct WriteTurn(#[allow(dead_code)] Option<tokio::sync::OwnedMutexGuard<()>>);

impl Store {
    /// Connects to `settings.url` (a SQLite file is created when missing).
    ///
    /// SQLite runs in WAL mode with `synchronous = FULL`: a commit appends its pages to the log
    /// and syncs it once (the rollback journal wrote every page twice and synced both files),
    /// readers never wait for the writer, and a commit acknowledged is on disk. Its pool holds
    /// at most `SQLITE_MAX_CONNECTIONS` (one writer at a time anyway, and a reader beside it),
    /// each with a page cache of `SQLITE_CACHE_KIB`: every connection keeps a cache and a
    /// worker thread (with its allocator heap) of its own — sixteen of them held ~6 MiB each
    /// under MeterValues load, and writes touch the last pages of the sample key only.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        let connections = if settings.url.starts_with("sqlite") {
            settings.max_connections.clamp(1, SQLITE_MAX_CONNECTIONS)
        } else {
            settings.max_connections.max(1)
        };
        let db = pool(&settings.url, connections).await?;
        let sqlite_writer =
            (db.get_database_backend() == DatabaseBackend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        Ok(Store { db, sqlite_writer, legacy_samples: Arc::default() })
    }

    /// The same database through a pool of its own of `connections`, sharing this store's
    /// writing turn: the group-commit writers open theirs on their own thread (see `batch`), so
    /// that their connections' I/O is driven there.
    pub(crate) async fn own_pool(&self, url: &str, connections: u32) -> Result<Self, StoreError> {
        Ok(Store {
            db: pool(url, connections).await?,
            sqlite_writer: self.sqlite_writer.clone(),
            legacy_samples: self.legacy_samples.clone(),
        })
    }

    /// Whether `meter_samples` holds samples stored before migration 19: asked once per process
    /// (nothing writes there any more, so none found stays none), and their readings looked for
    /// only then.
    pub(crate) async fn legacy_samples(&self) -> Result<bool, StoreError> {
        use std::sync::atomic::Ordering;
        match self.legacy_samples.load(Ordering::Relaxed) {
            1 => return Ok(false),
            2 => return Ok(true),
            _ => {}
        }
        let sql = "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM meter_samples) THEN 1 ELSE 0 END AS BIGINT) AS some";
        let row = self.db.query_one_raw(Statement::from_string(self.db.get_database_backend(), sql)).await?;
        let some = row.map(|r| r.try_get::<i64>("", "some")).transpose()?.unwrap_or(1) != 0;
        self.legacy_samples.store(if some { 2 } else { 1 }, Ordering::Relaxed);
        Ok(some)
    }

    /// Applies every pending migration, makes the samples' partitions of this month and the
    /// next ones (PostgreSQL; see `retention`), and fills the statistics' rollups when a
    /// migration asked for it.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        self.make_partitions(chrono::Utc::now()).await?;
        self.fill_stats_if_asked().await
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Begins a transaction that writes, and returns it with this process's writing turn (hold
    /// it until the transaction ends). On SQLite, which has one writer at a time, transactions
    /// take turns here (in order) rather than in SQLite's busy handler, which polls with sleeps
    /// of up to 100 ms; and each is `BEGIN IMMEDIATE`, because a deferred transaction that reads
    /// before it writes cannot become the writer once another connection committed: SQLite
    /// answers "database is locked" at once (measured: concurrent 1.6 starts and 2.0.1 events
    /// failed so). PostgreSQL needs neither.
    pub(crate) async fn begin_write(&self) -> Result<(WriteTurn, DatabaseTransaction), DbErr> {
        let turn = self.write_turn().await;
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok((turn, self.db.begin_with_options(options).await?))
    }

    /// This process's writing turn, for a write outside a transaction (see `begin_write`): on
    /// SQLite a statement that found the file locked would wait in the busy handler, and a
    /// transaction holding the turn behind it.
    pub(crate) async fn write_turn(&self) -> WriteTurn {
        match &self.sqlite_writer {
            Some(writer) => WriteTurn(Some(writer.clone().lock_owned().await)),
            None => WriteTurn(None),
        }
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

/// Records a database transaction's time when dropped (committed, rolled back or abandoned).
struct Timed(std::time::Instant);

impl Drop for Timed {
    fn drop(&mut self) {
        metrics::histogram!(crate::metrics::DB_QUERY_DURATION, "operation" => crate::metrics::DB_TRANSACTION)
            .record(self.0.elapsed().as_secs_f64());
    }
}

/// Runs `work` in a write transaction: committed when it succeeds, rolled back otherwise.
pub(crate) async fn in_transaction<T, F>(store: &Store, work: F) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> futures_util::future::BoxFuture<'t, Result<T, StoreError>>,
{
    let started = std::time::Instant::now();
    let (_turn, txn) = store.begin_write().await?;
    let _timed = Timed(started);
    match work(&txn).await {
        Ok(done) => {
            txn.commit().await?;
            Ok(done)
        }
        Err(e) => {
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}
