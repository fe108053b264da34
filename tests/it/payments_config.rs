//! The payment providers' settings at start: every provider is a sandbox by default and needs
//! nothing configured (a build without the `sandbox` feature: `off` by default, and a sandbox
//! refused naming the setting and the feature); a live one stops csms at start naming the
//! setting it lacks; one that is `off` is a method unavailable.

use crate::business::driver;
use crate::helpers::spawn_app_with;
use csms::config::{ProviderMode, Settings};
use csms::providers::alipay::AlipaySettings;
use csms::providers::unionpay::UnionPaySettings;
use csms::startup::Application;
use serde_json::json;

fn settings() -> Settings {
    let mut settings = Settings::defaults().expect("defaults");
    settings.ocpp.listen = "127.0.0.1:0".parse().expect("address");
    settings.http.listen = "127.0.0.1:0".parse().expect("address");
    settings
}

#[tokio::test]
async fn a_live_provider_without_its_keys_stops_csms_at_start_naming_the_setting() {
    let mut live = settings();
    let unionpay = live.payments.section_mut::<UnionPaySettings>().expect("unionpay");
    unionpay.mode = ProviderMode::Live;
    unionpay.mer_id = "777290058110048".into();
    let refused = Application::build(live).await.expect_err("a live provider without keys");
    assert_eq!(refused.to_string(), "payments: payments.unionpay.sign_cert_id is not set: a live provider needs it");

    let mut unreadable = settings();
    let alipay = unreadable.payments.section_mut::<AlipaySettings>().expect("alipay");
    alipay.mode = ProviderMode::Live;
    alipay.app_id = "2021000000000000".into();
    alipay.app_private_key = "/etc/csms/no-such-key.pem".into();
    let refused = Application::build(unreadable).await.expect_err("an unreadable key");
    assert_eq!(
        refused.to_string(),
        "payments: payments.alipay.app_private_key: not a PEM file, a path to one, or base64 of a DER key"
    );
}

#[tokio::test]
async fn a_provider_that_is_off_is_a_method_unavailable_and_hears_no_notification() {
    let app =
        spawn_app_with(|s| s.payments.section_mut::<AlipaySettings>().expect("alipay").mode = ProviderMode::Off).await;
    let (token, _, _) = driver(&app, "13800009001").await;
    let ask = json!({"amount": "10.00", "method": "alipay"});
    let (status, body) = app.request("POST", "/api/v1/me/balance/top-up", Some(&token), Some(&ask)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("method_unavailable")), "{body}");
    let (status, _) = app.request("POST", "/api/v1/payments/notify/alipay", None, None).await;
    assert_eq!(status, 404, "no provider alipay is on");
    // Nor is its sandbox served.
    let (status, _) = app.request("POST", "/sandbox/alipay/gateway.do", None, None).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[cfg(feature = "sandbox")]
#[tokio::test]
async fn a_full_build_makes_every_provider_a_sandbox_by_default() {
    let defaults = Settings::defaults().expect("defaults");
    let modes = csms::providers::modes(&defaults.payments);
    assert_eq!(modes.len(), csms::providers::ALL.len());
    assert!(modes.iter().all(|(_, mode)| *mode == ProviderMode::Sandbox), "{modes:?}");
}

#[cfg(not(feature = "sandbox"))]
#[tokio::test]
async fn without_the_sandbox_feature_providers_are_off_by_default_and_a_sandbox_is_refused_at_start() {
    let defaults = Settings::defaults().expect("defaults");
    let modes = csms::providers::modes(&defaults.payments);
    assert!(modes.iter().all(|(_, mode)| *mode == ProviderMode::Off), "{modes:?}");
    // Off by default: csms starts, and a method through a provider is unavailable.
    let app = spawn_app_with(|_| {}).await;
    let (token, _, _) = driver(&app, "13800009002").await;
    let ask = json!({"amount": "10.00", "method": "wechat"});
    let (status, body) = app.request("POST", "/api/v1/me/balance/top-up", Some(&token), Some(&ask)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("method_unavailable")), "{body}");
    app.stop().await;

    let mut sandbox = settings();
    sandbox.payments.section_mut::<csms::providers::wechat::WechatSettings>().expect("wechat").mode =
        ProviderMode::Sandbox;
    let refused = Application::build(sandbox).await.expect_err("a sandbox in a build without one");
    assert_eq!(
        refused.to_string(),
        "payments: payments.wechat.mode = \"sandbox\", but this build has no sandbox (cargo feature `sandbox`): set it to \"off\" or \"live\""
    );
}
