//! What the audit area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/audit.rs`); `startup` hands the store in.

use crate::domain::audit::Findings;
use crate::domain::storage::StoreError;

/// The audit's persistence port: the findings of checking the ledger, balances, orders and
/// payments against each other. The store implements it.
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync + std::fmt::Debug {
    /// What the audit finds (see `domain::audit`), at most `limit` of each kind.
    async fn audit_findings(&self, limit: u64) -> Result<Findings, StoreError>;
}
