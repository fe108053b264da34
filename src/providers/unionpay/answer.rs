//! UnionPay's answers to csms's calls: `k=v&…` text read as UnionPay writes it, believed only
//! once its `signature` verifies with the configured verification key, and a query's answer
//! read as the state of the payment or refund it names.

use crate::domain::ledger::money::Fen;
use crate::domain::payments::gateway::{GatewayError, ProviderState, RefundOutcome, in_yuan};
use crate::providers::signing::PublicKey;
use crate::providers::unionpay::signing as unionpay;
use std::collections::HashMap;

/// An answer's fields by name.
pub(super) type Fields = HashMap<String, String>;

/// UnionPay's answer `k=v&k=v`, read as its SDK reads it: nothing is URL-decoded (a
/// `signature` keeps its `+` and `/`), and an `&` inside a value's `{…}` or `[…]` does not end
/// the value.
pub(super) fn read_form(text: &str) -> Result<Fields, GatewayError> {
    let text = text.trim();
    let text = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(text);
    let mut fields = HashMap::new();
    let mut add = |pair: &str| match pair.split_once('=') {
        Some((name, value)) if !name.is_empty() => {
            fields.insert(name.to_owned(), value.to_owned());
            Ok(())
        }
        Some(_) => Err(GatewayError::BadAnswer("a field without a name".into())),
        None if pair.is_empty() => Ok(()),
        None => {
            fields.insert(pair.to_owned(), String::new());
            Ok(())
        }
    };
    let (mut start, mut in_value, mut closing) = (0, false, None);
    for (at, c) in text.char_indices() {
        match (closing, c) {
            (Some(end), c) if c == end => closing = None,
            (Some(_), _) => {}
            (None, '=') => in_value = true,
            (None, '{') if in_value => closing = Some('}'),
            (None, '[') if in_value => closing = Some(']'),
            (None, '&') => {
                add(&text[start..at])?;
                (start, in_value) = (at + 1, false);
            }
            (None, _) => {}
        }
    }
    add(&text[start..])?;
    Ok(fields)
}

/// The fields of an answer (its HTTP `status` and `text`), believed only once `signature`
/// verifies with UnionPay's `key`. An answer without one is taken as the refusal it says it is,
/// never as a success.
pub(super) fn read_answer(key: &PublicKey, status: u16, text: &str) -> Result<Fields, GatewayError> {
    if !(200..300).contains(&status) {
        return Err(crate::providers::http::not_ok(status, format!("HTTP {status}")));
    }
    let answer = read_form(text)?;
    if answer.get("signature").is_none_or(String::is_empty) {
        if resp_code(&answer) == "00" {
            tracing::warn!("an unsigned UnionPay answer claimed success");
            return Err(GatewayError::BadSignature);
        }
        return Err(GatewayError::Refused(refusal(&answer)));
    }
    unionpay::verify(key, &answer)?;
    Ok(answer)
}

/// A payment's (or a refund's) state from a query's answer.
pub(super) fn read_state(answer: &Fields, mer_id: &str, order_id: &str) -> Result<ProviderState, GatewayError> {
    match resp_code(answer) {
        "00" => {}
        // No such transaction: a QR code not paid yet (the consumption is made when the payer
        // pays), or one whose application never reached UnionPay — which csms closes in time.
        "34" => return Ok(ProviderState::Pending),
        _ => return Err(GatewayError::Refused(refusal(answer))),
    }
    if field(answer, "merId")? != mer_id || field(answer, "orderId")? != order_id {
        return Err(GatewayError::BadAnswer("the answer is about another order".into()));
    }
    in_yuan(answer.get("currencyCode").map(String::as_str))?;
    let original = field(answer, "origRespCode")?;
    Ok(match original {
        "00" => ProviderState::Paid {
            provider_txn_id: field(answer, "queryId")?.to_owned(),
            amount_fen: Fen(fen(field(answer, "txnAmt")?)?),
        },
        // Timed out, unknown, taken: ask again later.
        "03" | "04" | "05" => ProviderState::Pending,
        other => ProviderState::Failed(format!("{other} {}", answer.get("origRespMsg").map_or("", String::as_str))),
    })
}

/// A refund's state from a query's answer: `origRespCode` `00` refunded, `03`/`04`/`05` under
/// way, anything else failed; `34` (no such transaction) a refund UnionPay never took.
pub(super) fn read_refund(answer: &Fields, mer_id: &str, refund_no: &str) -> RefundOutcome {
    match resp_code(answer) {
        "00" => {}
        "34" => return RefundOutcome::Unknown,
        "03" | "04" => return RefundOutcome::Later(GatewayError::Temporary(refusal(answer))),
        _ => return RefundOutcome::Later(GatewayError::Refused(refusal(answer))),
    }
    let ours =
        field(answer, "merId").is_ok_and(|m| m == mer_id) && field(answer, "orderId").is_ok_and(|o| o == refund_no);
    if !ours {
        return RefundOutcome::Later(GatewayError::BadAnswer("the answer is about another refund".into()));
    }
    match answer.get("origRespCode").map_or("", String::as_str) {
        "00" => RefundOutcome::Succeeded,
        "03" | "04" | "05" => RefundOutcome::Processing,
        "" => RefundOutcome::Later(GatewayError::BadAnswer("no origRespCode".into())),
        other => RefundOutcome::Failed(format!("{other} {}", answer.get("origRespMsg").map_or("", String::as_str))),
    }
}

