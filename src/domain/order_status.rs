//! An order's status, below both the orders and charging (a driver's standing, read with their
//! tag, carries their live order's status).

use crate::domain::stored_text::stored_text;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Prepaid, waiting for its payment.
    PendingPayment,
    /// Paid (prepaid) or made (postpaid): ready to start.
    Ready,
    /// The remote start was sent; waiting for the charger's start.
    Starting,
    Charging,
    /// Charging ended, but its meter register cannot be billed without an operator (see
    /// `charging::metering`); the user and the connector are free, the money paid stays held.
    Review,
    Completed,
    Cancelled,
    Failed,
}

stored_text!(OrderStatus {
    PendingPayment => "PENDING_PAYMENT",
    Ready => "READY",
    Starting => "STARTING",
    Charging => "CHARGING",
    Review => "REVIEW",
    Completed => "COMPLETED",
    Cancelled => "CANCELLED",
    Failed => "FAILED",
});

impl OrderStatus {
    /// Before the charger started: the order may still be cancelled.
    pub const fn before_start(self) -> bool {
        matches!(self, OrderStatus::PendingPayment | OrderStatus::Ready | OrderStatus::Starting)
    }

    /// Still holding its user and connector.
    pub const fn live(self) -> bool {
        matches!(self, OrderStatus::PendingPayment | OrderStatus::Ready | OrderStatus::Starting | OrderStatus::Charging)
    }
}
