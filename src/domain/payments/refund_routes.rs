//! Where refunds go, decided without I/O: how an amount given back from an order is spread over
//! its payments, and for each part whether it is credited to the balance at once or sent back
//! through the provider that took the money. The store only executes these decisions, each part
//! by a conditional update that refuses to refund a payment beyond what it has left.

use super::records::{Destination, FOR_TOP_UP, Method};
use crate::domain::ids::PaymentNo;
use crate::domain::ledger::money::Fen;

/// A succeeded payment that may still be refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    pub payment_no: PaymentNo,
    pub method: Method,
    /// `order` or `top_up` (as stored).
    pub purpose: String,
    /// Paid minus already refunded, fen.
    pub left_fen: Fen,
}

/// How one refund moves money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Credited to the balance now, with its ledger row: the refund has succeeded.
    ToBalance,
    /// Sent back through the provider after the commit: the refund is pending until the
    /// provider says it is done.
    ToProvider,
    /// A top-up's refund: its amount leaves the balance now (it may not have been spent), and goes
    /// back through the provider after the commit.
    OffBalanceToProvider,
}

impl Route {
    /// Where a refund of `payment` goes when `chosen` says where the driver wants it: a balance
    /// payment's always to the balance; a top-up's always back to its provider (the balance it
    /// made leaves with it); an order's provider payment where the driver chose.
    pub fn of(method: Method, purpose: &str, chosen: Destination) -> Route {
        match (method, purpose == FOR_TOP_UP, chosen) {
            (Method::Balance, _, _) => Route::ToBalance,
            (_, true, _) => Route::OffBalanceToProvider,
            (_, false, Destination::Original) => Route::ToProvider,
            (_, false, Destination::Balance) => Route::ToBalance,
        }
    }

    /// The refund's destination, as stored.
    pub const fn destination(self) -> Destination {
        match self {
            Route::ToBalance => Destination::Balance,
            Route::ToProvider | Route::OffBalanceToProvider => Destination::Original,
        }
    }

    /// What the balance moves by now for a refund of `amount_fen` (none for a provider's).
    /// (A part's amount is at most what its payment has left, never negative: its negation fits.)
    pub const fn balance_change(self, amount_fen: Fen) -> Option<Fen> {
        match self {
            Route::ToBalance => Some(amount_fen),
            Route::OffBalanceToProvider => Some(Fen::ZERO.saturating_sub(amount_fen)),
            Route::ToProvider => None,
        }
    }

    /// The refund succeeded as it was made (no provider to wait for).
    pub const fn done_at_once(self) -> bool {
        matches!(self, Route::ToBalance)
    }
}

/// One refund of one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPart {
    pub refund_no: String,
    pub payment_no: PaymentNo,
    pub amount_fen: Fen,
    pub route: Route,
}

/// Why an amount cannot be refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("refunding {} fen is more than the {} fen left to refund", .asked_fen.get(), .left_fen.get())]
    BeyondPaid { asked_fen: Fen, left_fen: Fen },
}

/// Spreads `amount_fen` over `payments` (newest first: the last money in is the first given
/// back), each part at most what its payment has left; the first part is numbered `refund_no`,
/// any further one `refund_noN2`, `refund_noN3`… (letters and digits only: UnionPay takes no
/// other in its `orderId`). Nothing for a zero amount.
pub fn spread(
    amount_fen: Fen,
    payments: &[Refundable],
    refund_no: &str,
    chosen: Destination,
) -> Result<Vec<RefundPart>, RefundError> {
    let left_fen = payments.iter().map(|p| p.left_fen.max(Fen::ZERO)).fold(Fen::ZERO, Fen::saturating_add);
    if amount_fen > left_fen {
        return Err(RefundError::BeyondPaid { asked_fen: amount_fen, left_fen });
    }
    let mut parts = Vec::new();
    let mut owed = amount_fen.max(Fen::ZERO);
    for paid in payments.iter().filter(|p| p.left_fen.is_positive()) {
        if owed == Fen::ZERO {
            break;
        }
        let part = owed.min(paid.left_fen);
        let number = if parts.is_empty() { refund_no.to_owned() } else { format!("{refund_no}N{}", parts.len() + 1) };
        parts.push(RefundPart {
            refund_no: number,
            payment_no: paid.payment_no.clone(),
            amount_fen: part,
            route: Route::of(paid.method, &paid.purpose, chosen),
        });
        // `part` is at most `owed`: the difference is never negative.
        owed = owed.saturating_sub(part);
    }
    Ok(parts)
}

#[cfg(test)]
#[path = "refund_routes_tests.rs"]
mod tests;
