//! Building the application: raise the open-files limit and cap chargers to what it allows,
//! connect and migrate the database, bind both listeners (port 0 works; the bound addresses are
//! reported; each bounded to its share of open files), and run until told to stop, then drain.

mod drain;
mod payments;
mod piles;
mod users;

use crate::api::{self, ApiState};
use crate::cluster::{Cluster, Parts};
use crate::config::{ProviderMode, RealNameVerifierKind, Settings, SmsSenderKind};
use crate::data_transfer::DataTransferHandlers;
use crate::domain::audit::Audit;
use crate::domain::chargers::Chargers;
use crate::domain::charging::Charging;
use crate::domain::charging::events::{ChargingEvent, EventSink};
use crate::domain::events::DomainEvents;
use crate::domain::ledger::Ledger;
use crate::domain::membership::Membership;
use crate::domain::monitoring::Monitoring;
use crate::domain::orders::{OrderServices, Orders};
use crate::domain::stations::Stations;
use crate::domain::stats::Stats;
use crate::domain::users::{
    ConsoleSender, HttpRealNameVerifier, HttpSmsSender, LocalCheck, RealNameVerifier, SmsSender,
};
use crate::http_client::{self, SetupError};
use crate::hub::credentials::VerifiedCredentials;
use crate::hub::limits::{self, Bounded};
use crate::hub::{self, Hub, HubServices, MessageLog, Writer};
use crate::kv::{Kv, KvError};
use crate::providers::keys::ProviderSetupError;
use crate::providers::{self, Providers};
use crate::store::{BatchWriter, Store, StoreError, Writes};
use drain::drain;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use users::users;

