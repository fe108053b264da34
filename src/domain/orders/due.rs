//! What an order owes now, and where paying it takes the order: decided from the order as read;
//! the store applies the payment only while the order still reads so.

use super::OrderStatus;
use super::order::Order;
use super::records::{BillRead, MoneyRead};

/// Paying an order now: the amount, the status it moves from and to, and the money and bill it
/// was decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentDue {
    pub owed_fen: i64,
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub money: MoneyRead,
    pub bill: BillRead,
}

/// What `order` owes now: a prepaid order's amount before it starts (`PENDING_PAYMENT` →
/// `READY`), or what a completed order's unpaid bill still lacks (it stays `COMPLETED`; an
/// operator's refund after the bill was a gift, not owed again). None when it owes nothing.
pub fn payment_due(order: &Order) -> Option<PaymentDue> {
    if order.payment_status != "UNPAID" {
        return None;
    }
    let money = MoneyRead::of(order);
    let (owed_fen, to) = match OrderStatus::parse(&order.status)? {
        OrderStatus::PendingPayment => (order.prepay_fen.unwrap_or(0), OrderStatus::Ready),
        OrderStatus::Completed => (order.total_fen.unwrap_or(0) - money.kept_fen(), OrderStatus::Completed),
        _ => return None,
    };
    let from = OrderStatus::parse(&order.status)?;
    (owed_fen > 0).then_some(PaymentDue { owed_fen, from, to, money, bill: BillRead::of(order) })
}

#[cfg(test)]
#[path = "due_tests.rs"]
mod tests;
