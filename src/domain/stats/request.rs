//! What a statistics request asks for — a range of local days, how to group, which station —
//! read from the query's text and checked before any query runs.

use super::StatsError;
use chrono::NaiveDate;

/// The longest range grouped by day: a year, a leap day included.
pub const MAX_DAYS_BY_DAY: i64 = 366;
/// The longest range grouped by station or pile: ten years.
pub const MAX_DAYS: i64 = 3660;

/// How the figures are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// One group per local day of the range.
    Day,
    /// One group per station.
    Station,
    /// One group per pile.
    Pile,
}

impl GroupBy {
    /// The spelling in requests and answers.
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Station => "station",
            GroupBy::Pile => "pile",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "day" => Some(GroupBy::Day),
            "station" => Some(GroupBy::Station),
            "pile" => Some(GroupBy::Pile),
            _ => None,
        }
    }
}

/// A checked request: local days `from` (included) to `to` (excluded), each station counting in
/// its own time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: GroupBy,
    /// Only this station's piles.
    pub station: Option<String>,
}

impl StatsQuery {
    /// Reads the query's parameters as sent: `from` and `to` as `YYYY-MM-DD`, `groupBy` (default
    /// `day`), `station` (a code; empty means none). `Invalid` names the first wrong one.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        group_by: Option<&str>,
        station: Option<&str>,
    ) -> Result<Self, StatsError> {
        let from = date("from", from)?;
        let to = date("to", to)?;
        let group_by = match group_by.map(str::trim).filter(|g| !g.is_empty()) {
            None => GroupBy::Day,
            Some(text) => GroupBy::parse(text).ok_or_else(|| invalid("groupBy", "one of day, station or pile"))?,
        };
        if from >= to {
            return Err(invalid("to", "must be after from (to is the first day not counted)"));
        }
        let days = (to - from).num_days();
        let most = if group_by == GroupBy::Day { MAX_DAYS_BY_DAY } else { MAX_DAYS };
        if days > most {
            return Err(invalid(
                "to",
                &format!("at most {most} days after from when grouped by {}", group_by.as_str()),
            ));
        }
        let station = station.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(StatsQuery { from, to, group_by, station })
    }

    /// The local days counted, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let to = self.to;
        self.from.iter_days().take_while(move |day| *day < to)
    }
}

fn date(field: &'static str, text: Option<&str>) -> Result<NaiveDate, StatsError> {
    let text = text.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| invalid(field, "required (YYYY-MM-DD)"))?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| invalid(field, "a date such as 2026-12-01"))
}

fn invalid(field: &'static str, message: &str) -> StatsError {
    StatsError::Invalid { field, message: message.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    fn refused(from: &str, to: &str, group_by: Option<&str>) -> String {
        match StatsQuery::parse(Some(from), Some(to), group_by, None) {
            Err(e) => e.to_string(),
            Ok(q) => format!("accepted {q:?}"),
        }
    }

    #[test]
    fn a_range_of_days_is_read_with_day_grouping_by_default() {
        let q = StatsQuery::parse(Some("2026-12-01"), Some("2026-12-03"), None, Some(" "))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            q,
            StatsQuery { from: day("2026-12-01"), to: day("2026-12-03"), group_by: GroupBy::Day, station: None }
        );
        assert_eq!(q.days().collect::<Vec<_>>(), vec![day("2026-12-01"), day("2026-12-02")]);
        let q = StatsQuery::parse(Some("2026-12-01"), Some("2027-12-01"), Some("pile"), Some("ST-1"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q.group_by, q.station.as_deref()), (GroupBy::Pile, Some("ST-1")));
    }

    #[test]
    fn the_end_must_follow_the_start() {
        assert!(refused("2026-12-02", "2026-12-02", None).starts_with("to: must be after from"));
        assert!(refused("2026-12-03", "2026-12-02", None).starts_with("to: must be after from"));
    }

    #[test]
    fn a_day_by_day_range_is_at_most_a_year_and_others_ten() {
        assert!(StatsQuery::parse(Some("2028-01-01"), Some("2029-01-01"), None, None).is_ok());
        assert_eq!(refused("2026-01-01", "2027-01-03", None), "to: at most 366 days after from when grouped by day");
        assert!(StatsQuery::parse(Some("2026-01-01"), Some("2027-01-03"), Some("station"), None).is_ok());
        assert_eq!(
            refused("2016-01-01", "2027-01-01", Some("station")),
            "to: at most 3660 days after from when grouped by station"
        );
    }

    #[test]
    fn missing_or_malformed_parameters_are_named() {
        assert_eq!(
            StatsQuery::parse(None, Some("2026-12-02"), None, None).map_err(|e| e.to_string()),
            Err("from: required (YYYY-MM-DD)".to_owned())
        );
        assert_eq!(refused("2026-12-01", "12/02/2026", None), "to: a date such as 2026-12-01");
        assert_eq!(refused("2026-12-01T00:00:00Z", "2026-12-02", None), "from: a date such as 2026-12-01");
        assert_eq!(refused("2026-12-01", "2026-12-02", Some("week")), "groupBy: one of day, station or pile");
    }
}
