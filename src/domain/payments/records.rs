//! What the store is asked to do with payments and refunds.

/// How a payment is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Balance,
    Wechat,
    Alipay,
    Unionpay,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Balance => "balance",
            Method::Wechat => "wechat",
            Method::Alipay => "alipay",
            Method::Unionpay => "unionpay",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "balance" => Method::Balance,
            "wechat" => Method::Wechat,
            "alipay" => Method::Alipay,
            "unionpay" => Method::Unionpay,
            _ => return None,
        })
    }
}

/// A payment's state, as stored.
pub const PENDING: &str = "PENDING";
pub const SUCCEEDED: &str = "SUCCEEDED";
pub const FAILED: &str = "FAILED";
pub const CLOSED: &str = "CLOSED";

/// An order paid from the balance, in one transaction: the payment row, the debit and its
/// ledger row, and the order's money — only while the order owes it (`Conflict` otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalancePayment {
    pub payment_no: String,
    pub user_id: i64,
    pub order_no: String,
    pub amount_fen: i64,
}

/// Money given back from a payment, in one transaction with the payment's refunded amount
/// (never more than paid minus already refunded) and, to the balance, the credit and its
/// ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    pub refund_no: String,
    pub payment_no: String,
    pub amount_fen: i64,
    pub reason: Option<String>,
}
