//! `provider_calls`: every call csms made to a payment provider and every notification it
//! received, with the request and the answer (signatures left out) and the outcome.

use sea_orm::entity::prelude::*;

/// One exchange with a provider.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `wechat`, `alipay` or `unionpay`.
    pub provider: String,
    /// `create`, `query`, `close`, `refund` or `notification`.
    pub operation: String,
    pub payment_no: Option<String>,
    pub refund_no: Option<String>,
    pub request: String,
    /// The HTTP status: the provider's answer, or csms's to a notification.
    pub status: Option<i32>,
    pub response: Option<String>,
    /// `ok`, `refused`, `unreachable`, `bad_signature`, `bad_answer`, …
    pub outcome: String,
    pub detail: Option<String>,
    pub elapsed_ms: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
