//! Balances and their ledger: every change of a balance — top-up, payment, refund, settlement,
//! an operator's adjustment — is a ledger row written in the same database transaction, so a
//! balance always equals the sum of its rows, and a debit never takes it below zero.

pub mod money;
mod port;

pub use money::{AmountText, Fen, MoneyError, fen_string, from_fen, parse_positive, parse_signed, to_fen};
pub use port::LedgerStore;

use crate::domain::chargers::records::OperationRecord;
use crate::domain::storage::StoreError;
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Why a balance moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    TopUp,
    Payment,
    Refund,
    Settlement,
    Adjustment,
    /// A reservation's fee taken, or given back (toward the charge, or refunded).
    Reservation,
}

impl EntryKind {
    /// The stored spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::TopUp => "top_up",
            EntryKind::Payment => "payment",
            EntryKind::Refund => "refund",
            EntryKind::Settlement => "settlement",
            EntryKind::Adjustment => "adjustment",
            EntryKind::Reservation => "reservation",
        }
    }
}

/// A balance change to make, with its ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub user_id: i64,
    /// Signed: a credit is positive.
    pub amount_fen: Fen,
    pub kind: EntryKind,
    /// The payment, refund or order it belongs to.
    pub reference: Option<String>,
    pub reason: Option<String>,
    /// Who made it (`user:<id>`, `operator-token`), for adjustments.
    pub actor: Option<String>,
}

/// A ledger row as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub amount_fen: Fen,
    pub balance_after_fen: Fen,
    pub kind: String,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// A refused balance change.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the balance is too low")]
    InsufficientBalance,
    #[error("no such user")]
    NoUser,
    #[error("reason: say why the balance is adjusted (1 to 256 characters)")]
    Reason,
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for LedgerError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Insufficient(_) => LedgerError::InsufficientBalance,
            StoreError::NotFound(Subject::User) => LedgerError::NoUser,
            other => LedgerError::Store(other),
        }
    }
}

/// The ledger service.
#[derive(Debug, Clone)]
pub struct Ledger {
    store: Arc<dyn LedgerStore>,
}

impl Ledger {
    pub fn new(store: impl LedgerStore + 'static) -> Self {
        let store: Arc<dyn LedgerStore> = Arc::new(store);
        Ledger { store }
    }

    /// A user's balance.
    pub async fn balance(&self, user_id: i64) -> Result<Fen, LedgerError> {
        let user = self.store.user(user_id).await?.ok_or(LedgerError::NoUser)?;
        Ok(user.balance_fen)
    }

    /// A page of a user's ledger, newest first, and the number of rows in all.
    pub async fn entries(&self, user_id: i64, offset: u64, limit: u64) -> Result<(Vec<Entry>, u64), LedgerError> {
        Ok(self.store.ledger(user_id, offset, limit).await?)
    }

    /// An operator credits (positive) or debits (negative) a balance, with a reason; a debit
    /// never takes it below zero. Answers the balance after.
    pub async fn adjust(&self, user_id: i64, amount: &str, reason: &str, actor: &str) -> Result<Fen, LedgerError> {
        let amount_fen = parse_signed(amount, "amount")?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 256 {
            return Err(LedgerError::Reason);
        }
        let entry = NewEntry {
            user_id,
            amount_fen,
            kind: EntryKind::Adjustment,
            reference: None,
            reason: Some(reason.to_owned()),
            actor: Some(actor.to_owned()),
        };
        // Written with the move, in its transaction; no charger.
        let log = OperationRecord {
            at: chrono::Utc::now(),
            actor: actor.to_owned(),
            charger_id: None,
            action: "BalanceAdjustment".to_owned(),
            payload: serde_json::json!({"userId": user_id, "amount": amount_fen.to_string(), "reason": reason}),
            outcome: "Applied",
            response: None,
            error: None,
            duration_ms: 0,
            node: None,
        };
        Ok(self.store.adjust_balance(entry, log).await?)
    }

    /// The sum of a user's ledger rows.
    pub async fn sum(&self, user_id: i64) -> Result<Fen, LedgerError> {
        Ok(self.store.ledger_sum(user_id).await?)
    }
}
