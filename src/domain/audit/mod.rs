//! The money audit an operator can run (`csms audit`, and a periodic job): every balance equals
//! the sum of its ledger; every completed, paid order keeps exactly its bill, less the refunds an
//! operator made after it was settled; no payment is refunded beyond its amount (nor beyond what
//! its refunds add up to); no energy sample is billed by two orders. Unpaid orders are money owed,
//! listed, not mismatches. A run's mismatches are logged with their ids, raise the platform alarm
//! `ledger_mismatch`, set `csms_audit_mismatches`, and the run is kept for `GET /api/v1/audit`.

mod port;
pub mod service;

pub use port::AuditStore;
pub use service::Audit;

use crate::domain::ledger::fen_string;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What kind of sum does not add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MismatchKind {
    /// A user's balance is not the sum of their ledger rows.
    BalanceVsLedger,
    /// A completed, paid order keeps other than its bill (less operators' later refunds), or any
    /// order's counters disagree with its payments.
    OrderMoney,
    /// A payment is refunded beyond its amount, or its refunds do not add up to what it says.
    PaymentRefunds,
    /// One energy reading is in two billed sessions.
    SampleBilledTwice,
}

impl MismatchKind {
    pub const ALL: [MismatchKind; 4] = [
        MismatchKind::BalanceVsLedger,
        MismatchKind::OrderMoney,
        MismatchKind::PaymentRefunds,
        MismatchKind::SampleBilledTwice,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            MismatchKind::BalanceVsLedger => "balance_vs_ledger",
            MismatchKind::OrderMoney => "order_money",
            MismatchKind::PaymentRefunds => "payment_refunds",
            MismatchKind::SampleBilledTwice => "sample_billed_twice",
        }
    }
}

/// One thing that does not add up, named by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mismatch {
    pub kind: MismatchKind,
    /// `user:<id>`, `order:<no>`, `payment:<no>`, `sample:<charger>/<connector>@<time>`.
    pub id: String,
    /// What it should be and what it is (money as yuan, counts as numbers).
    pub expected: String,
    pub found: String,
}

/// An order whose bill is not paid: money the driver owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owed {
    pub order_no: String,
    pub user_id: i64,
    pub amount: String,
}

/// How much was looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checked {
    pub users: i64,
    pub orders: i64,
    pub payments: i64,
}

/// What the store found, raw (see `Store::audit_findings`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// (user id, balance, ledger sum), fen.
    pub balances: Vec<(i64, i64, i64)>,
    /// (order no, kept, what it should keep: its bill less operators' gifts, or what its
    /// payments keep), fen.
    pub orders: Vec<(String, i64, i64)>,
    /// (payment no, amount, refunded, refunds' sum), fen.
    pub payments: Vec<(String, i64, i64, i64)>,
    /// (where and when the reading was, how many billed sessions hold it).
    pub samples: Vec<(String, i64)>,
    /// (order no, user id, owed), fen.
    pub owed: Vec<(String, i64, i64)>,
    pub checked: Checked,
}

/// A run of the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub ran_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub mismatches: Vec<Mismatch>,
    pub owed: Vec<Owed>,
    pub checked: Checked,
}

impl AuditReport {
    /// The report of `findings`.
    pub fn of(findings: Findings, ran_at: DateTime<Utc>, duration_ms: i64) -> Self {
        let mut mismatches = Vec::new();
        for (user_id, balance, ledger) in findings.balances {
            mismatches.push(Mismatch {
                kind: MismatchKind::BalanceVsLedger,
                id: format!("user:{user_id}"),
                expected: fen_string(ledger),
                found: fen_string(balance),
            });
        }
        for (order_no, kept, total) in findings.orders {
            mismatches.push(Mismatch {
                kind: MismatchKind::OrderMoney,
                id: format!("order:{order_no}"),
                expected: fen_string(total),
                found: fen_string(kept),
            });
        }
        for (payment_no, amount, refunded, refunds) in findings.payments {
            mismatches.push(Mismatch {
                kind: MismatchKind::PaymentRefunds,
                id: format!("payment:{payment_no}"),
                expected: format!("refunded {} ≤ {} and = its refunds", fen_string(refunded), fen_string(amount)),
                found: format!("refunds {}", fen_string(refunds)),
            });
        }
        for (reading, sessions) in findings.samples {
            mismatches.push(Mismatch {
                kind: MismatchKind::SampleBilledTwice,
                id: format!("sample:{reading}"),
                expected: "1".to_owned(),
                found: sessions.to_string(),
            });
        }
        let owed = findings
            .owed
            .into_iter()
            .map(|(order_no, user_id, fen)| Owed { order_no, user_id, amount: fen_string(fen) })
            .collect();
        AuditReport { ran_at, duration_ms, mismatches, owed, checked: findings.checked }
    }

    /// How many mismatches of `kind`.
    pub fn count(&self, kind: MismatchKind) -> usize {
        self.mismatches.iter().filter(|m| m.kind == kind).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_show_every_kind_of_mismatch_at_zero() {
        let names: Vec<&str> = MismatchKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, crate::metrics::MISMATCH_KINDS);
    }

    #[test]
    fn each_finding_becomes_a_mismatch_named_by_its_id_and_unpaid_orders_are_owed() {
        let findings = Findings {
            balances: vec![(7, 950, 1_000)],
            orders: vec![("C1".into(), 1_500, 4_500)],
            payments: vec![("P1".into(), 5_000, 5_100, 5_100)],
            samples: vec![("CP/1@2026-12-01T10:00:00Z".into(), 2)],
            owed: vec![("C2".into(), 7, 800)],
            checked: Checked { users: 1, orders: 2, payments: 1 },
        };
        let report = AuditReport::of(findings, Utc::now(), 3);
        let ids: Vec<(&str, &str, &str)> =
            report.mismatches.iter().map(|m| (m.kind.as_str(), m.id.as_str(), m.found.as_str())).collect();
        assert_eq!(
            ids,
            [
                ("balance_vs_ledger", "user:7", "9.50"),
                ("order_money", "order:C1", "15.00"),
                ("payment_refunds", "payment:P1", "refunds 51.00"),
                ("sample_billed_twice", "sample:CP/1@2026-12-01T10:00:00Z", "2"),
            ]
        );
        assert_eq!(report.owed, [Owed { order_no: "C2".into(), user_id: 7, amount: "8.00".into() }]);
        assert_eq!(report.count(MismatchKind::OrderMoney), 1);
    }
}
