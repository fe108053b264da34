//! An order for the area's unit tests.

use crate::domain::ids::{ChargerId, IdTag, OrderNo};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::order::Order;
use crate::domain::orders::status::{OrderStatus, PayMode, PaymentStatus};
use crate::domain::payments::records::Destination;
use crate::domain::units::Wh;
use chrono::{DateTime, TimeZone, Utc};

/// 1 December 2026 at `hour:minute` UTC.
pub(crate) fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, hour, minute, 0).single().expect("a valid time")
}

/// A completed postpaid order, unpaid: made at 08:55, charging 09:00–10:00 on connector 1 of PILE.
pub(crate) fn order() -> Order {
    Order {
        id: 1,
        order_no: OrderNo::parse("O1").expect("an order number"),
        user_id: 1,
        charger_id: ChargerId::parse("PILE").expect("a charger id"),
        evse_id: 1,
        connector_id: 1,
        id_tag: IdTag::parse("TAG").expect("an id tag"),
        status: OrderStatus::Completed,
        pay_mode: PayMode::Postpaid,
        payment_status: PaymentStatus::Unpaid,
        method: None,
        prepay_fen: None,
        paid_fen: Fen::ZERO,
        refunded_fen: Fen::ZERO,
        gift_fen: Fen::ZERO,
        refund_to: Destination::Original,
        tariff: "{}".into(),
        timezone: "Asia/Shanghai".into(),
        remote_start_id: None,
        transaction_id: Some(7),
        energy_wh: Some(Wh(10_000)),
        energy_fee_fen: None,
        service_fee_fen: None,
        occupancy_fee_fen: None,
        total_fen: None,
        lines: None,
        start_soc: None,
        end_soc: None,
        stop_reason: None,
        failure_reason: None,
        anomalies: None,
        review_reason: None,
        revisions: None,
        limit: None,
        limit_reached_at: None,
        session_max_power_w: None,
        session_max_time_s: None,
        price_group: None,
        discount: None,
        active_user_id: None,
        active_connector: None,
        lock_expires_at: at(9, 0),
        started_at: Some(at(9, 0)),
        charging_ended_at: None,
        stopped_at: Some(at(10, 0)),
        completed_at: Some(at(10, 0)),
        created_at: at(8, 55),
        updated_at: at(10, 0),
    }
}
