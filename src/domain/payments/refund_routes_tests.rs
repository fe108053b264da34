//! Refund routes and spreads: balance payments to the balance, top-ups back to their provider off
//! the balance, an order's provider payments where the driver chose; the newest payment first,
//! never beyond what each has left.

use super::*;
use crate::domain::ledger::money::Fen;
use proptest::prelude::*;

/// A provider's method, its name made up: the rules know none by name.
fn provider(name: &'static str) -> Method {
    Method::Provider(crate::domain::payments::records::ProviderName::new(name))
}

fn paid(no: &str, method: Method, purpose: &str, left_fen: i64) -> Refundable {
    Refundable {
        payment_no: PaymentNo::parse(no).unwrap_or_else(|e| panic!("{e}")),
        method,
        purpose: purpose.into(),
        left_fen: Fen(left_fen),
    }
}

#[test]
fn each_payment_is_refunded_where_its_money_can_go() {
    use Destination::{Balance, Original};
    assert_eq!(Route::of(Method::Balance, "order", Original), Route::ToBalance);
    assert_eq!(Route::of(provider("wechat"), "order", Original), Route::ToProvider);
    assert_eq!(Route::of(provider("alipay"), "order", Balance), Route::ToBalance);
    assert_eq!(Route::of(provider("unionpay"), FOR_TOP_UP, Balance), Route::OffBalanceToProvider);
    assert_eq!(Route::OffBalanceToProvider.balance_change(Fen(500)), Some(Fen(-500)));
    assert_eq!(Route::ToProvider.balance_change(Fen(500)), None);
    assert!(Route::ToBalance.done_at_once() && !Route::ToProvider.done_at_once());
}

#[test]
fn an_amount_is_given_back_from_the_newest_payment_first_and_numbered_in_parts() {
    let payments = [paid("P2", provider("wechat"), "order", 300), paid("P1", Method::Balance, "order", 5_000)];
    let parts = spread(Fen(1_000), &payments, "R1", Destination::Original).unwrap();
    let got: Vec<(&str, &str, i64, Route)> =
        parts.iter().map(|p| (p.refund_no.as_str(), p.payment_no.as_str(), p.amount_fen.get(), p.route)).collect();
    assert_eq!(got, [("R1", "P2", 300, Route::ToProvider), ("R1N2", "P1", 700, Route::ToBalance)]);
    assert_eq!(spread(Fen(0), &payments, "R1", Destination::Original).unwrap(), []);
    assert_eq!(
        spread(Fen(5_301), &payments, "R1", Destination::Original),
        Err(RefundError::BeyondPaid { asked_fen: Fen(5_301), left_fen: Fen(5_300) })
    );
}

proptest! {
    #[test]
    fn the_parts_sum_to_the_amount_and_none_exceeds_what_its_payment_has_left(
        lefts in prop::collection::vec(0i64..10_000, 0..6), amount in 0i64..60_000,
    ) {
        let payments: Vec<Refundable> =
            lefts.iter().enumerate().map(|(i, l)| paid(&format!("P{i}"), Method::Balance, "order", *l)).collect();
        match spread(Fen(amount), &payments, "R", Destination::Balance) {
            Ok(parts) => {
                prop_assert_eq!(parts.iter().map(|p| p.amount_fen.get()).sum::<i64>(), amount);
                for part in &parts {
                    let left = payments.iter().find(|p| p.payment_no == part.payment_no).map_or(0, |p| p.left_fen.get());
                    prop_assert!(part.amount_fen.get() > 0 && part.amount_fen.get() <= left);
                }
            }
            Err(RefundError::BeyondPaid { left_fen, .. }) => prop_assert!(amount > left_fen.get()),
        }
    }
}
