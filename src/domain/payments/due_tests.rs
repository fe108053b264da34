use super::{PaymentDue, payment_due};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::order::Order;
use crate::domain::orders::records::{BillRead, MoneyRead};
use crate::domain::orders::status::{OrderStatus, PayMode, PaymentStatus};
use crate::domain::orders::test_order::order;

fn prepaid(amount_fen: i64) -> Order {
    Order {
        status: OrderStatus::PendingPayment,
        pay_mode: PayMode::Prepaid,
        prepay_fen: Some(Fen(amount_fen)),
        ..order()
    }
}

fn billed(total_fen: i64, paid_fen: i64) -> Order {
    Order { total_fen: Some(Fen(total_fen)), paid_fen: Fen(paid_fen), ..order() }
}

#[test]
fn a_prepaid_order_owes_its_amount_and_paying_it_makes_it_ready() {
    let order = prepaid(5_000);
    let due = payment_due(&order).expect("it owes");
    let read = (MoneyRead::of(&order), BillRead::of(&order));
    assert_eq!(
        due,
        PaymentDue {
            owed_fen: Fen(5_000),
            from: OrderStatus::PendingPayment,
            to: OrderStatus::Ready,
            money: read.0,
            bill: read.1
        }
    );
}

#[test]
fn a_completed_order_owes_what_its_bill_lacks_and_stays_completed() {
    let due = payment_due(&billed(800, 100)).expect("it owes");
    assert_eq!((due.owed_fen.get(), due.from, due.to), (700, OrderStatus::Completed, OrderStatus::Completed));
}

#[test]
fn an_operators_gift_after_the_bill_is_not_owed_again() {
    let mut order = billed(800, 800);
    (order.refunded_fen, order.gift_fen) = (Fen(300), Fen(300));
    assert_eq!(payment_due(&order), None);
}

#[test]
fn a_paid_order_or_one_that_charges_owes_nothing_now() {
    let mut paid = prepaid(5_000);
    paid.payment_status = PaymentStatus::Paid;
    assert_eq!(payment_due(&paid), None);
    let charging = Order { status: OrderStatus::Charging, ..billed(800, 0) };
    assert_eq!(payment_due(&charging), None);
    assert_eq!(payment_due(&billed(800, 800)), None);
}
