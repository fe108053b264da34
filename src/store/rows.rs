//! Rows into the domain's records: the one place where a table's row becomes what the domain
//! reads (stored text parsed into its types).

use crate::domain::chargers::records::{Charger, Connector, Registration, ReportedStatus};
use crate::domain::charging::TransactionStatus;
use crate::domain::charging::records::{MeterSample, Transaction};
use crate::domain::monitoring::AlarmView;
use crate::domain::orders::order::Order;
use crate::domain::payments::records::ProviderCall;
use crate::domain::payments::stored::{Payment, PaymentState, Refund, RefundState};
use crate::domain::stations::Station;
use crate::domain::storage::StoreError;
use crate::domain::users::records::{Card, User};
use chrono_tz::Tz;
use entity::{
    alarm, charger, connector, id_tag, meter_sample, order, payment, provider_call, refund, station, transaction, user,
};

impl From<charger::Model> for Charger {
    fn from(row: charger::Model) -> Self {
        Charger {
            id: row.id,
            registration: Registration::parse(&row.registration),
            password_hash: row.password_hash,
            ocpp_version: row.ocpp_version,
            vendor: row.vendor,
            model: row.model,
            serial_number: row.serial_number,
            charge_box_serial_number: row.charge_box_serial_number,
            firmware_version: row.firmware_version,
            iccid: row.iccid,
            imsi: row.imsi,
            meter_type: row.meter_type,
            meter_serial_number: row.meter_serial_number,
            boot_reason: row.boot_reason,
            last_boot_at: row.last_boot_at,
            last_seen_at: row.last_seen_at,
            station_code: row.station_code,
            name: row.name,
            pile_type: row.pile_type,
            connector_type: row.connector_type,
            max_power_w: row.max_power_w,
            rated_voltage_v: row.rated_voltage_v,
            rated_current_a: row.rated_current_a,
            online_session: row.online_session,
            online_node: row.online_node,
            online_epoch: row.online_epoch,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl TryFrom<connector::Model> for Connector {
    type Error = StoreError;

    /// A status neither OCPP version has is a corrupt row.
    fn try_from(row: connector::Model) -> Result<Self, StoreError> {
        let status = ReportedStatus::parse(&row.status).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "connector {}/{}/{}: status {:?}",
                row.charger_id, row.evse_id, row.connector_id, row.status
            ))
        })?;
        Ok(Connector {
            charger_id: row.charger_id,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            status,
            error_code: row.error_code,
            info: row.info,
            vendor_id: row.vendor_id,
            vendor_error_code: row.vendor_error_code,
            status_at: row.status_at,
            updated_at: row.updated_at,
        })
    }
}

