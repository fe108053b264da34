//! A member's discount on a bill: a percentage off each line's energy fee and off its service
//! fee, rounded once per line to the fen (half away from zero, as every fee is), shown on the
//! line; the bill's discount is the lines' sum and its total falls by it.

use super::Bill;
use super::amounts::{money, sum};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a member level takes off, frozen onto an order when it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    /// The level it comes from.
    pub level: String,
    /// Percent off the energy fee (0 to 100).
    pub energy_pct: u8,
    /// Percent off the service fee (0 to 100).
    pub service_pct: u8,
}

impl Bill {
    /// The bill with `discount` taken off each line (none: as it is).
    pub fn with_discount(mut self, discount: Option<&Discount>) -> Bill {
        let Some(discount) = discount else { return self };
        let off = |fee: Decimal, pct: u8| money(fee * Decimal::from(pct.min(100)) / Decimal::ONE_HUNDRED);
        for line in &mut self.lines {
            line.discount = off(line.energy_fee, discount.energy_pct) + off(line.service_fee, discount.service_pct);
            line.amount = line.energy_fee + line.service_fee - line.discount;
        }
        self.discount = sum(self.lines.iter().map(|l| l.discount));
        self.total = self.recomputed_total();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tariffs::Reading;
    use crate::domain::tariffs::test_support::tariff;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_discount_comes_off_each_lines_fees_rounded_once_per_line_and_the_total_falls_by_their_sum() {
        let tariff = tariff(&[("00:00", "11:00", "0.50", "0.30"), ("11:00", "00:00", "1.00", "0.50")]);
        let zone = chrono_tz::Asia::Shanghai;
        let at = |h: u32| zone.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap().with_timezone(&Utc);
        let readings =
            [Reading { at: at(10), wh: 0 }, Reading { at: at(11), wh: 3_333 }, Reading { at: at(12), wh: 6_666 }];
        let full = tariff.bill(&readings, zone);
        let discount = Discount { level: "gold".into(), energy_pct: 0, service_pct: 15 };
        let off = full.clone().with_discount(Some(&discount));
        // 3.333 kWh × 0.30 = 1.00 → 15 % = 0.15; 3.333 kWh × 0.50 = 1.67 → 15 % = 0.25 (0.2505).
        let discounts: Vec<String> = off.lines.iter().map(|l| l.discount.to_string()).collect();
        assert_eq!(discounts, ["0.15", "0.25"]);
        assert_eq!(off.discount, Decimal::new(40, 2));
        assert_eq!(off.total, full.total - Decimal::new(40, 2));
        assert_eq!(off.total, sum(off.lines.iter().map(|l| l.amount)));
        assert_eq!((off.energy_fee, off.service_fee), (full.energy_fee, full.service_fee));
        // Shown on the line and the bill; a bill without one reads as before.
        let json = serde_json::to_value(&off).unwrap();
        assert_eq!(
            (&json["discount"], &json["lines"][0]["discount"]),
            (&serde_json::json!("0.40"), &serde_json::json!("0.15"))
        );
        assert!(serde_json::to_value(&full).unwrap().get("discount").is_none());
        assert_eq!(full.clone().with_discount(None), full);
        let all = Discount { level: "staff".into(), energy_pct: 100, service_pct: 100 };
        assert_eq!(full.with_discount(Some(&all)).total, Decimal::ZERO);
    }
}
