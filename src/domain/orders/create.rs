//! Making an order: the driver's request checked (pay mode, method, amount, refund destination,
//! target), the pile online with the connector free or waiting, the tariff in force and the
//! station's session limits copied onto it, and the pile held for `orders.lock_minutes`.

use super::limit::{ChargeLimit, LimitKind};
use super::number;
use super::records::NewOrder;
use super::{CommandError, CreateOrder, OrderError, OrderStatus, OrderView, Orders, PayMode, lock_key};
use crate::domain::ledger::parse_positive;
use crate::domain::payments::records::{Destination, Method};
use crate::domain::storage::{StoreError, Subject};
use crate::domain::users::Identity;
use chrono::Utc;

impl Orders {
    /// Makes an order on a free connector of an online pile, with the tariff in force copied
    /// onto it, holding the pile for `orders.lock_minutes`.
    pub async fn create(&self, user: &Identity, request: CreateOrder) -> Result<OrderView, OrderError> {
        let inner = &self.inner;
        let mode = PayMode::parse(&request.pay_mode).ok_or_else(|| OrderError::Invalid {
            field: "payMode",
            message: format!("{:?} is not prepaid or postpaid", request.pay_mode),
        })?;
        let method = match request.method.as_deref() {
            None => Method::Balance,
            Some(text) => inner.methods.parse(text).ok_or_else(|| OrderError::Invalid {
                field: "method",
                message: format!("{text:?} is not {}", inner.methods.listed(true)),
            })?,
        };
        if mode == PayMode::Postpaid && method != Method::Balance {
            return Err(OrderError::Invalid {
                field: "method",
                message: "a postpaid order is paid from the balance".into(),
            });
        }
        let prepay_fen = match (mode, request.prepay_amount.as_deref()) {
            (PayMode::Prepaid, Some(text)) => Some(parse_positive(text, "prepayAmount")?),
            (PayMode::Prepaid, None) => {
                return Err(OrderError::Invalid {
                    field: "prepayAmount",
                    message: "a prepaid order needs its amount".into(),
                });
            }
            (PayMode::Postpaid, Some(_)) => {
                return Err(OrderError::Invalid {
                    field: "prepayAmount",
                    message: "only a prepaid order has one".into(),
                });
            }
            (PayMode::Postpaid, None) => None,
        };
        let refund_to = match request.refund_to.as_deref() {
            None => Destination::Original,
            Some(text) => Destination::parse(text).ok_or_else(|| OrderError::Invalid {
                field: "refundTo",
                message: format!("{text:?} is not original or balance"),
            })?,
        };
        let limit = match &request.limit {
            None => None,
            Some(given) => Some(
                ChargeLimit::parse(&given.kind, &given.value)
                    .map_err(|message| OrderError::Invalid { field: "limit", message })?,
            ),
        };
        let pile_code = &request.pile_code;
        let code = pile_code.to_string();
        let (pile, station) = inner.stations.pile(pile_code).await?.ok_or_else(|| OrderError::NoPile(code.clone()))?;
        if !pile.online {
            return Err(OrderError::PileOffline(code));
        }
        if limit.is_some_and(|l| l.kind == LimitKind::Soc) {
            // Asked of the pile (an OCPP pile's sampled measurands; an MQTT pile's statuses
            // always carry it): a target no reading will ever reach would never stop.
            let capabilities = inner.commands.capabilities(pile_code.clone()).await.map_err(|e| match e {
                CommandError::Offline => OrderError::PileOffline(code.clone()),
                CommandError::ClusterUnavailable => OrderError::ClusterUnavailable,
                CommandError::NoAnswer(why) => OrderError::ChargerSilent(why),
            })?;
            if !capabilities.reports_soc {
                return Err(OrderError::SocUnavailable(code));
            }
        }
        let connector = pile
            .connector(request.connector_id)
            .ok_or_else(|| OrderError::NoConnector(code.clone(), request.connector_id))?;
        // Held by a reservation: only its driver's order takes it.
        let reservation = match connector.status.as_str() {
            "Reserved" => inner.reservations.on_connector(pile_code, connector.evse_id, connector.connector_id).await?,
            _ => None,
        };
        if reservation.as_ref().is_some_and(|held| held.user_id != user.id) {
            return Err(OrderError::Reserved(code, request.connector_id));
        }
        // Free, or plugged in and waiting (the driver plugged in, then scanned the pile's code),
        // or reserved for this driver.
        let waiting = match connector.status.as_str() {
            "Available" | "Preparing" => true,
            "Reserved" => reservation.is_some(),
            "Occupied" => !inner.store.charging_on(pile_code, connector.evse_id, connector.connector_id).await?,
            _ => false,
        };
        if !waiting {
            return Err(OrderError::PileBusy(code, request.connector_id));
        }
        // What stands in the way of the user's order (a live one, an unpaid bill) is told before
        // what follows; read only when something did not let the order be made.
        let now = Utc::now();
        // The driver's group's tariff where it has one, less their level's discount.
        let (group, discount) = inner.membership.pricing(user.id).await?;
        let in_force = match &station {
            Some(station) => inner.stations.tariff_for(station, group.as_deref(), now).await.map_err(OrderError::from),
            None => Ok(None),
        };
        let (tariff, zone, price_group) = match in_force {
            Ok(Some(in_force)) => in_force,
            Ok(None) => return Err(self.in_the_way(user.id, OrderError::NoTariff(code)).await),
            Err(e) => return Err(self.in_the_way(user.id, e).await),
        };
        let order_no = number::new_order_no(now);
        let (evse_id, connector_id) = (connector.evse_id, connector.connector_id);
        let lock = lock_key(&code, evse_id, connector_id);
        if let Some(own) = &reservation {
            inner.reservations.give_way(own).await;
        }
        match inner.kv.set_new(&lock, &order_no, inner.settings.lock()).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(self.in_the_way(user.id, OrderError::PileBusy(code, request.connector_id)).await);
            }
            Err(e) => return Err(self.in_the_way(user.id, e.into()).await),
        }
        let new = NewOrder {
            order_no: order_no.clone(),
            user_id: user.id,
            charger_id: pile_code.clone(),
            evse_id,
            connector_id,
            id_tag: user.id_tag.clone(),
            status: match mode {
                PayMode::Prepaid => OrderStatus::PendingPayment,
                PayMode::Postpaid => OrderStatus::Ready,
            },
            pay_mode: mode,
            method: Some(method.as_str().to_owned()),
            prepay_fen,
            refund_to,
            tariff: serde_json::to_string(&tariff)
                .map_err(|e| OrderError::Corrupt(order_no.to_string(), e.to_string()))?,
            timezone: zone.name().to_owned(),
            hold: true,
            lock_expires_at: now + chrono::Duration::from_std(inner.settings.lock()).unwrap_or(chrono::Duration::MAX),
            transaction_id: None,
            started_at: None,
            limit,
            session_max_power_w: station.as_ref().and_then(|s| s.session.max_power_w),
            session_max_time_s: station.as_ref().and_then(|s| s.session.max_time_s),
            price_group,
            discount: discount.as_ref().and_then(|d| serde_json::to_string(d).ok()),
            at: now,
        };
        let refused = match inner.store.create_order_unless_unpaid(new).await {
            Ok(Some(created)) => {
                if let Some(own) = &reservation {
                    inner.reservations.taken_by(own, &created.order_no).await;
                }
                return Ok(OrderView::new(created, None));
            }
            // An unpaid bill, which `in_the_way` names (unless it was paid meanwhile).
            Ok(None) => OrderError::UnpaidOrders(String::new()),
            Err(StoreError::Conflict(Subject::LiveOrder)) => OrderError::OrderInProgress(String::new()),
            Err(StoreError::Conflict(_)) => OrderError::PileBusy(code, request.connector_id),
            Err(other) => other.into(),
        };
        let _ = inner.kv.delete_if(&lock, &order_no).await;
        Err(self.in_the_way(user.id, refused).await)
    }

    /// What stands in the way of a new order of user `user_id`: their live order, else their
    /// oldest unpaid bill; `otherwise` when neither (the read's error when it failed).
    async fn in_the_way(&self, user_id: i64, otherwise: OrderError) -> OrderError {
        match self.inner.store.order_in_the_way(user_id).await {
            Ok(Some((live, true))) => OrderError::OrderInProgress(live),
            Ok(Some((unpaid, false))) => OrderError::UnpaidOrders(unpaid),
            Ok(None) => otherwise,
            Err(e) => e.into(),
        }
    }
}
