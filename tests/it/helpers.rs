//! Starting the real server for a test: port 0 for both listeners, a database of its own
//! (a fresh SQLite file, or a fresh PostgreSQL database when `DATABASE_URL` names one).

use csms::config::Settings;
use csms::data_transfer::DataTransferHandlers;
use csms::domain::chargers::records::Registration;
use csms::domain::ids::ChargerId;
use csms::domain::users::{Phone, SmsSender};
use csms::startup::Application;
use csms::store::{NewCharger, Store};
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running server.
pub(crate) struct TestApp {
    pub(crate) ws_url: String,
    pub(crate) http_addr: std::net::SocketAddr,
    pub(crate) store: Store,
    /// The URL `store` was opened on.
    pub(crate) database_url: String,
    pub(crate) app_hub: csms::hub::Hub,
    pub(crate) orders: csms::domain::orders::Orders,
    pub(crate) cluster: csms::cluster::Cluster,
    /// Drains the node when cancelled (what SIGTERM does).
    pub(crate) drain: CancellationToken,
    /// The texts the server sent by SMS.
    pub(crate) outbox: Arc<Outbox>,
    stop: CancellationToken,
    server: JoinHandle<()>,
    /// None for a second node of another app's system (that app owns the database).
    database: Option<TestDatabase>,
    /// Where the test's Redis keys live (the same for every node of one system).
    pub(crate) redis_prefix: String,
}

