//! Each provider's side of the `PaymentGateway`: how its notifications are read (and, with the
//! payments issue, how payments are opened, asked after, closed and refunded over its API).

pub mod wechat_notice;
