//! Charging orders: a driver takes a free connector of an online pile (held for
//! `orders.lock_minutes`), pays first or after, starts and stops it remotely, and is billed from
//! the session's stored samples with the tariff copied onto the order when it was made; a
//! session started with the driver's card becomes their postpaid order too.
//!
//! The charger's starts, stops and statuses reach orders as events (`follow`); a sweep looks
//! after timeouts, money running out and anything an event missed (`sweep`).

mod actions;
pub mod billing;
mod by_number;
pub mod commands;
mod complete;
mod create;
mod credit;
mod follow;
pub mod limit;
pub mod number;
pub mod order;
mod port;
mod rebill;
pub mod records;
pub mod settle;
pub mod status;
mod sweep;
#[cfg(test)]
pub(crate) mod test_order;
pub mod view;

pub use commands::{ChargerCommands, CommandError, PileCapabilities, RemoteStart, RemoteStop};
pub use complete::ReviewDecision;
pub use port::OrderStore;
pub use status::{OrderStatus, PayMode, PaymentStatus};
pub use view::{LiveReading, OrderView};

use crate::config::OrderSettings;
use crate::domain::charging::Charging;
use crate::domain::events::{DomainEvents, UserEvent};
use crate::domain::ids::ChargerId;
use crate::domain::ids::OrderNo;
use crate::domain::ledger::MoneyError;
use crate::domain::ledger::money::Fen;
use crate::domain::membership::Membership;
use crate::domain::monitoring::Alarms;
use crate::domain::orders::order::Order;
use crate::domain::payments::records::Methods;
use crate::domain::reservations::Reservations;
use crate::domain::stations::{StationError, Stations};
use crate::domain::storage::StoreError;
use crate::kv::{Kv, KvError};
use dashmap::DashMap;
use records::OrderFilter;
use records::Transition;
use std::sync::Arc;
use std::time::Instant;

/// Who asks: a driver sees only their own orders (another's is not found), an operator all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    User(i64),
    Operator,
}

/// A request for a new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder {
    pub pile_code: ChargerId,
    pub connector_id: i32,
    pub pay_mode: String,
    pub prepay_amount: Option<String>,
    pub method: Option<String>,
    /// Where a settlement gives back what a prepaid amount did not use: `original` (the
    /// default) or `balance`.
    pub refund_to: Option<String>,
    /// The driver's target (see [`limit::ChargeLimit::parse`]).
    pub limit: Option<LimitRequest>,
}

/// A target as the driver gave it: its kind and its value (a JSON number or a decimal string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitRequest {
    pub kind: String,
    pub value: serde_json::Value,
}

