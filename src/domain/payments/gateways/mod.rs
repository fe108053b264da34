//! Each provider's side of the `PaymentGateway`: payments opened, asked after, closed and
//! refunded over the provider's API, and its notifications read.

pub mod alipay;
pub mod alipay_notice;
pub mod unionpay;
mod unionpay_answer;
pub mod unionpay_notice;
pub mod wechat;
pub mod wechat_notice;

pub use alipay::AlipayPay;
pub use unionpay::UnionPay;
pub use wechat::WechatPay;

use super::gateway::GatewayError;
use std::collections::HashMap;

/// A form-encoded notification (Alipay's, UnionPay's): its parameters by name.
#[derive(Debug, Clone)]
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    pub fn params(&self) -> &HashMap<String, String> {
        &self.0
    }

    /// A parameter that must be there, not empty.
    pub fn field(&self, name: &str) -> Result<&str, GatewayError> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| GatewayError::BadAnswer(format!("no {name}")))
    }
}

#[cfg(test)]
pub(crate) mod test_forms {
    //! What the notification tests share: the sandbox's keys, and forms as providers post them.
    use crate::config::Settings;
    use crate::domain::payments::providers::ProviderKeys;
    use std::collections::BTreeMap;

    /// The keys a sandbox makes (the same for the whole process).
    pub(crate) fn sandbox() -> ProviderKeys {
        ProviderKeys::load(&Settings::defaults().expect("defaults").payments).expect("sandbox keys")
    }

    /// `pairs` as a form body, after `change`, signed by `sign`.
    pub(crate) fn form(
        pairs: &[(&str, &str)],
        change: impl FnOnce(&mut BTreeMap<String, String>),
        sign: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> String {
        let mut params: BTreeMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        change(&mut params);
        sign(&mut params);
        form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish()
    }
}
