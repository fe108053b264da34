//! What an order owes now, and where paying it takes the order — from the balance or with a
//! provider's money: decided from the order as read; the store applies the payment only while the
//! order still reads so.

use super::records::FOR_ORDER;
use super::stored::Payment;
use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::order::Order;
use crate::domain::orders::records::{BillRead, MoneyRead};
use crate::domain::orders::status::{OrderStatus, PaymentStatus};

/// Paying an order now: the amount, the status it moves from and to, and the money and bill it
/// was decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentDue {
    pub owed_fen: Fen,
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub money: MoneyRead,
    pub bill: BillRead,
}

/// What `order` owes now: a prepaid order's amount before it starts (`PENDING_PAYMENT` →
/// `READY`), or what a completed order's unpaid bill still lacks (it stays `COMPLETED`; an
/// operator's refund after the bill was a gift, not owed again). None when it owes nothing.
pub fn payment_due(order: &Order) -> Option<PaymentDue> {
    if order.payment_status != PaymentStatus::Unpaid {
        return None;
    }
    let money = MoneyRead::of(order);
    let (owed_fen, to) = match order.status {
        OrderStatus::PendingPayment => (order.prepay_fen.unwrap_or(Fen::ZERO), OrderStatus::Ready),
        // An order's amounts, far inside `i64` (see `MoneyRead::kept_fen`).
        OrderStatus::Completed => {
            (order.total_fen.unwrap_or(Fen::ZERO).saturating_sub(money.kept_fen()), OrderStatus::Completed)
        }
        _ => return None,
    };
    owed_fen.is_positive().then_some(PaymentDue { owed_fen, from: order.status, to, money, bill: BillRead::of(order) })
}

/// An order paid from the balance, in one transaction: the payment row, the debit and its
/// ledger row, and the order's money and status as `due` decided — only while the order reads
/// as it was decided on (`Conflict` otherwise: paid or billed again meanwhile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalancePayment {
    pub payment_no: PaymentNo,
    pub user_id: i64,
    pub order_no: OrderNo,
    pub due: PaymentDue,
}

/// A provider's word that a payment was paid (its notification, or its answer to a query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPaid {
    pub payment_no: PaymentNo,
    pub provider_txn_id: String,
    pub amount_fen: Fen,
    /// The refund number used when the money arrived for an order that no longer owes it.
    pub refund_no: String,
    /// Where its money goes (see `paid_to`).
    pub to: PaidTo,
}

/// Where a provider's money goes, decided from the payment and its order as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidTo {
    /// A top-up: the payer's balance, with its ledger row.
    Balance,
    /// The order that owes exactly this, while it reads as it was decided on (`Conflict(Order)`
    /// otherwise: read it again and decide again).
    Order(PaymentDue),
    /// Back to the payer: its order owes it no more (paid otherwise, cancelled, gone).
    Refund,
}

/// Where the money of `payment` goes, its order (when it is for one) as read now.
pub fn paid_to(payment: &Payment, order: Option<&Order>) -> PaidTo {
    if payment.purpose != FOR_ORDER || payment.order_no.is_none() {
        return PaidTo::Balance;
    }
    match order.and_then(payment_due) {
        Some(due) if due.owed_fen == payment.amount_fen => PaidTo::Order(due),
        _ => PaidTo::Refund,
    }
}

#[cfg(test)]
#[path = "due_tests.rs"]
mod tests;