pub(super) fn succeeded(answer: Fields) -> Result<Fields, GatewayError> {
    if resp_code(&answer) == "00" { Ok(answer) } else { Err(GatewayError::Refused(refusal(&answer))) }
}

pub(super) fn resp_code(answer: &Fields) -> &str {
    answer.get("respCode").map_or("", String::as_str)
}

/// A refusal as UnionPay words it: `11: 验证签名失败`.
pub(super) fn refusal(answer: &Fields) -> String {
    let code = answer.get("respCode").map_or("no respCode", String::as_str);
    format!("{code}: {}", answer.get("respMsg").map_or("", String::as_str))
}

pub(super) fn field<'a>(answer: &'a Fields, name: &str) -> Result<&'a str, GatewayError> {
    answer
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| GatewayError::BadAnswer(format!("no {name}")))
}

/// `txnAmt`: a whole number of fen.
fn fen(text: &str) -> Result<i64, GatewayError> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<i64>().ok())
        .flatten()
        .ok_or_else(|| GatewayError::BadAnswer(format!("txnAmt {text:?} is not a whole number of fen")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::http::test_forms;

    fn answer(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn an_answer_is_read_raw_with_braced_values_whole() {
        let text = concat!(
            "respCode=00&respMsg=成功[0000000]&reserved={a=1&b=[2&3]}&signature=ab+/cd==",
            "&qrCode=https://qr.95516.com/00010000/01&empty="
        );
        let read = read_form(text).unwrap();
        assert_eq!(read["signature"], "ab+/cd==");
        assert_eq!(read["reserved"], "{a=1&b=[2&3]}");
        assert_eq!(read["respMsg"], "成功[0000000]");
        assert_eq!(read["qrCode"], "https://qr.95516.com/00010000/01");
        assert_eq!((read["empty"].as_str(), read.len()), ("", 6));
        assert!(read_form("=nameless").is_err());
    }

    #[test]
    fn an_unsigned_answer_is_only_ever_a_refusal() {
        let key = test_forms::sandbox().unionpay.unionpay.public;
        assert_eq!(
            read_answer(&key, 200, "respCode=11&respMsg=验证签名失败"),
            Err(GatewayError::Refused("11: 验证签名失败".into()))
        );
        assert_eq!(read_answer(&key, 200, "respCode=00&qrCode=x"), Err(GatewayError::BadSignature));
        assert_eq!(read_answer(&key, 200, "respCode=00&signMethod=01&signature=AAAA"), Err(GatewayError::BadSignature));
    }

    #[test]
    fn a_query_reads_paid_pending_or_failed_for_this_merchants_order_only() {
        let paid = [
            ("respCode", "00"),
            ("merId", "777"),
            ("orderId", "P1"),
            ("origRespCode", "00"),
            ("queryId", "Q1"),
            ("txnAmt", "1230"),
        ];
        let expected = ProviderState::Paid { provider_txn_id: "Q1".into(), amount_fen: Fen(1230) };
        assert_eq!(read_state(&answer(&paid), "777", "P1"), Ok(expected));
        assert!(matches!(read_state(&answer(&paid), "778", "P1"), Err(GatewayError::BadAnswer(_))));
        assert!(matches!(read_state(&answer(&paid), "777", "P2"), Err(GatewayError::BadAnswer(_))));
        let mut taken = answer(&paid);
        taken.insert("origRespCode".into(), "05".into());
        assert_eq!(read_state(&taken, "777", "P1"), Ok(ProviderState::Pending));
        assert_eq!(read_state(&answer(&[("respCode", "34")]), "777", "P1"), Ok(ProviderState::Pending));
        let mut failed = answer(&paid);
        failed
            .extend([("origRespCode".to_owned(), "01".to_owned()), ("origRespMsg".to_owned(), "交易失败".to_owned())]);
        assert_eq!(read_state(&failed, "777", "P1"), Ok(ProviderState::Failed("01 交易失败".into())));
        assert!(matches!(read_state(&answer(&[("respCode", "10")]), "777", "P1"), Err(GatewayError::Refused(_))));
        let mut fractional = answer(&paid);
        fractional.insert("txnAmt".into(), "12.30".into());
        assert!(matches!(read_state(&fractional, "777", "P1"), Err(GatewayError::BadAnswer(_))));
        let mut dollars = answer(&paid);
        dollars.insert("currencyCode".into(), "840".into());
        assert_eq!(read_state(&dollars, "777", "P1"), Err(GatewayError::Currency("840".into())));
    }

    #[test]
    fn a_refund_query_reads_done_under_way_failed_or_never_taken() {
        let asked = |orig: &str| {
            answer(&[
                ("respCode", "00"),
                ("merId", "777"),
                ("orderId", "R1"),
                ("origRespCode", orig),
                ("origRespMsg", "m"),
            ])
        };
        assert_eq!(read_refund(&asked("00"), "777", "R1"), RefundOutcome::Succeeded);
        assert_eq!(read_refund(&asked("05"), "777", "R1"), RefundOutcome::Processing);
        assert_eq!(read_refund(&asked("01"), "777", "R1"), RefundOutcome::Failed("01 m".into()));
        assert!(matches!(read_refund(&asked("00"), "777", "R2"), RefundOutcome::Later(_)));
        assert_eq!(read_refund(&answer(&[("respCode", "34")]), "777", "R1"), RefundOutcome::Unknown);
        assert!(matches!(
            read_refund(&answer(&[("respCode", "03")]), "777", "R1"),
            RefundOutcome::Later(GatewayError::Temporary(_))
        ));
    }
}