/// Why an order request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("order {0} not found")]
    NotFound(String),
    #[error("pile {0} not found")]
    NoPile(String),
    #[error("pile {0} has no connector {1}")]
    NoConnector(String, i32),
    #[error("pile {0} is offline")]
    PileOffline(String),
    #[error("connector {1} of pile {0} is not free")]
    PileBusy(String, i32),
    #[error("connector {1} of pile {0} is reserved by another driver")]
    Reserved(String, i32),
    #[error("you have an order in progress already: {0}")]
    OrderInProgress(String),
    #[error("order {0} is not paid yet: pay it before charging again")]
    UnpaidOrders(String),
    #[error("pile {0} has no tariff in force: it cannot take orders")]
    NoTariff(String),
    #[error("pile {0} does not report the state of charge: a soc target would never be reached")]
    SocUnavailable(String),
    #[error("the order is {0}: {1}")]
    WrongState(OrderStatus, &'static str),
    #[error("the charger refused to start")]
    StartRejected,
    #[error("the charger refused to stop")]
    StopRejected,
    #[error("the charger did not answer: {0}")]
    ChargerSilent(String),
    /// The pile is held by another csms node, which cannot be reached now.
    #[error("the node holding the pile cannot be reached; try again shortly")]
    ClusterUnavailable,
    #[error("the pile lock: {0}")]
    Lock(#[from] KvError),
    #[error(transparent)]
    Stations(StationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored order {0}: {1}")]
    Corrupt(String, String),
    #[error("order {0}: its money kept changing while it was settled; try again")]
    Busy(String),
}

impl From<StationError> for OrderError {
    fn from(e: StationError) -> Self {
        match e {
            StationError::Store(store) => OrderError::Store(store),
            other => OrderError::Stations(other),
        }
    }
}

/// The orders service.
#[derive(Debug, Clone)]
pub struct Orders {
    inner: Arc<Inner>,
}

/// The services orders work with.
#[derive(Debug, Clone)]
pub struct OrderServices {
    pub stations: Stations,
    pub charging: Charging,
    pub commands: Arc<dyn ChargerCommands>,
    pub events: DomainEvents,
    /// Where a session sent to review raises `meter_anomaly`.
    pub alarms: Alarms,
    /// The methods an order may be paid by (the registry's: `providers::METHODS`).
    pub methods: Methods,
    /// The connectors drivers hold: another's order is refused there, the reserver's takes it.
    pub reservations: Reservations,
    /// Drivers' price groups and member discounts.
    pub membership: Membership,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn OrderStore>,
    kv: Kv,
    stations: Stations,
    charging: Charging,
    commands: Arc<dyn ChargerCommands>,
    settings: OrderSettings,
    events: DomainEvents,
    alarms: Alarms,
    methods: Methods,
    reservations: Reservations,
    membership: Membership,
    /// When each order's charger was last sent its running cost, and the amount (fen).
    costs_sent: DashMap<OrderNo, (Instant, Fen)>,
    /// Orders csms asked the charger to stop because their money ran out, and when.
    stops_sent: DashMap<OrderNo, Instant>,
}

impl Orders {
    pub fn new(store: impl OrderStore + 'static, kv: Kv, settings: OrderSettings, services: OrderServices) -> Self {
        let store: Arc<dyn OrderStore> = Arc::new(store);
        let OrderServices { stations, charging, commands, events, alarms, methods, reservations, membership } =
            services;
        let inner = Inner {
            store,
            kv,
            stations,
            charging,
            commands,
            settings,
            events,
            alarms,
            methods,
            reservations,
            membership,
            costs_sent: DashMap::new(),
            stops_sent: DashMap::new(),
        };
        Orders { inner: Arc::new(inner) }
    }

    /// The order `order_no` as `scope` may see it (another driver's is not found), with its live
    /// reading while it charges.
    pub async fn get(&self, scope: Scope, order_no: &OrderNo) -> Result<OrderView, OrderError> {
        let found = self.visible(scope, order_no).await?;
        let live = self.live_reading(&found).await;
        Ok(OrderView::new(found, live))
    }

    /// A page of orders, newest first: a driver's own, or for an operator all (filtered).
    pub async fn list(
        &self,
        scope: Scope,
        mut filter: OrderFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<OrderView>, u64), OrderError> {
        if let Scope::User(id) = scope {
            filter.user_id = Some(id);
        }
        let (rows, total) = self.inner.store.orders(filter, offset, limit).await?;
        Ok((rows.into_iter().map(|o| OrderView::new(o, None)).collect(), total))
    }

    /// The order, if `scope` may see it.
    async fn visible(&self, scope: Scope, order_no: &OrderNo) -> Result<Order, OrderError> {
        let found = self.inner.store.order(order_no).await?;
        match (found, scope) {
            (Some(o), Scope::Operator) => Ok(o),
            (Some(o), Scope::User(id)) if o.user_id == id => Ok(o),
            _ => Err(OrderError::NotFound(order_no.to_string())),
        }
    }

    fn publish(&self, name: &'static str, order: &Order) {
        let data = serde_json::to_value(OrderView::new(order.clone(), None)).unwrap_or_default();
        self.inner.events.publish(UserEvent { user_id: order.user_id, name, data });
    }

    /// Applies `change` to order `order_no` while it is in one of `change.from` (see
    /// `OrderStore::transition`), telling the store whether the statistics may change with it.
    async fn transition(&self, order_no: &OrderNo, mut change: Transition) -> Result<Option<Order>, StoreError> {
        change.counted = change.counts();
        self.inner.store.transition(order_no, change).await
    }

    /// Gives the pile's hold back (only this order's).
    async fn release(&self, order: &Order) {
        let key = lock_key(&order.charger_id, order.evse_id, order.connector_id);
        if let Err(e) = self.inner.kv.delete_if(&key, &order.order_no).await {
            tracing::warn!(order = %order.order_no, error = %e, "releasing the pile lock failed: it expires by itself");
        }
        self.inner.costs_sent.remove(&order.order_no);
        self.inner.stops_sent.remove(&order.order_no);
    }
}

/// The pile lock's key (a reservation holds the connector by the same).
fn lock_key(charger_id: &str, evse_id: i32, connector_id: i32) -> String {
    crate::domain::reservations::connector_lock_key(charger_id, evse_id, connector_id)
}
