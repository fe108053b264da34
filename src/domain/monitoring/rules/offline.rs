//! `offline` (high): a charger silent for `monitoring.offline_after_s` that no live node holds
//! raises (the watcher keeps the deadlines and asks the database: `monitoring/offline.rs`);
//! any message from it clears.

use super::{Kind, Level, Reported, Rule, Verdict};
use crate::config::MonitoringSettings;

pub(super) const KIND: Kind =
    Kind { name: "offline", level: Level::High, title: "Offline", unit: None, rule: Some(&Offline) };

/// Judges silences and messages.
#[derive(Debug)]
struct Offline;

impl Rule for Offline {
    fn judge(&self, settings: &MonitoringSettings, reported: &Reported<'_>) -> Verdict {
        match reported {
            Reported::Silent { last_seen } => {
                let since = last_seen.map_or_else(|| "never".to_owned(), |at| at.to_rfc3339());
                Verdict::Raise {
                    message: format!("no message for {} s (last seen {since})", settings.offline_after_s),
                    value: since,
                }
            }
            // Whatever it said, it is there.
            Reported::Heard => Verdict::Clear,
            Reported::Readings { .. } | Reported::Status { .. } => Verdict::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_silent_charger_raises_with_when_it_was_last_seen_and_any_message_clears() {
        let s = Settings::defaults().unwrap().monitoring;
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
        let raised = Offline.judge(&s, &Reported::Silent { last_seen: Some(at) });
        let expected = Verdict::Raise {
            message: "no message for 300 s (last seen 2026-03-01T08:00:00+00:00)".into(),
            value: "2026-03-01T08:00:00+00:00".into(),
        };
        assert_eq!(raised, expected);
        let never = Offline.judge(&s, &Reported::Silent { last_seen: None });
        assert!(matches!(never, Verdict::Raise { value, .. } if value == "never"));
        assert_eq!(Offline.judge(&s, &Reported::Heard), Verdict::Clear);
    }
}