/// Why the application could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Kv(#[from] KvError),
    #[error("auth.jwt_secret cannot sign tokens")]
    Secret,
    /// The SMS gateway's or the real-name provider's settings.
    #[error(transparent)]
    Outbound(#[from] SetupError),
    /// A payment provider's settings: a live one missing an identifier or a key, or a key
    /// that cannot be read.
    #[error("payments: {0}")]
    Payments(#[from] ProviderSetupError),
    #[error("mqtt: {0}")]
    Mqtt(crate::mqtt::ConnectError),
}

/// A built application, listening, not yet serving.
#[derive(Debug)]
pub struct Application {
    ocpp: Bounded,
    http: Bounded,
    /// The payment providers' stand-ins, served beside the API (`/sandbox/…`).
    sandboxes: axum::Router,
    ocpp_addr: SocketAddr,
    http_addr: SocketAddr,
    hub: Hub,
    store: Store,
    /// The domain services the HTTP API calls.
    api: ApiState,
    /// Charging events, until the orders follow them.
    charging_events: Option<tokio::sync::mpsc::Receiver<ChargingEvent>>,
    /// This node among the others.
    cluster: Cluster,
    /// What messages from the other nodes reach, until the cluster serves them.
    cluster_parts: Option<Parts>,
    liveness_flush: std::time::Duration,
    /// How often the money audit runs; none: never in the server.
    audit_every: Option<std::time::Duration>,
    message_writer: Option<Writer>,
    batch_writer: BatchWriter,
    shutdown: CancellationToken,
    /// Cancelled to drain: take no new chargers, send the connected ones away over
    /// `cluster.drain_seconds`, then stop.
    drain: CancellationToken,
    drain_over: Duration,
    sessions: TaskTracker,
}

impl Application {
    /// Connects to the database, applies migrations and binds both listeners.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with(settings, DataTransferHandlers::default()).await
    }

    /// The same, with vendor extensions answering chargers' DataTransfers.
    pub async fn build_with(settings: Settings, data_transfers: DataTransferHandlers) -> Result<Self, StartupError> {
        let sms: Arc<dyn SmsSender> = match settings.sms.sender {
            SmsSenderKind::Console => Arc::new(ConsoleSender),
            SmsSenderKind::Http => Arc::new(HttpSmsSender::new(&settings.sms)?),
        };
        Self::build_full(settings, data_transfers, sms).await
    }

    /// The same, sending sign-in codes through `sms` (whatever `sms.sender` says).
    pub async fn build_full(
        mut settings: Settings,
        data_transfers: DataTransferHandlers,
        sms: Arc<dyn SmsSender>,
    ) -> Result<Self, StartupError> {
        // Before any TLS: ring, which sqlx brings, is the one rustls provider.
        http_client::install_crypto_provider();
        // Before anything records: the process's one Prometheus recorder.
        crate::metrics::handle();
        crate::metrics::zero_payments(providers::METHODS.providers().iter().map(|name| name.as_str()));
        // Settings that are wrong stop us before the database is touched.
        let verifier: Arc<dyn RealNameVerifier> = match settings.real_name.verifier {
            RealNameVerifierKind::Local => Arc::new(LocalCheck),
            RealNameVerifierKind::Http => Arc::new(HttpRealNameVerifier::new(&settings.real_name)?),
        };
        let providers = Providers::load(&settings.payments)?;
        let modes: Vec<String> =
            providers::modes(&settings.payments).iter().map(|(name, mode)| format!("{name}={mode:?}")).collect();
        tracing::info!(modes = %modes.join(","), "payment providers");
        let simulated = providers.named(ProviderMode::Sandbox);
        if !simulated.is_empty() {
            // Said loudly: a sandbox's payments are csms's own make-believe, paid by anyone who
            // posts to their pay URL.
            tracing::warn!(
                providers = %simulated.join(","),
                "payments: sandbox mode, no real money moves through these providers (set payments.<provider>.mode = \"live\" with the merchant's keys)"
            );
        }
        // Before the pool and the listeners take descriptors: the hub gets the effective cap.
        let limits = limits::open_files(
            settings.database.max_connections,
            settings.http.max_connections,
            settings.ocpp.max_connections,
        );
        settings.ocpp.max_connections = limits.cap;
        let store = Store::connect(&settings.database).await?;
        store.migrate().await?;
        let cluster =
            Cluster::connect(&settings.cluster, &settings.redis.url, &settings.redis.key_prefix, store.clone())
                .await
                .map_err(KvError::from)?;
        let nodes = cluster.nodes().clone();
        let ocpp = bind(settings.ocpp.listen).await?;
        let http = bind(settings.http.listen).await?;
        let ocpp_addr =
            ocpp.local_addr().map_err(|source| StartupError::Bind { addr: settings.ocpp.listen, source })?;
        let http_addr =
            http.local_addr().map_err(|source| StartupError::Bind { addr: settings.http.listen, source })?;
        #[cfg(feature = "sandbox")]
        let sandboxes = providers
            .sandbox_router(&crate::providers::keys::public_base(&settings.payments.notify_base_url, http_addr))?;
        // Without the feature no provider is a sandbox (`Providers::load` refused it): no routes.
        #[cfg(not(feature = "sandbox"))]
        let sandboxes = axum::Router::new();
        let ocpp = Bounded::new(ocpp, limits.sockets, "chargers");
        let http = Bounded::new(http, limits.http, "HTTP API");
        let shutdown = CancellationToken::new();
        let sessions = TaskTracker::new();
        let (writes, batch_writer) = Writes::start(&store, &settings.database.url).await?;
        let (sink, charging_events) = EventSink::channel();
        let kv = if settings.redis.url.is_empty() {
            Kv::memory()
        } else {
            Kv::redis(&settings.redis.url, &settings.redis.key_prefix).await?
        };
        let webhook_client = http_client::client(Duration::from_secs(10))
            .map_err(|e| SetupError::Client { setting: "monitoring.webhook_url", reason: e.to_string() })?;
        let (monitoring, monitor) = Monitoring::start(
            store.clone(),
            kv.clone(),
            settings.monitoring.clone(),
            settings.orders.evidence_days,
            webhook_client,
            nodes.clone(),
            shutdown.clone(),
        );
        let charging =
            Charging::new(store.clone(), writes.clone()).with_events(sink.clone()).with_monitor(monitor.clone());
        let cluster_monitor = monitor.clone();
        let chargers = Chargers::new(store.clone(), writes, settings.chargers.clone())
            .with_events(sink)
            .with_monitor(monitor)
            .with_live(charging.live().clone());
        let (messages, message_writer) = MessageLog::start(settings.ocpp.message_log, store.clone());
        let (api_chargers, api_charging) = (chargers.clone(), charging.clone());
        let users = users(&settings, &store, kv.clone(), sms, verifier)?;
        let stations = Stations::new(store.clone(), &settings.chargers).with_nodes(nodes.clone());
        let credentials = VerifiedCredentials::shared(settings.auth.jwt_secret.as_bytes(), kv.clone());
        let services =
            HubServices { chargers, charging, messages, data_transfers, cluster: cluster.clone(), credentials };
        let hub = Hub::new(settings.ocpp.clone(), services, shutdown.clone(), sessions.clone());
        let events = DomainEvents::default().with_feed(monitoring.feed().clone());
        let parts = Parts {
            holder: hub.holder(),
            events: events.clone(),
            feed: monitoring.feed().clone(),
            monitor: cluster_monitor,
        };
        let (commands, publisher) = piles::pile_commands(&settings.mqtt, &hub, &api_chargers, &nodes, &shutdown)?;
        let membership = Membership::new(store.clone(), settings.membership.clone(), hub.node().to_owned());
        let reservations = piles::reservations(&store, &kv, &stations, &commands, &settings.reservations, &events);
        let order_services = OrderServices {
            stations: stations.clone(),
            charging: api_charging.clone(),
            commands,
            events: events.clone(),
            alarms: monitoring.alarms().clone(),
            methods: providers::METHODS,
            reservations: reservations.clone(),
            membership: membership.clone(),
        };
        let audit = Audit::new(store.clone(), kv.clone(), Some(monitoring.alarms().clone()));
        let orders = Orders::new(store.clone(), kv, settings.orders.clone(), order_services);
        // Tags are refused for drivers whose money is used up: the orders know.
        api_charging.set_credit_gate(Arc::new(orders.clone()));
        piles::consume(publisher, &settings, (&api_chargers, &api_charging, &orders, &cluster), &shutdown);
        let alarms = monitoring.alarms().clone();
        let (payments, payment_providers) =
            payments::payments(&settings, http_addr, &providers, &store, (&events, alarms))?;
        let api = ApiState {
            chargers: api_chargers,
            charging: api_charging,
            users,
            stations,
            orders,
            reservations,
            membership,
            payments,
            payment_providers,
            monitoring,
            audit,
            ledger: Ledger::new(store.clone()),
            stats: Stats::new(store.clone()),
            events,
            hub: hub.clone(),
            cluster: cluster.clone(),
            operator_token: settings.api.operator_token.as_str().into(),
            public_base: crate::providers::keys::public_base(&settings.http.public_base_url, http_addr).into(),
            shutdown: shutdown.clone(),
        };
        let liveness_flush = settings.ocpp.liveness_flush();
        let audit_every = settings.audit.every();
        Ok(Application {
            ocpp,
            http,
            sandboxes,
            ocpp_addr,
            http_addr,
            hub,
            store,
            api,
            charging_events: Some(charging_events),
            cluster,
            cluster_parts: Some(parts),
            liveness_flush,
            audit_every,
            message_writer,
            batch_writer,
            shutdown,
            drain: CancellationToken::new(),
            drain_over: settings.cluster.drain(),
            sessions,
        })
    }

    /// Where chargers connect (`ws://<addr>/ocpp/{id}`).
    pub fn ocpp_addr(&self) -> SocketAddr {
        self.ocpp_addr
    }

    /// Where the HTTP API listens.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The charger hub (tests look at its registry).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// This node among the others.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The orders (tests settle one from a read gone stale, as the sweep may).
    pub fn orders(&self) -> &Orders {
        &self.api.orders
    }

    /// A token that stops the application when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// A token that drains the application when cancelled (SIGTERM): no new chargers, the
    /// connected ones sent away over `cluster.drain_seconds`, its jobs left to the other nodes,
    /// `/ready` answering 503 `draining`; then it stops.
    pub fn drain_token(&self) -> CancellationToken {
        self.drain.clone()
    }

    /// Serves until the shutdown token is cancelled, then closes every charger session with a
    /// WebSocket Close, waits for them (and their in-flight writes) to finish, and closes the
    /// database pool.
    pub async fn run_until_stopped(mut self) -> Result<(), StartupError> {
        let stop = self.shutdown.clone();
        // Draining stops taking chargers at once; the HTTP API serves until the end.
        let (draining, stopping) = (self.drain.clone(), stop.clone());
        let ocpp = axum::serve(self.ocpp, hub::router(self.hub.clone())).with_graceful_shutdown(async move {
            tokio::select! {
                () = draining.cancelled() => {}
                () = stopping.cancelled() => {}
            }
        });
        let http = axum::serve(self.http, api::router(self.api.clone()).merge(self.sandboxes.clone()))
            .with_graceful_shutdown(stop.clone().cancelled_owned());
        if let Some(parts) = self.cluster_parts.take() {
            self.cluster.serve(parts, stop.clone()).await;
        }
        let nodes = self.cluster.nodes().clone();
        let drainer = tokio::spawn(drain(
            self.drain.clone(),
            stop.clone(),
            self.cluster.clone(),
            self.hub.clone(),
            self.drain_over,
        ));
        let following = self
            .charging_events
            .take()
            .map(|events| tokio::spawn(self.api.orders.clone().follow(events, nodes.clone(), stop.clone())));
        let payment_jobs = tokio::spawn(self.api.payments.clone().run_jobs(nodes.clone(), stop.clone()));
        let metrics_upkeep = tokio::spawn(crate::metrics::upkeep(stop.clone()));
        let counting = tokio::spawn(self.api.stats.clone().run_every(stop.clone()));
        let nightly = tokio::spawn(self.api.membership.clone().nightly(nodes.clone(), stop.clone()));
        let auditing = self
            .audit_every
            .map(|every| tokio::spawn(self.api.audit.clone().run_every(every, nodes.clone(), stop.clone())));
        tracing::info!(ocpp = %self.ocpp_addr, http = %self.http_addr, "listening");
        let liveness = self.sessions.spawn(self.hub.clone().flush_liveness(self.liveness_flush));
        let served = tokio::try_join!(ocpp.into_future(), http.into_future());
        // axum's graceful shutdown does not wait for upgraded connections: the sessions are
        // tracked here, and each closes its socket when the token is cancelled.
        stop.cancel();
        // Its jobs go to the other nodes at once.
        self.cluster.drain().await;
        self.sessions.close();
        self.sessions.wait().await;
        let _ = liveness.await;
        let _ = drainer.await;
        if let Some(following) = following {
            let _ = following.await;
        }
        let _ = payment_jobs.await;
        let _ = metrics_upkeep.await;
        let _ = counting.await;
        let _ = nightly.await;
        if let Some(auditing) = auditing {
            let _ = auditing.await;
        }
        // Sessions are gone (each waited for its writes): commit what is left.
        self.batch_writer.finish().await;
        // Nothing logs any more either; store what is queued.
        if let Some(writer) = self.message_writer {
            writer.stop.cancel();
            let _ = writer.task.await;
        }
        self.store.close().await?;
        served.map(|_| ()).map_err(StartupError::Serve)
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr, source })
}
