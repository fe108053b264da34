//! Member levels: the operator's ladder, lowest first, each a threshold on the last 12 months'
//! energy or spend and a percentage off the energy fee and the service fee. A driver's level is
//! the highest they reach; their progress is what the next one still asks.

use crate::domain::ledger::money::Fen;
use crate::domain::tariffs::Discount;
use crate::domain::units::Wh;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::str::FromStr;

/// What a level's threshold counts over the last 12 months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Energy charged, in Wh (given in kWh).
    Energy,
    /// Money spent on charging, in fen (given in yuan).
    Spend,
}

crate::domain::stored_text::stored_text!(Basis { Energy => "energy", Spend => "spend" });

/// A member level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub name: String,
    pub basis: Basis,
    /// Wh or fen.
    pub threshold: i64,
    pub energy_pct: u8,
    pub service_pct: u8,
}

/// The most levels a ladder may have.
const MAX_LEVELS: usize = 20;

impl Level {
    /// A level as the operator gives it: `threshold` in kWh (energy) or yuan (spend), as a
    /// number or a decimal string; percentages 0 to 100. The error names what is wrong.
    pub fn parse(
        name: &str,
        basis: &str,
        threshold: &serde_json::Value,
        energy_pct: i64,
        service_pct: i64,
    ) -> Result<Level, String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 32 {
            return Err(format!("name {name:?} is not 1 to 32 characters"));
        }
        let basis = Basis::parse(basis).ok_or_else(|| format!("basis {basis:?} is not energy or spend"))?;
        let text = match threshold {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.trim().to_owned(),
            other => return Err(format!("threshold {other} is not a number")),
        };
        let number = Decimal::from_str(&text).map_err(|_| format!("threshold {text:?} is not a number"))?;
        let scale = match basis {
            Basis::Energy => Decimal::ONE_THOUSAND,
            Basis::Spend => Decimal::ONE_HUNDRED,
        };
        let scaled = number * scale;
        let threshold = scaled
            .to_i64()
            .filter(|t| scaled.fract().is_zero() && *t >= 0)
            .ok_or_else(|| format!("threshold {text} is not a whole Wh or fen of at least 0"))?;
        let pct = |field: &str, value: i64| {
            u8::try_from(value).ok().filter(|p| *p <= 100).ok_or_else(|| format!("{field} {value} is not 0 to 100"))
        };
        Ok(Level {
            name: name.to_owned(),
            basis,
            threshold,
            energy_pct: pct("energyDiscountPct", energy_pct)?,
            service_pct: pct("serviceDiscountPct", service_pct)?,
        })
    }

    /// Whether 12 months of `energy_wh` and `spend` reach it.
    pub fn reached(&self, energy_wh: i64, spend: Fen) -> bool {
        match self.basis {
            Basis::Energy => energy_wh >= self.threshold,
            Basis::Spend => spend.get() >= self.threshold,
        }
    }

    /// What it takes off a bill.
    pub fn discount(&self) -> Discount {
        Discount { level: self.name.clone(), energy_pct: self.energy_pct, service_pct: self.service_pct }
    }

    /// The threshold in the unit it was given in: kWh, or yuan.
    pub fn shown_threshold(&self) -> String {
        match self.basis {
            Basis::Energy => Wh(self.threshold).kwh_text(),
            Basis::Spend => Fen(self.threshold).to_string(),
        }
    }
}

/// Checks a ladder: 0 to 20 levels, names unique.
pub fn checked(levels: Vec<Level>) -> Result<Vec<Level>, String> {
    if levels.len() > MAX_LEVELS {
        return Err(format!("{} levels: at most {MAX_LEVELS}", levels.len()));
    }
    for (i, level) in levels.iter().enumerate() {
        if levels[..i].iter().any(|other| other.name == level.name) {
            return Err(format!("the name {:?} is given twice", level.name));
        }
    }
    Ok(levels)
}

/// The highest level of `ladder` (lowest first) that 12 months of `energy_wh` and `spend`
/// reach, and the next one above it.
pub fn standing(ladder: &[Level], energy_wh: i64, spend: Fen) -> (Option<&Level>, Option<&Level>) {
    let reached = ladder.iter().rposition(|level| level.reached(energy_wh, spend));
    let next = match reached {
        Some(i) => ladder.get(i + 1),
        None => ladder.first(),
    };
    (reached.map(|i| &ladder[i]), next)
}

/// A level as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelView {
    pub name: String,
    pub basis: &'static str,
    /// kWh or yuan.
    pub threshold: String,
    pub energy_discount_pct: u8,
    pub service_discount_pct: u8,
}

impl From<&Level> for LevelView {
    fn from(level: &Level) -> Self {
        LevelView {
            name: level.name.clone(),
            basis: level.basis.as_str(),
            threshold: level.shown_threshold(),
            energy_discount_pct: level.energy_pct,
            service_discount_pct: level.service_pct,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ladder() -> Vec<Level> {
        checked(vec![
            Level::parse("silver", "energy", &json!(100), 0, 5).unwrap(),
            Level::parse("gold", "spend", &json!("500.00"), 0, 10).unwrap(),
            Level::parse("platinum", "energy", &json!(2000), 5, 20).unwrap(),
        ])
        .unwrap()
    }

    #[test]
    fn a_driver_stands_at_the_highest_level_they_reach_and_sees_the_next() {
        let ladder = ladder();
        let name = |l: Option<&Level>| l.map(|l| l.name.clone());
        let (level, next) = standing(&ladder, 99_999, Fen(0));
        assert_eq!((name(level), name(next)), (None, Some("silver".into())));
        let (level, next) = standing(&ladder, 100_000, Fen(49_999));
        assert_eq!((name(level), name(next)), (Some("silver".into()), Some("gold".into())));
        let (level, next) = standing(&ladder, 100_000, Fen(50_000));
        assert_eq!((name(level), name(next)), (Some("gold".into()), Some("platinum".into())));
        let (level, next) = standing(&ladder, 2_000_000, Fen(0));
        assert_eq!((name(level), name(next)), (Some("platinum".into()), None));
        assert_eq!(standing(&[], 1, Fen(1)), (None, None));
    }

    #[test]
    fn a_level_that_is_not_one_is_refused_with_what_is_wrong() {
        for (name, basis, threshold, e, s, says) in [
            ("", "energy", json!(1), 0, 0, "name"),
            ("x", "weight", json!(1), 0, 0, "basis"),
            ("x", "energy", json!("1.0001"), 0, 0, "whole Wh"),
            ("x", "spend", json!(-1), 0, 0, "at least 0"),
            ("x", "spend", json!(true), 0, 0, "not a number"),
            ("x", "spend", json!(1), 101, 0, "energyDiscountPct"),
            ("x", "spend", json!(1), 0, -1, "serviceDiscountPct"),
        ] {
            let error = Level::parse(name, basis, &threshold, e, s).unwrap_err();
            assert!(error.contains(says), "{error}");
        }
        let twice = vec![ladder()[0].clone(), ladder()[0].clone()];
        assert!(checked(twice).unwrap_err().contains("twice"));
        assert_eq!(LevelView::from(&ladder()[1]).threshold, "500.00");
        assert_eq!(LevelView::from(&ladder()[0]).threshold, "100");
    }
}
