//! The domain's statuses and identifiers as the store writes and binds them: each one's stored
//! text (its `as_str`), so a query filters by a status, never by text typed again. Reading them
//! back is in `rows`.

use crate::domain::charging::TransactionStatus;
use crate::domain::ids::{ChargerId, IdTag, OrderNo, PaymentNo};
use crate::domain::payments::stored::{PaymentState, RefundState};
use sea_orm::Value;

/// The domain's identifiers bound as their text, borrowed or owned.
macro_rules! bound_as_text {
    ($($ty:ty),+) => {
        $(
            impl From<&$ty> for Value {
                fn from(id: &$ty) -> Self {
                    id.as_str().into()
                }
            }

            impl From<$ty> for Value {
                fn from(id: $ty) -> Self {
                    id.into_string().into()
                }
            }
        )+
    };
}

bound_as_text!(ChargerId, IdTag, OrderNo, PaymentNo);

impl From<TransactionStatus> for Value {
    fn from(status: TransactionStatus) -> Self {
        status.as_str().into()
    }
}

impl From<PaymentState> for Value {
    fn from(state: PaymentState) -> Self {
        state.as_str().into()
    }
}

impl From<RefundState> for Value {
    fn from(state: RefundState) -> Self {
        state.as_str().into()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

    use crate::domain::storage::StoreError;
    use crate::store::test_store::store;
    use sea_orm::ConnectionTrait;

    #[tokio::test]
    async fn a_transaction_whose_stored_status_the_domain_does_not_know_reads_as_a_corrupt_row() {
        let (_dir, store) = store().await;
        store
            .db()
            .execute_unprepared(
                "INSERT INTO transactions (id, charger_id, evse_id, connector_id, started_at, status, offline, updated_at) \
                 VALUES (7, 'CP-1', 0, 1, '2026-12-01 00:00:00+00:00', 'Paused', false, '2026-12-01 00:00:00+00:00')",
            )
            .await
            .unwrap();
        let read = store.transaction(7).await;
        assert!(matches!(read, Err(StoreError::Corrupt(ref why)) if why.contains("Paused")), "{read:?}");
        assert!(matches!(store.transactions(Some("CP-1"), None, None).await, Err(StoreError::Corrupt(_))));
    }

    #[tokio::test]
    async fn a_refund_stored_closed_which_no_refund_is_reads_as_a_corrupt_row() {
        let (_dir, store) = store().await;
        store
            .db()
            .execute_unprepared(
                "INSERT INTO refunds (refund_no, payment_no, amount_fen, destination, status, created_at, updated_at) \
                 VALUES ('R1', 'P1', 100, 'original', 'CLOSED', '2026-12-01 00:00:00+00:00', '2026-12-01 00:00:00+00:00')",
            )
            .await
            .unwrap();
        let read = store.refund("R1").await;
        assert!(matches!(read, Err(StoreError::Corrupt(ref why)) if why.contains("CLOSED")), "{read:?}");
        assert!(matches!(store.refunds("P1").await, Err(StoreError::Corrupt(_))));
    }

    #[tokio::test]
    async fn a_connector_stored_with_a_status_neither_ocpp_version_has_reads_as_a_corrupt_row() {
        let (_dir, store) = store().await;
        store
            .db()
            .execute_unprepared(
                "INSERT INTO connectors (charger_id, evse_id, connector_id, status, status_at, updated_at) \
                 VALUES ('CP-1', 0, 1, 'Offline', '2026-12-01 00:00:00+00:00', '2026-12-01 00:00:00+00:00')",
            )
            .await
            .unwrap();
        let read = store.connectors("CP-1").await;
        assert!(matches!(read, Err(StoreError::Corrupt(ref why)) if why.contains("Offline")), "{read:?}");
    }
}