/// Where the test's database lives, removed when the test ends — also when it fails: a
/// panicking test drops its `TestApp` while unwinding.
pub(crate) enum TestDatabase {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// The PostgreSQL database's name, or the SQLite file's folder.
    pub(crate) fn name(&self) -> String {
        match self {
            TestDatabase::Sqlite(dir) => dir.path().display().to_string(),
            TestDatabase::Postgres { name, .. } => name.clone(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let TestDatabase::Postgres { admin_url, name } = self else { return };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop cannot await, and the test's runtime may be the one unwinding: a thread of its
        // own with a runtime of its own drops the database (FORCE ends the server's sessions).
        let dropping = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = admin.execute_unprepared(&drop).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropping.join();
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The operator token every test server is started with.
pub(crate) const OPERATOR_TOKEN: &str = "test-operator-token-7f3a";

/// A database URL of the test's own: a new PostgreSQL database when `DATABASE_URL` is a
/// postgres URL, else a SQLite file in a temporary folder.
pub(crate) async fn fresh_database() -> (String, TestDatabase) {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = format!(
                "csms_test_{}_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed),
                chrono::Utc::now().timestamp_micros()
            );
            let admin = Database::connect(&url).await.expect("DATABASE_URL: PostgreSQL is not reachable");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("creating the test database");
            let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
            (format!("{base}/{name}"), TestDatabase::Postgres { admin_url: url.clone(), name })
        }
        _ => {
            if std::env::var("CSMS_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
                && std::env::var("DATABASE_URL").is_ok_and(|u| !u.starts_with("sqlite"))
            {
                panic!("CSMS_REQUIRE_SERVICES=1 but DATABASE_URL is neither postgres nor sqlite");
            }
            let dir = tempfile::tempdir().expect("temporary folder");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("csms.db").display());
            (url, TestDatabase::Sqlite(dir))
        }
    }
}

/// The default settings on port 0 with a fresh database; `change` adjusts them.
pub(crate) async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_extended(change, DataTransferHandlers::default()).await
}

/// The same, with vendor DataTransfer handlers.
pub(crate) async fn spawn_app_extended(change: impl FnOnce(&mut Settings), handlers: DataTransferHandlers) -> TestApp {
    spawn(change, handlers, true).await
}

/// The same, sending codes through the sender `sms.sender` configures instead of `outbox`
/// (which then stays empty), as `csms serve` does.
pub(crate) async fn spawn_app_configured(change: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(change, DataTransferHandlers::default(), false).await
}

async fn spawn(change: impl FnOnce(&mut Settings), handlers: DataTransferHandlers, to_outbox: bool) -> TestApp {
    let (url, database) = fresh_database().await;
    let prefix = format!("csms-test:{}:", database.name());
    spawn_on(url, Some(database), prefix, change, handlers, to_outbox).await
}

/// Another node of `first`'s system: the same database and Redis prefix, its own ports.
pub(crate) async fn spawn_node(first: &TestApp, change: impl FnOnce(&mut Settings)) -> TestApp {
    let url = first.database_url.clone();
    spawn_on(url, None, first.redis_prefix.clone(), change, DataTransferHandlers::default(), true).await
}

async fn spawn_on(
    url: String,
    database: Option<TestDatabase>,
    prefix: String,
    change: impl FnOnce(&mut Settings),
    handlers: DataTransferHandlers,
    to_outbox: bool,
) -> TestApp {
    let mut settings = Settings::defaults().expect("defaults");
    settings.ocpp.listen = "127.0.0.1:0".parse().expect("address");
    settings.http.listen = "127.0.0.1:0".parse().expect("address");
    settings.database.url = url;
    settings.database.max_connections = 4;
    settings.api.operator_token = OPERATOR_TOKEN.to_owned();
    // On Redis when REDIS_URL says so (CI's PostgreSQL run), under a prefix of the test's own.
    if let Ok(redis) = std::env::var("REDIS_URL") {
        settings.redis.url = redis;
        settings.redis.key_prefix = prefix.clone();
    }
    change(&mut settings);
    let database_url = settings.database.url.clone();
    let outbox = Arc::new(Outbox::default());
    let app = if to_outbox {
        Application::build_full(settings, handlers, outbox.clone()).await
    } else {
        Application::build_with(settings, handlers).await
    };
    let app = app.expect("the application starts");
    let ws_url = format!("ws://{}", app.ocpp_addr());
    let http_addr = app.http_addr();
    let store = app.store().clone();
    let app_hub = app.hub().clone();
    let orders = app.orders().clone();
    let cluster = app.cluster().clone();
    let drain = app.drain_token();
    let stop = app.shutdown_token();
    let server = tokio::spawn(async move {
        app.run_until_stopped().await.expect("the server runs");
    });
    TestApp {
        ws_url,
        http_addr,
        store,
        database_url,
        app_hub,
        orders,
        cluster,
        drain,
        outbox,
        stop,
        server,
        database,
        redis_prefix: prefix,
    }
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

impl TestApp {
    /// Registers an accepted charger, with a Basic auth password if given.
    pub(crate) async fn register(&self, id: &str, password: Option<&str>) {
        let password_hash = password.map(|p| csms::chargers::hash_password(p).expect("hashing"));
        self.store
            .create_charger(NewCharger {
                id: ChargerId::parse(id).unwrap(),
                registration: Registration::Registered,
                password_hash,
            })
            .await
            .expect("creating the charger");
    }

    /// `GET path` on the HTTP API without a token: (status, body).
    pub(crate) async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.request("GET", path, None, None).await
    }

    /// A request to the HTTP API carrying the operator token.
    pub(crate) async fn operator(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        self.request(method, path, Some(OPERATOR_TOKEN), body).await
    }

    /// A request to the HTTP API: (status, JSON body or null).
    pub(crate) async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        simulators::http::request(self.http_addr, method, path, token, body).await.expect("an HTTP exchange")
    }

    /// The test's database: a PostgreSQL database's name, or the SQLite file's folder.
    pub(crate) fn database_name(&self) -> String {
        self.database.as_ref().map(TestDatabase::name).unwrap_or_default()
    }

    /// Stops the server, waits for it to drain, and removes its database (when `database` is
    /// dropped).
    pub(crate) async fn stop(self) {
        self.stop.cancel();
        self.server.await.expect("the server stopped cleanly");
    }

    /// Stops this node only: its database (if it made it) is handed back, kept for the others.
    pub(crate) async fn stop_node(self) -> Option<TestDatabase> {
        self.stop.cancel();
        self.server.await.expect("the server stopped cleanly");
        self.database
    }
}

/// Keeps the texts sent by SMS, as the phones would receive them.
#[derive(Debug, Default)]
pub(crate) struct Outbox(std::sync::Mutex<Vec<(String, String)>>);

impl SmsSender for Outbox {
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
        if let Ok(mut sent) = self.0.lock() {
            sent.push((phone.to_string(), text.to_owned()));
        }
        Box::pin(async { Ok(()) })
    }
}

impl Outbox {
    /// The last text sent to `phone`.
    pub(crate) fn last_to(&self, phone: &str) -> Option<String> {
        let sent = self.0.lock().ok()?;
        sent.iter().rev().find(|(to, _)| to == phone).map(|(_, text)| text.clone())
    }
}
