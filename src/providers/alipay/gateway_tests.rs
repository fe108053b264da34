//! The Alipay gateway's tests: forms signed as Alipay checks them, answers read only once signed.

use super::*;
use crate::domain::ledger::fen_string;
use crate::providers::http::test_forms;
use std::collections::HashMap;

fn gateway() -> AlipayPay {
    AlipayPay::new(test_forms::sandbox().alipay, "http://127.0.0.1:9/gateway.do", Duration::from_secs(1)).unwrap()
}

fn exchange(answer: String) -> Exchange {
    Exchange { status: 200, answer }
}

#[test]
fn the_timestamp_is_beijing_time() {
    let at = DateTime::parse_from_rfc3339("2026-12-02T16:30:05Z").unwrap().to_utc();
    assert_eq!(timestamp(at), "2026-12-03 00:30:05");
}

#[test]
fn amounts_go_as_yuan_to_the_fen_and_come_back_exactly() {
    for (fen, yuan) in [(1230, "12.30"), (1, "0.01"), (100, "1.00"), (123_456_789, "1234567.89")] {
        assert_eq!(fen_string(fen), yuan);
        assert_eq!(amount_fen(yuan), Ok(Fen(fen)));
    }
    assert_eq!(amount_fen("12.3"), Ok(Fen(1230)));
    for nonsense in ["12.301", "-1.00", "1e3", "", "NaN"] {
        assert!(amount_fen(nonsense).is_err(), "{nonsense}");
    }
}

#[test]
fn a_request_carries_the_common_parameters_signed_with_the_apps_key() {
    let gateway = gateway();
    let at = DateTime::parse_from_rfc3339("2026-12-02T02:00:00Z").unwrap().to_utc();
    let biz = json!({"out_trade_no": "P1", "total_amount": "12.30"});
    let form = gateway.form("alipay.trade.precreate", &biz, Some("https://csms.example/notify"), at).unwrap();
    let sent: HashMap<String, String> = form_urlencoded::parse(form.as_bytes()).into_owned().collect();
    assert_eq!(sent["method"], "alipay.trade.precreate");
    assert_eq!(sent["timestamp"], "2026-12-02 10:00:00");
    assert_eq!((sent["charset"].as_str(), sent["sign_type"].as_str()), ("utf-8", "RSA2"));
    assert_eq!(sent["notify_url"], "https://csms.example/notify");
    assert_eq!(serde_json::from_str::<Value>(&sent["biz_content"]).unwrap(), biz);
    assert_eq!(alipay::verify_request(&gateway.keys.app.public, &sent), Ok(()));
    let query = gateway.form("alipay.trade.query", &biz, None, at).unwrap();
    assert!(!query.contains("notify_url"));
}

#[test]
fn an_answer_is_believed_only_signed_by_alipay_and_an_unsigned_one_only_as_a_refusal() {
    let keys = test_forms::sandbox().alipay;
    let alipay_key = keys.alipay.private.as_ref().unwrap();
    let method = "alipay.trade.query";
    let inner = r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}"#;
    let signed = exchange(alipay::sign_response(alipay_key, method, inner));
    assert_eq!(sub_code(&read_answer(&keys.alipay.public, method, &signed).unwrap()), NO_TRADE);
    assert_eq!(read_answer(&keys.app.public, method, &signed), Err(GatewayError::BadSignature));

    let refused =
        r#"{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}"#;
    let unsigned = exchange(format!(r#"{{"alipay_trade_query_response":{refused}}}"#));
    match read_answer(&keys.alipay.public, method, &unsigned) {
        Err(GatewayError::Refused(why)) => assert_eq!(why, "40002 isv.invalid-signature: 验签出错"),
        other => panic!("an unsigned refusal: {other:?}"),
    }
    let forged = exchange(r#"{"alipay_trade_query_response":{"code":"10000","trade_status":"TRADE_SUCCESS"}}"#.into());
    assert_eq!(read_answer(&keys.alipay.public, method, &forged), Err(GatewayError::BadSignature));
    let failed = Exchange { status: 502, ..exchange(String::new()) };
    assert_eq!(read_answer(&keys.alipay.public, method, &failed), Err(GatewayError::Temporary("HTTP 502".into())));
    let forbidden = Exchange { status: 403, ..exchange(String::new()) };
    assert_eq!(read_answer(&keys.alipay.public, method, &forbidden), Err(GatewayError::Refused("HTTP 403".into())));
}

#[test]
fn timeout_express_is_the_window_in_whole_minutes_rounded_up() {
    let now = DateTime::parse_from_rfc3339("2026-12-02T02:00:00Z").unwrap().to_utc();
    let after = |seconds| now + chrono::Duration::seconds(seconds);
    assert_eq!(pay_within(after(15 * 60), now), "15m");
    assert_eq!(pay_within(after(7 * 60 + 1), now), "8m");
    assert_eq!(pay_within(after(0), now), "1m", "one minute at least");
}
