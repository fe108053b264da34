//! Order and payment numbers: unique across csms nodes and guessable by nobody — the day, then
//! 80 random bits from the operating system.

use crate::domain::ids::{OrderNo, PaymentNo};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};

/// A new number: `prefix`, the UTC day (`20261201`), 20 random hex digits: 29 characters.
pub fn new_number(prefix: char, now: DateTime<Utc>) -> String {
    let mut random = [0u8; 10];
    OsRng.fill_bytes(&mut random);
    let mut number = String::with_capacity(30);
    number.push(prefix);
    number.push_str(&now.format("%Y%m%d").to_string());
    for byte in random {
        number.push_str(&format!("{byte:02X}"));
    }
    number
}

/// A new order's number (`C…`).
pub fn new_order_no(now: DateTime<Utc>) -> OrderNo {
    OrderNo::generated(new_number('C', now))
}

/// A new payment's number (`P…`).
pub fn new_payment_no(now: DateTime<Utc>) -> PaymentNo {
    PaymentNo::generated(new_number('P', now))
}

/// A remote start id (2.0.1's `remoteStartId`): random and positive.
pub fn new_remote_start_id() -> i32 {
    (OsRng.next_u32() & 0x7FFF_FFFF).max(1) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_carry_the_day_and_differ_each_time() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z").unwrap().to_utc();
        let (a, b) = (new_number('C', at), new_number('C', at));
        assert!(a.starts_with("C20261201"), "{a}");
        assert_eq!(a.len(), 29);
        assert_ne!(a, b);
        assert!(new_remote_start_id() > 0);
    }
}
