//! Notifications as each provider sends them, signed with the keys the server under test made
//! for its sandboxes (the same in the whole test process) — and spoiled on purpose: forged
//! (signed with a key that is not the provider's), tampered (the amount changed after signing)
//! or stale (signed ten minutes ago: WeChat's timestamp) — or genuine but in dollars.

use csms::config::Settings;
use csms::providers::alipay::{AlipayKeys, AlipaySettings, signing as alipay};
use csms::providers::keys::ProviderSetupError;
use csms::providers::unionpay::{UnionPayKeys, UnionPaySettings, signing as unionpay};
use csms::providers::wechat::signing::{Signed, nonce, seal};
use csms::providers::wechat::{WechatKeys, WechatSettings};
use serde_json::json;
use std::collections::BTreeMap;

/// How a notification is spoiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Twist {
    Genuine,
    Forged,
    Tampered,
    Stale,
    /// Genuine, but the money is US dollars (WeChat `amount.currency`, UnionPay `currencyCode`,
    /// Alipay `trans_currency`).
    Dollars,
}

/// A notification: its headers and its body.
pub(crate) type Notice = (Vec<(String, String)>, String);

/// Every provider's keys, as the sandboxes make them.
struct ProviderKeys {
    wechat: WechatKeys,
    alipay: AlipayKeys,
    unionpay: UnionPayKeys,
}

fn keys() -> ProviderKeys {
    let load = |s: &csms::config::PaymentSettings| -> Result<ProviderKeys, ProviderSetupError> {
        Ok(ProviderKeys {
            wechat: WechatKeys::load(s.section::<WechatSettings>().expect("wechat"))?,
            alipay: AlipayKeys::load(s.section::<AlipaySettings>().expect("alipay"))?,
            unionpay: UnionPayKeys::load(s.section::<UnionPaySettings>().expect("unionpay"))?,
        })
    };
    load(&Settings::defaults().expect("defaults").payments).expect("sandbox keys")
}

/// `provider`'s notification that `payment_no` was paid `amount_fen` as transaction `txn`.
pub(crate) fn notice(provider: &str, payment_no: &str, txn: &str, amount_fen: i64, twist: Twist) -> Notice {
    match provider {
        "wechat" => wechat(payment_no, txn, amount_fen, twist),
        "alipay" => alipay(payment_no, txn, amount_fen, twist),
        "unionpay" => unionpay(payment_no, txn, amount_fen, twist),
        other => panic!("no provider {other}"),
    }
}

fn wechat(payment_no: &str, txn: &str, amount_fen: i64, twist: Twist) -> Notice {
    let keys = keys().wechat;
    let currency = if twist == Twist::Dollars { "USD" } else { "CNY" };
    let resource = |fen: i64| {
        let paid = json!({"appid": keys.appid, "mchid": keys.mchid, "out_trade_no": payment_no,
            "transaction_id": txn, "trade_state": "SUCCESS",
            "amount": {"total": fen, "payer_total": fen, "currency": currency, "payer_currency": currency}});
        let sealed = seal(&keys.api_v3_key, "0123456789ab", "transaction", paid.to_string().as_bytes()).unwrap();
        json!({"id": format!("EV-{txn}"), "create_time": "2026-12-02T10:00:00+08:00",
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": sealed,
                "associated_data": "transaction", "nonce": "0123456789ab"}})
        .to_string()
    };
    let body = resource(amount_fen);
    let now = chrono::Utc::now().timestamp();
    let (key, at) = match twist {
        Twist::Forged => (keys.merchant.private.clone().unwrap(), now),
        Twist::Stale => (keys.platform.private.clone().unwrap(), now - 600),
        Twist::Genuine | Twist::Tampered | Twist::Dollars => (keys.platform.private.clone().unwrap(), now),
    };
    let signed = Signed::sign(&key, &keys.platform_serial, &body, at, &nonce());
    let headers = signed.headers().iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    // Tampered: the body re-sealed with another amount after the signature was made.
    let body = if twist == Twist::Tampered { resource(amount_fen * 10) } else { body };
    (headers, body)
}

fn form(params: &BTreeMap<String, String>) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish()
}

fn owned(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

fn alipay(payment_no: &str, txn: &str, amount_fen: i64, twist: Twist) -> Notice {
    let keys = keys();
    let a = &keys.alipay;
    let yuan = |fen: i64| format!("{}.{:02}", fen / 100, fen % 100);
    let mut params = owned(&[
        ("notify_time", "2026-12-02 10:00:05".to_owned()),
        ("notify_type", "trade_status_sync".to_owned()),
        ("notify_id", format!("n-{txn}")),
        ("charset", "utf-8".to_owned()),
        ("version", "1.0".to_owned()),
        ("app_id", a.app_id.clone()),
        ("out_trade_no", payment_no.to_owned()),
        ("trade_no", txn.to_owned()),
        ("trade_status", "TRADE_SUCCESS".to_owned()),
        ("total_amount", yuan(amount_fen)),
        ("receipt_amount", yuan(amount_fen)),
        ("gmt_payment", "2026-12-02 10:00:04".to_owned()),
    ]);
    if twist == Twist::Dollars {
        params.insert("trans_currency".into(), "USD".into());
    }
    let key = if twist == Twist::Forged { keys.wechat.merchant.private.clone() } else { a.alipay.private.clone() };
    alipay::sign_notification(&key.unwrap(), &mut params);
    if twist == Twist::Tampered {
        params.insert("total_amount".into(), yuan(amount_fen * 10));
    }
    (vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())], form(&params))
}

fn unionpay(payment_no: &str, txn: &str, amount_fen: i64, twist: Twist) -> Notice {
    let keys = keys();
    let u = &keys.unionpay;
    let mut params = owned(&[
        ("version", "5.1.0".to_owned()),
        ("encoding", "UTF-8".to_owned()),
        ("signMethod", "01".to_owned()),
        ("txnType", "01".to_owned()),
        ("txnSubType", "07".to_owned()),
        ("bizType", "000000".to_owned()),
        ("accessType", "0".to_owned()),
        ("merId", u.mer_id.clone()),
        ("orderId", payment_no.to_owned()),
        ("txnTime", "20261202100000".to_owned()),
        ("txnAmt", amount_fen.to_string()),
        ("currencyCode", if twist == Twist::Dollars { "840" } else { "156" }.to_owned()),
        ("queryId", txn.to_owned()),
        ("respCode", "00".to_owned()),
        ("respMsg", "success".to_owned()),
        ("traceNo", "123456".to_owned()),
        ("traceTime", "1202100000".to_owned()),
        ("settleAmt", amount_fen.to_string()),
    ]);
    let key = if twist == Twist::Forged { keys.wechat.merchant.private.clone() } else { u.unionpay.private.clone() };
    unionpay::sign(&key.unwrap(), &mut params);
    if twist == Twist::Tampered {
        params.insert("txnAmt".into(), (amount_fen * 10).to_string());
    }
    (vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())], form(&params))
}
