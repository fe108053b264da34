//! After the crash, over the API as an operator and each driver would look: every order
//! COMPLETED and billed right (its energy the charger's meterStop − meterStart, its total what the
//! flat tariff gives for it, paid), billed once (one order per driver and pile, one transaction
//! per pile, one payment per order, no second bill), and each balance its ledger's sum and the
//! driver's credit less their bill.

use super::session::Outcome;
use super::setup::{CREDIT, bill_of};
use crate::http::Pool;
use futures_util::StreamExt;
use rust_decimal::Decimal;
use serde_json::Value;

/// Sessions checked at once.
const AT_ONCE: usize = 32;

/// What the check found.
#[derive(Debug, Default)]
pub(super) struct Findings {
    pub(super) completed: usize,
    pub(super) review: usize,
    /// Orders not COMPLETED, or billed another energy or total than the charger's, or not paid.
    pub(super) wrong: usize,
    /// Orders billed more than once: a second order, transaction, payment or bill.
    pub(super) twice: usize,
    /// Balances other than their ledger's sum, or than the credit less the bill.
    pub(super) balances_off: usize,
    /// The energy and money billed, Wh and yuan.
    pub(super) energy_wh: i64,
    pub(super) billed: Decimal,
    pub(super) problems: Vec<String>,
}

/// One session's verdicts.
#[derive(Debug, Default)]
struct Verdict {
    status: String,
    wrong: Option<String>,
    twice: Option<String>,
    off: Option<String>,
    energy_wh: i64,
    billed: Decimal,
}

/// Checks every session that reached its stop.
pub(super) async fn verify(api: &Pool, token: &str, sessions: &[Outcome]) -> Findings {
    let verdicts: Vec<(String, Verdict)> = futures_util::stream::iter(sessions.iter().filter(|s| s.order_no.is_some()))
        .map(|s| async move { (s.pile.clone(), check(api, token, s).await) })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let mut found = Findings::default();
    for (pile, v) in verdicts {
        match v.status.as_str() {
            "COMPLETED" => found.completed += 1,
            "REVIEW" => found.review += 1,
            _ => {}
        }
        found.energy_wh += v.energy_wh;
        found.billed += v.billed;
        for (count, problem) in
            [(&mut found.wrong, v.wrong), (&mut found.twice, v.twice), (&mut found.balances_off, v.off)]
        {
            if let Some(problem) = problem {
                *count += 1;
                found.problems.push(format!("{pile}: {problem}"));
            }
        }
    }
    found.problems.sort();
    found
}

async fn check(api: &Pool, token: &str, s: &Outcome) -> Verdict {
    match look(api, token, s).await {
        Ok(verdict) => verdict,
        Err(e) => Verdict { status: "unknown".into(), wrong: Some(e), ..Default::default() },
    }
}

async fn look(api: &Pool, op: &str, s: &Outcome) -> Result<Verdict, String> {
    let no = s.order_no.as_deref().unwrap_or_default();
    let me = s.user.token.as_str();
    let order = get(api, me, &format!("/api/v1/orders/{no}")).await?;
    let status = order["status"].as_str().unwrap_or("").to_owned();
    let meter_stop = s.meter_stop.ok_or("the charger never stopped")?;
    let energy = meter_stop - s.meter_start;
    let expected = bill_of(energy);
    let billed = order["energyWh"].as_i64();
    let total = order["totalAmount"].as_str().and_then(|t| t.parse::<Decimal>().ok());
    let mut verdict = Verdict {
        status: status.clone(),
        energy_wh: billed.unwrap_or(0),
        billed: total.unwrap_or_default(),
        ..Default::default()
    };
    let paid = order["paymentStatus"].as_str().unwrap_or("");
    if status != "COMPLETED" || billed != Some(energy) || total != Some(expected) || paid != "PAID" {
        verdict.wrong = Some(format!(
            "order {no} {status} ({}), {} Wh billed {} {paid}; the charger metered {energy} Wh: {expected}",
            order["reviewReason"].as_str().unwrap_or("-"),
            billed.map_or("no".into(), |b| b.to_string()),
            order["totalAmount"].as_str().unwrap_or("nothing"),
        ));
    }

    let mut twice = Vec::new();
    if let Some(revisions) = order["revisions"].as_array().filter(|r| !r.is_empty()) {
        twice.push(format!("billed {} times", revisions.len() + 1));
    }
    let orders = get(api, me, "/api/v1/orders?pageSize=100").await?;
    if orders["total"] != 1 {
        twice.push(format!("{} orders", orders["total"]));
    }
    let transactions = get(api, op, &format!("/api/v1/transactions?charger={}&pageSize=100", s.pile)).await?;
    if transactions["total"] != 1 {
        twice.push(format!("{} transactions", transactions["total"]));
    }
    let payments = get(api, me, "/api/v1/payments?pageSize=100").await?;
    let items = payments["items"].as_array().cloned().unwrap_or_default();
    let paid = items.iter().filter(|p| p["orderNo"] == no && p["status"] == "SUCCEEDED").count();
    // A prepayment, or the postpaid bill taken from the balance (none for a bill of nothing).
    let payments = usize::from(s.prepaid || !expected.is_zero());
    if paid != payments {
        twice.push(format!("{paid} payments of order {no}, not {payments}"));
    }
    if !twice.is_empty() {
        verdict.twice = Some(twice.join(", "));
    }

    let balance = fen(&get(api, me, "/api/v1/me/balance").await?["balance"])?;
    let ledger = get(api, me, "/api/v1/me/ledger?pageSize=100").await?;
    let rows = ledger["items"].as_array().cloned().unwrap_or_default();
    if ledger["total"].as_u64() != Some(rows.len() as u64) {
        return Err(format!("a ledger of {} rows", ledger["total"]));
    }
    let sum = rows.iter().map(|row| fen(&row["amount"])).sum::<Result<i64, String>>()?;
    let owed = fen(&Value::String(CREDIT.into()))? - fen(&Value::String(expected.to_string()))?;
    if balance != sum || balance != owed {
        verdict.off = Some(format!(
            "balance {} fen, its ledger's {} rows sum to {sum}, the credit less the bill is {owed}",
            balance,
            rows.len()
        ));
    }
    Ok(verdict)
}

/// A GET answered 200, its body.
async fn get(api: &Pool, token: &str, path: &str) -> Result<Value, String> {
    let answer = api.send("GET", path, Some(token), None).await.map_err(|e| format!("GET {path}: {e}"))?;
    if answer.status != 200 {
        return Err(format!("GET {path}: HTTP {} {}", answer.status, answer.body));
    }
    Ok(answer.body)
}

/// Yuan as text (`"12.30"`, `"-0.50"`) in fen.
fn fen(amount: &Value) -> Result<i64, String> {
    let yuan = amount.as_str().and_then(|t| t.parse::<Decimal>().ok()).ok_or(format!("not an amount: {amount}"))?;
    let fen = yuan * Decimal::ONE_HUNDRED;
    if !fen.fract().is_zero() {
        return Err(format!("not whole fen: {amount}"));
    }
    i64::try_from(fen).map_err(|_| format!("out of range: {amount}"))
}
