//! The payment providers' settings at start: every provider is a sandbox by default and needs
//! nothing configured; a live one stops csms at start naming the setting it lacks.

use csms::config::{ProviderMode, Settings};
use csms::startup::Application;

fn settings() -> Settings {
    let mut settings = Settings::defaults().expect("defaults");
    settings.ocpp.listen = "127.0.0.1:0".parse().expect("address");
    settings.http.listen = "127.0.0.1:0".parse().expect("address");
    settings
}

#[tokio::test]
async fn a_live_provider_without_its_keys_stops_csms_at_start_naming_the_setting() {
    let mut live = settings();
    live.payments.unionpay.mode = ProviderMode::Live;
    live.payments.unionpay.mer_id = "777290058110048".into();
    let refused = Application::build(live).await.expect_err("a live provider without keys");
    assert_eq!(refused.to_string(), "payments: payments.unionpay.sign_cert_id is not set: a live provider needs it");

    let mut unreadable = settings();
    unreadable.payments.alipay.mode = ProviderMode::Live;
    unreadable.payments.alipay.app_id = "2021000000000000".into();
    unreadable.payments.alipay.app_private_key = "/etc/csms/no-such-key.pem".into();
    let refused = Application::build(unreadable).await.expect_err("an unreadable key");
    assert_eq!(
        refused.to_string(),
        "payments: payments.alipay.app_private_key: not a PEM file, a path to one, or base64 of a DER key"
    );
}
