//! `over_temperature` (high): the hottest temperature a pile reports above
//! `monitoring.temperature_max_c` raises; it clears only once below that threshold minus
//! `temperature_hysteresis_c`, so that a pile hovering at the threshold does not flap.

use super::{Kind, Level, Reported, Rule, Verdict};
use crate::config::MonitoringSettings;

pub(super) const KIND: Kind = Kind {
    name: "over_temperature",
    level: Level::High,
    title: "Over temperature",
    unit: Some("°C"),
    rule: Some(&OverTemperature),
};

/// Judges the hottest temperature of each MeterValues.
#[derive(Debug)]
struct OverTemperature;

impl Rule for OverTemperature {
    fn judge(&self, settings: &MonitoringSettings, reported: &Reported<'_>) -> Verdict {
        match reported {
            Reported::Readings { readings, .. } => {
                readings.hottest.map_or(Verdict::Keep, |hottest| temperature(settings, hottest))
            }
            _ => Verdict::Keep,
        }
    }
}

/// The hottest temperature reported (°C).
fn temperature(settings: &MonitoringSettings, hottest_c: f64) -> Verdict {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::domain::monitoring::live::Readings;
    use crate::domain::monitoring::rules::Current;

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
    fn readings_without_a_temperature_and_other_reports_leave_the_alarm_as_it_is() {
        let s = settings();
        let volts_only = Readings { volts: vec![230.0], ..Readings::default() };
        let reported = Reported::Readings { readings: &volts_only, current: Current::Ac };
        assert_eq!(OverTemperature.judge(&s, &reported), Verdict::Keep);
        assert_eq!(OverTemperature.judge(&s, &Reported::Heard), Verdict::Keep);
        let cool = Readings { hottest: Some(40.0), ..Readings::default() };
        let reported = Reported::Readings { readings: &cool, current: Current::Dc };
        assert_eq!(OverTemperature.judge(&s, &reported), Verdict::Clear);
    }
}
