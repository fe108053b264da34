//! `voltage` (medium): a voltage reported outside the pile's own range raises — AC piles
//! `monitoring.ac_voltage_min_v`–`ac_voltage_max_v`, DC piles `dc_voltage_min_v`–`dc_voltage_max_v`
//! — and every phase back inside clears.

use super::{Current, Kind, Level, Reported, Rule, Verdict};
use crate::config::MonitoringSettings;

pub(super) const KIND: Kind =
    Kind { name: "voltage", level: Level::Medium, title: "Voltage", unit: Some("V"), rule: Some(&Voltage) };

/// Judges the voltages of each MeterValues.
#[derive(Debug)]
struct Voltage;

impl Rule for Voltage {
    fn judge(&self, settings: &MonitoringSettings, reported: &Reported<'_>) -> Verdict {
        match reported {
            Reported::Readings { readings, current } => voltage(settings, *current, &readings.volts),
            _ => Verdict::Keep,
        }
    }
}

/// The voltages reported at once (every phase): one outside the pile's range raises.
fn voltage(settings: &MonitoringSettings, current: Current, volts: &[f64]) -> Verdict {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::domain::monitoring::live::Readings;

    fn settings() -> MonitoringSettings {
        Settings::defaults().unwrap().monitoring
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
    fn the_rule_judges_readings_by_the_piles_current_and_nothing_else() {
        let s = settings();
        let dc = Readings { volts: vec![400.0], ..Readings::default() };
        assert_eq!(Voltage.judge(&s, &Reported::Readings { readings: &dc, current: Current::Dc }), Verdict::Clear);
        let reported = Reported::Readings { readings: &dc, current: Current::Ac };
        assert!(matches!(Voltage.judge(&s, &reported), Verdict::Raise { .. }));
        assert_eq!(Voltage.judge(&s, &Reported::Silent { last_seen: None }), Verdict::Keep);
    }
}