impl From<user::Model> for User {
    fn from(row: user::Model) -> Self {
        User {
            id: row.id,
            phone: row.phone,
            nickname: row.nickname,
            avatar: row.avatar,
            role: row.role,
            status: row.status,
            id_tag: row.id_tag,
            real_name: row.real_name,
            id_card_masked: row.id_card_masked,
            id_card_hash: row.id_card_hash,
            verified_at: row.verified_at,
            balance_fen: row.balance_fen,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl From<id_tag::Model> for Card {
    fn from(row: id_tag::Model) -> Self {
        Card {
            id_tag: row.id_tag,
            status: row.status,
            expiry_date: row.expiry_date,
            parent_id_tag: row.parent_id_tag,
            created_at: row.created_at,
        }
    }
}

/// The station of a stored row; a zone that no longer parses is a corrupt row.
pub(crate) fn station_of(row: station::Model) -> Result<Station, StoreError> {
    let timezone = row
        .timezone
        .parse::<Tz>()
        .map_err(|_| StoreError::Corrupt(format!("station {}: time zone {:?} is unknown", row.code, row.timezone)))?;
    Ok(Station {
        code: row.code,
        name: row.name,
        province: row.province,
        city: row.city,
        district: row.district,
        address: row.address,
        lng: row.lng,
        lat: row.lat,
        operator: row.operator,
        status: row.status,
        timezone,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The row that stores a station.
pub(crate) fn station_row(station: &Station) -> station::Model {
    station::Model {
        code: station.code.clone(),
        name: station.name.clone(),
        province: station.province.clone(),
        city: station.city.clone(),
        district: station.district.clone(),
        address: station.address.clone(),
        lng: station.lng,
        lat: station.lat,
        operator: station.operator.clone(),
        status: station.status.clone(),
        timezone: station.timezone.name().to_owned(),
        created_at: station.created_at,
        updated_at: station.updated_at,
    }
}

impl From<alarm::Model> for AlarmView {
    fn from(a: alarm::Model) -> Self {
        AlarmView {
            id: a.id,
            charger_id: a.charger_id,
            kind: a.kind,
            level: a.level,
            status: a.status,
            message: a.message,
            value: a.value,
            raised_at: a.raised_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            cleared_at: a.cleared_at,
        }
    }
}

impl From<provider_call::Model> for ProviderCall {
    fn from(row: provider_call::Model) -> Self {
        ProviderCall {
            id: row.id,
            provider: row.provider,
            operation: row.operation,
            payment_no: row.payment_no,
            refund_no: row.refund_no,
            request: row.request,
            status: row.status,
            response: row.response,
            outcome: row.outcome,
            detail: row.detail,
            elapsed_ms: row.elapsed_ms,
            created_at: row.created_at,
        }
    }
}

impl From<order::Model> for Order {
    fn from(row: order::Model) -> Self {
        Order {
            id: row.id,
            order_no: row.order_no,
            user_id: row.user_id,
            charger_id: row.charger_id,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            id_tag: row.id_tag,
            status: row.status,
            pay_mode: row.pay_mode,
            payment_status: row.payment_status,
            method: row.method,
            prepay_fen: row.prepay_fen,
            paid_fen: row.paid_fen,
            refunded_fen: row.refunded_fen,
            gift_fen: row.gift_fen,
            refund_to: row.refund_to,
            tariff: row.tariff,
            timezone: row.timezone,
            remote_start_id: row.remote_start_id,
            transaction_id: row.transaction_id,
            energy_wh: row.energy_wh,
            energy_fee_fen: row.energy_fee_fen,
            service_fee_fen: row.service_fee_fen,
            occupancy_fee_fen: row.occupancy_fee_fen,
            total_fen: row.total_fen,
            lines: row.lines,
            start_soc: row.start_soc,
            end_soc: row.end_soc,
            stop_reason: row.stop_reason,
            failure_reason: row.failure_reason,
            anomalies: row.anomalies,
            review_reason: row.review_reason,
            revisions: row.revisions,
            active_user_id: row.active_user_id,
            active_connector: row.active_connector,
            lock_expires_at: row.lock_expires_at,
            started_at: row.started_at,
            charging_ended_at: row.charging_ended_at,
            stopped_at: row.stopped_at,
            completed_at: row.completed_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl TryFrom<transaction::Model> for Transaction {
    type Error = StoreError;

    /// A status the domain does not know is a corrupt row.
    fn try_from(row: transaction::Model) -> Result<Self, StoreError> {
        let status = TransactionStatus::parse(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("transaction {}: status {:?}", row.id, row.status)))?;
        Ok(Transaction {
            id: row.id,
            charger_id: row.charger_id,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            charger_transaction_id: row.charger_transaction_id,
            id_tag: row.id_tag,
            started_at: row.started_at,
            meter_start_wh: row.meter_start_wh,
            stopped_at: row.stopped_at,
            meter_stop_wh: row.meter_stop_wh,
            energy_wh: row.energy_wh,
            stop_reason: row.stop_reason,
            status,
            last_seq_no: row.last_seq_no,
            offline: row.offline,
            updated_at: row.updated_at,
        })
    }
}

impl From<meter_sample::Model> for MeterSample {
    fn from(row: meter_sample::Model) -> Self {
        MeterSample {
            id: row.id,
            transaction_id: row.transaction_id,
            charger_id: row.charger_id,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            sampled_at: row.sampled_at,
            measurand: row.measurand,
            phase: row.phase,
            context: row.context,
            location: row.location,
            unit: row.unit,
            value: row.value,
        }
    }
}

impl TryFrom<payment::Model> for Payment {
    type Error = StoreError;

    /// A state the domain does not know is a corrupt row.
    fn try_from(row: payment::Model) -> Result<Self, StoreError> {
        let status = PaymentState::parse(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("payment {}: status {:?}", row.payment_no, row.status)))?;
        Ok(Payment {
            id: row.id,
            payment_no: row.payment_no,
            user_id: row.user_id,
            order_no: row.order_no,
            purpose: row.purpose,
            method: row.method,
            amount_fen: row.amount_fen,
            refunded_fen: row.refunded_fen,
            status,
            provider_txn_id: row.provider_txn_id,
            pay_url: row.pay_url,
            paid_at: row.paid_at,
            expires_at: row.expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<refund::Model> for Refund {
    type Error = StoreError;

    /// A state the domain does not know is a corrupt row.
    fn try_from(row: refund::Model) -> Result<Self, StoreError> {
        let status = RefundState::parse(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("refund {}: status {:?}", row.refund_no, row.status)))?;
        Ok(Refund {
            id: row.id,
            refund_no: row.refund_no,
            payment_no: row.payment_no,
            amount_fen: row.amount_fen,
            destination: row.destination,
            status,
            reason: row.reason,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            provider_status: row.provider_status,
            queries: row.queries,
            created_at: row.created_at,
            updated_at: row.updated_at,
            actor: row.actor,
            after_settlement: row.after_settlement,
        })
    }
}

/// Rows into records.
pub(crate) fn all<R, T: From<R>>(rows: Vec<R>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}

/// Stored rows as the domain's records, whatever holds them (one, maybe one, several, by key).
pub(crate) trait Record<T> {
    fn record(self) -> T;
}

impl<M, T: From<M>> Record<Option<T>> for Option<M> {
    fn record(self) -> Option<T> {
        self.map(T::from)
    }
}

impl<M, T: From<M>> Record<Vec<T>> for Vec<M> {
    fn record(self) -> Vec<T> {
        self.into_iter().map(T::from).collect()
    }
}

impl<K: std::hash::Hash + Eq, M, T: From<M>> Record<std::collections::HashMap<K, T>>
    for std::collections::HashMap<K, M>
{
    fn record(self) -> std::collections::HashMap<K, T> {
        self.into_iter().map(|(k, m)| (k, T::from(m))).collect()
    }
}

/// Stored rows as the domain's records, for records whose stored text may not parse (a status
/// the domain does not know): the first such row is `StoreError::Corrupt`.
pub(crate) trait Parse<T> {
    fn parsed(self) -> Result<T, StoreError>;
}

impl<M, T: TryFrom<M, Error = StoreError>> Parse<Option<T>> for Option<M> {
    fn parsed(self) -> Result<Option<T>, StoreError> {
        self.map(T::try_from).transpose()
    }
}

impl<M, T: TryFrom<M, Error = StoreError>> Parse<Vec<T>> for Vec<M> {
    fn parsed(self) -> Result<Vec<T>, StoreError> {
        self.into_iter().map(T::try_from).collect()
    }
}

impl<K: std::hash::Hash + Eq, M, T: TryFrom<M, Error = StoreError>> Parse<std::collections::HashMap<K, T>>
    for std::collections::HashMap<K, M>
{
    fn parsed(self) -> Result<std::collections::HashMap<K, T>, StoreError> {
        self.into_iter().map(|(k, m)| Ok((k, T::try_from(m)?))).collect()
    }
}
