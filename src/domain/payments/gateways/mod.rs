//! Each provider's side of the `PaymentGateway`: payments opened, asked after, closed and
//! refunded over the provider's API, and its notifications read.

pub mod alipay_notice;
pub mod wechat;
pub mod wechat_notice;

pub use wechat::WechatPay;
