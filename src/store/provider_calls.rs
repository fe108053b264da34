//! The record of exchanges with payment providers (see `domain::payments::calls`).

use super::{Store, StoreError};
use crate::domain::payments::calls::Exchange;
use crate::domain::payments::records::ProviderCall;
use entity::provider_call;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The longest request or answer kept, in bytes: providers' bodies are small; a larger one is
/// cut (at a character boundary) rather than stored whole.
const KEPT: usize = 16 * 1024;

fn cut(text: String) -> String {
    if text.len() <= KEPT {
        return super::storable(&text);
    }
    let mut end = KEPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    super::storable(&text[..end])
}

impl Store {
    /// Keeps one exchange.
    pub async fn record_provider_call(&self, e: Exchange) -> Result<(), StoreError> {
        let row = provider_call::ActiveModel {
            provider: Set(e.provider.as_str().to_owned()),
            operation: Set(e.operation.as_str().to_owned()),
            payment_no: Set(e.payment_no),
            refund_no: Set(e.refund_no),
            request: Set(cut(e.request)),
            status: Set(e.status.map(i32::from)),
            response: Set(e.response.map(cut)),
            outcome: Set(e.outcome.chars().take(24).collect()),
            detail: Set(e.detail.map(cut)),
            elapsed_ms: Set(e.elapsed_ms),
            created_at: Set(e.at),
            ..Default::default()
        };
        provider_call::Entity::insert(row).exec_without_returning(self.db()).await?;
        Ok(())
    }

    /// A payment's exchanges with its provider, oldest first (at most `limit`).
    pub async fn provider_calls(&self, payment_no: &str, limit: u64) -> Result<Vec<ProviderCall>, StoreError> {
        Ok(super::rows::all(
            provider_call::Entity::find()
                .filter(provider_call::Column::PaymentNo.eq(payment_no))
                .order_by_asc(provider_call::Column::Id)
                .limit(limit)
                .all(self.db())
                .await?,
        ))
    }
}
