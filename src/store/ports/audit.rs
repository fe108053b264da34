//! The store as the audit area's port: each method is the store's own query.

use crate::domain::audit::AuditStore;
use crate::domain::audit::Findings;
use crate::domain::storage::StoreError;
use crate::store::Store;

#[async_trait::async_trait]
impl AuditStore for Store {
    async fn audit_findings(&self, limit: u64) -> Result<Findings, StoreError> {
        Store::audit_findings(self, limit).await
    }
}
