//! Orders' rows into the domain's records: their statuses, pay mode and refund destination parsed
//! once here (a text the domain does not know is a corrupt row).

use crate::domain::ids::{ChargerId, IdTag, OrderNo};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::limit::ChargeLimit;
use crate::domain::orders::order::Order;
use crate::domain::orders::status::{OrderStatus, PayMode, PaymentStatus};
use crate::domain::payments::records::Destination;
use crate::domain::storage::StoreError;
use crate::domain::units::Wh;
use entity::order;

impl TryFrom<order::Model> for Order {
    type Error = StoreError;

    /// A status, pay mode, payment status or refund destination the domain does not know is a
    /// corrupt row.
    fn try_from(row: order::Model) -> Result<Self, StoreError> {
        let corrupt = |what: &str, text: &str| StoreError::Corrupt(format!("order {}: {what} {text:?}", row.order_no));
        let status = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?;
        let pay_mode = PayMode::parse(&row.pay_mode).ok_or_else(|| corrupt("pay mode", &row.pay_mode))?;
        let payment_status =
            PaymentStatus::parse(&row.payment_status).ok_or_else(|| corrupt("payment status", &row.payment_status))?;
        let order_no = OrderNo::parse(row.order_no.as_str()).map_err(|e| corrupt("number", &e.to_string()))?;
        let charger_id = ChargerId::parse(row.charger_id.as_str()).map_err(|e| corrupt("charger", &e.to_string()))?;
        let id_tag = IdTag::parse(row.id_tag.as_str()).map_err(|e| corrupt("id tag", &e.to_string()))?;
        let refund_to =
            Destination::parse(&row.refund_to).ok_or_else(|| corrupt("refund destination", &row.refund_to))?;
        Ok(Order {
            id: row.id,
            order_no,
            user_id: row.user_id,
            charger_id,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            id_tag,
            status,
            pay_mode,
            payment_status,
            method: row.method,
            prepay_fen: row.prepay_fen.map(Fen),
            paid_fen: Fen(row.paid_fen),
            refunded_fen: Fen(row.refunded_fen),
            gift_fen: Fen(row.gift_fen),
            refund_to,
            tariff: row.tariff,
            timezone: row.timezone,
            remote_start_id: row.remote_start_id,
            transaction_id: row.transaction_id,
            energy_wh: row.energy_wh.map(Wh),
            energy_fee_fen: row.energy_fee_fen.map(Fen),
            service_fee_fen: row.service_fee_fen.map(Fen),
            occupancy_fee_fen: row.occupancy_fee_fen.map(Fen),
            total_fen: row.total_fen.map(Fen),
            lines: row.lines,
            start_soc: row.start_soc,
            end_soc: row.end_soc,
            stop_reason: row.stop_reason,
            failure_reason: row.failure_reason,
            anomalies: row.anomalies,
            review_reason: row.review_reason,
            revisions: row.revisions,
            limit: ChargeLimit::stored(row.limit_kind.as_deref(), row.limit_value),
            limit_reached_at: row.limit_reached_at,
            session_max_power_w: row.session_max_power_w,
            session_max_time_s: row.session_max_time_s,
            price_group: row.price_group,
            discount: row.discount,
            active_user_id: row.active_user_id,
            active_connector: row.active_connector,
            lock_expires_at: row.lock_expires_at,
            started_at: row.started_at,
            charging_ended_at: row.charging_ended_at,
            stopped_at: row.stopped_at,
            completed_at: row.completed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
