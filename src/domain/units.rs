//! Quantities kept as whole units of an integer (money in fen, energy in Wh): `whole_unit!` gives
//! each its checked arithmetic; `Wh` is energy as meter registers count it.

/// Gives `$ty`, a newtype over `i64`, `ZERO`, `get` and checked sums and differences (`None`
/// when they overflow).
macro_rules! whole_unit {
    ($ty:ident) => {
        impl $ty {
            pub const ZERO: $ty = $ty(0);

            /// The bare number of units.
            pub const fn get(self) -> i64 {
                self.0
            }

            /// `self + other`, none when it does not fit.
            pub const fn checked_add(self, other: $ty) -> Option<$ty> {
                match self.0.checked_add(other.0) {
                    Some(sum) => Some($ty(sum)),
                    None => None,
                }
            }

            /// `self − other`, none when it does not fit.
            pub const fn checked_sub(self, other: $ty) -> Option<$ty> {
                match self.0.checked_sub(other.0) {
                    Some(difference) => Some($ty(difference)),
                    None => None,
                }
            }
        }
    };
}

pub(crate) use whole_unit;

/// Energy in whole watt-hours: a meter register's reading, or the difference of two.
/// Written and read as the bare integer, as JSON and the store had it before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Wh(pub i64);

whole_unit!(Wh);

impl Wh {
    /// The energy in kWh, as few places as it needs (`12500` Wh: `"12.5"`): how a driver's
    /// target and a level's threshold are shown.
    pub fn kwh_text(self) -> String {
        rust_decimal::Decimal::new(self.0, 3).normalize().to_string()
    }
}

impl std::fmt::Display for Wh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} Wh", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_sums_and_differences_are_checked() {
        assert_eq!(Wh(4_200).checked_sub(Wh(1_000)), Some(Wh(3_200)));
        assert_eq!(Wh(1).checked_add(Wh(2)).map(Wh::get), Some(3));
        assert_eq!(Wh(i64::MIN).checked_sub(Wh(1)), None);
        assert_eq!(Wh(i64::MAX).checked_add(Wh(1)), None);
        assert_eq!(Wh(3_200).to_string(), "3200 Wh");
        assert_eq!(
            (Wh(12_500).kwh_text(), Wh(1_000_000).kwh_text(), Wh(1).kwh_text()),
            ("12.5".into(), "1000".into(), "0.001".into())
        );
    }

    #[test]
    fn energy_is_written_and_read_as_the_bare_integer() {
        assert_eq!(serde_json::to_string(&Wh(3_200)).ok(), Some("3200".to_owned()));
        assert_eq!(serde_json::to_string(&Some(Wh(-5))).ok(), Some("-5".to_owned()));
        assert_eq!(serde_json::from_str::<Wh>("3200").ok(), Some(Wh(3_200)));
    }
}
