//! The alarm rules, without I/O: what a pile's readings and statuses mean — raise, clear, or
//! leave as it is — given the thresholds.

use crate::config::MonitoringSettings;

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlarmKind {
    OverTemperature,
    Voltage,
    Offline,
    Fault,
    /// A session's meter register could not be billed by itself: its order waits in `REVIEW`.
    MeterAnomaly,
    /// The money audit found a balance, an order or a payment that does not add up (a platform
    /// alarm: no pile).
    LedgerMismatch,
    /// A refund is stuck at its provider (WeChat `ABNORMAL`): the operator must finish it there.
    /// Raised for the refund's order's pile, or as a platform alarm for a top-up's refund.
    RefundAbnormal,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 7] = [
        AlarmKind::OverTemperature,
        AlarmKind::Voltage,
        AlarmKind::Offline,
        AlarmKind::Fault,
        AlarmKind::MeterAnomaly,
        AlarmKind::LedgerMismatch,
        AlarmKind::RefundAbnormal,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AlarmKind::OverTemperature => "over_temperature",
            AlarmKind::Voltage => "voltage",
            AlarmKind::Offline => "offline",
            AlarmKind::Fault => "fault",
            AlarmKind::MeterAnomaly => "meter_anomaly",
            AlarmKind::LedgerMismatch => "ledger_mismatch",
            AlarmKind::RefundAbnormal => "refund_abnormal",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        AlarmKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// How urgent it is.
    pub const fn level(self) -> &'static str {
        match self {
            AlarmKind::Voltage | AlarmKind::MeterAnomaly | AlarmKind::RefundAbnormal => "medium",
            AlarmKind::OverTemperature | AlarmKind::Offline | AlarmKind::Fault | AlarmKind::LedgerMismatch => "high",
        }
    }
}

/// What a rule decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The condition holds: raise (once) with this message and value.
    Raise { message: String, value: String },
    /// The condition ended: clear.
    Clear,
    /// Neither (within the hysteresis band, or nothing to judge).
    Keep,
}

/// A pile's kind, for its voltage range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Current {
    Ac,
    Dc,
}

/// The hottest temperature reported (°C).
pub fn temperature(settings: &MonitoringSettings, hottest_c: f64) -> Verdict {
    if hottest_c > settings.temperature_max_c {
        Verdict::Raise {
            message: format!("temperature {hottest_c:.1} °C is above {:.1} °C", settings.temperature_max_c),
            value: format!("{hottest_c:.1}"),
        }
    } else if hottest_c < settings.temperature_max_c - settings.temperature_hysteresis_c {
        Verdict::Clear
    } else {
        Verdict::Keep
    }
}

/// The voltages reported at once (every phase): one outside the pile's range raises.
pub fn voltage(settings: &MonitoringSettings, current: Current, volts: &[f64]) -> Verdict {
    let (low, high) = match current {
        Current::Ac => (settings.ac_voltage_min_v, settings.ac_voltage_max_v),
        Current::Dc => (settings.dc_voltage_min_v, settings.dc_voltage_max_v),
    };
    let outside = volts.iter().copied().find(|v| *v < low || *v > high);
    match (outside, volts.is_empty()) {
        (Some(v), _) => Verdict::Raise {
            message: format!("voltage {v:.1} V is outside {low:.0}–{high:.0} V"),
            value: format!("{v:.1}"),
        },
        (None, true) => Verdict::Keep,
        (None, false) => Verdict::Clear,
    }
}

/// A connector's status: `Faulted` raises with its error code; any other clears when no other
/// connector of the pile is faulted (`others_faulted`).
pub fn fault(status: &str, error_code: Option<&str>, connector: (i32, i32), others_faulted: bool) -> Verdict {
    if status == "Faulted" {
        let code = error_code.filter(|c| !c.is_empty()).unwrap_or("no error code");
        Verdict::Raise {
            message: format!("connector {}/{} is Faulted: {code}", connector.0, connector.1),
            value: code.to_owned(),
        }
    } else if others_faulted {
        Verdict::Keep
    } else {
        Verdict::Clear
    }
}

/// A temperature reading in °C, from its unit (`Celsius` by default, `Fahrenheit`, `K`).
pub fn celsius(value: f64, unit: &str) -> Option<f64> {
    match unit {
        // No unit given reads as OCPP's default (stored as Wh): a temperature is then in °C.
        "Celsius" | "" | "Wh" => Some(value),
        "Fahrenheit" => Some((value - 32.0) * 5.0 / 9.0),
        "K" => Some(value - 273.15),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn settings() -> MonitoringSettings {
        Settings::defaults().unwrap().monitoring
    }

    #[test]
    fn a_temperature_above_the_threshold_raises_and_clears_only_below_the_hysteresis() {
        let s = settings();
        assert!(matches!(temperature(&s, 85.0), Verdict::Raise { value, .. } if value == "85.0"));
        assert_eq!(temperature(&s, 80.0), Verdict::Keep, "at the threshold: not above it");
        assert_eq!(temperature(&s, 77.0), Verdict::Keep, "inside the hysteresis band");
        assert_eq!(temperature(&s, 74.9), Verdict::Clear);
    }

    #[test]
    fn a_voltage_outside_the_piles_own_range_raises_and_every_phase_back_inside_clears() {
        let s = settings();
        assert!(
            matches!(voltage(&s, Current::Ac, &[230.0, 195.0, 231.0]), Verdict::Raise { value, .. } if value == "195.0")
        );
        assert!(matches!(voltage(&s, Current::Ac, &[251.0]), Verdict::Raise { .. }));
        assert_eq!(voltage(&s, Current::Ac, &[200.0, 250.0]), Verdict::Clear);
        assert_eq!(voltage(&s, Current::Dc, &[400.0]), Verdict::Clear, "400 V is a DC pile's normal");
        assert!(matches!(voltage(&s, Current::Dc, &[1200.0]), Verdict::Raise { .. }));
        assert_eq!(voltage(&s, Current::Ac, &[]), Verdict::Keep);
    }

    #[test]
    fn a_faulted_connector_raises_with_its_error_code_and_clears_when_no_connector_is_faulted() {
        assert!(
            matches!(fault("Faulted", Some("GroundFailure"), (0, 1), false), Verdict::Raise { value, .. } if value == "GroundFailure")
        );
        assert_eq!(fault("Available", None, (0, 1), true), Verdict::Keep);
        assert_eq!(fault("Available", None, (0, 1), false), Verdict::Clear);
    }

    #[test]
    fn temperatures_in_other_units_are_read_in_celsius() {
        assert_eq!(celsius(176.0, "Fahrenheit"), Some(80.0));
        assert_eq!(celsius(353.15, "K").map(|c| (c * 100.0).round() / 100.0), Some(80.0));
        assert_eq!(celsius(1.0, "kW"), None);
    }

    #[test]
    fn kinds_have_their_levels_and_spellings() {
        for kind in AlarmKind::ALL {
            assert_eq!(AlarmKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!((AlarmKind::Voltage.level(), AlarmKind::Offline.level()), ("medium", "high"));
    }
}
