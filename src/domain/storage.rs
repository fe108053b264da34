//! What the domain's persistence ports answer when storing fails or is refused: one error for
//! every area's port, declared here so that the domain never names the store that implements
//! them. A refusal says *what* was missing, taken or short as a [`Subject`], so callers decide on
//! the variant, never on text.

use std::fmt;

/// The thing a refusal is about. Shown as the noun it always was ("station", "live order").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Alarm,
    Amount,
    /// A provider payment's money was applied already.
    Applied,
    Balance,
    Card,
    Charger,
    /// Another order holds the connector.
    Connector,
    IdTag,
    /// The user has a live order already.
    LiveOrder,
    /// An order changed since it was read (a decision on it must be made again).
    Order,
    /// An order of that charging session exists already.
    OrderOfTransaction,
    Payment,
    RealName,
    Refund,
    RefundableAmount,
    /// The user holds a reservation already.
    Reservation,
    Station,
    /// A station that still has piles.
    StationPiles,
    Transaction,
    /// A transaction id the charger's protocol cannot carry (OCPP 1.6: 32 bits).
    TransactionId32,
    User,
}

impl Subject {
    pub const fn as_str(self) -> &'static str {
        match self {
            Subject::Alarm => "alarm",
            Subject::Amount => "amount",
            Subject::Applied => "applied",
            Subject::Balance => "balance",
            Subject::Card => "card",
            Subject::Charger => "charger",
            Subject::Connector => "connector",
            Subject::IdTag => "id tag",
            Subject::LiveOrder => "live order",
            Subject::Order => "order",
            Subject::OrderOfTransaction => "order of the transaction",
            Subject::Payment => "payment",
            Subject::RealName => "real name",
            Subject::Refund => "refund",
            Subject::RefundableAmount => "refundable amount",
            Subject::Reservation => "reservation",
            Subject::Station => "station",
            Subject::StationPiles => "station's piles",
            Subject::Transaction => "transaction",
            Subject::TransactionId32 => "a transaction id within 32 bits",
            Subject::User => "user",
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A storage failure or refusal. Its details are logged where the request ends, never sent to a
/// charger.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (or refused a statement for a reason no caller decides on).
    #[error("database: {0}")]
    Db(String),
    /// A unique key refused a row that no caller expected to be taken (e.g. a replayed batch).
    #[error("database: a duplicate: {0}")]
    Duplicate(String),
    #[error("{0} not found")]
    NotFound(Subject),
    #[error("{0} already exists")]
    Conflict(Subject),
    #[error("commit: {0}")]
    Commit(String),
    #[error("the writers' thread: {0}")]
    Writer(String),
    /// A conditional change refused: too little of it (a balance, a refundable amount) left.
    #[error("not enough {0}")]
    Insufficient(Subject),
    /// Stored data that cannot be read back (a reading's samples not in their stored form).
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
}
