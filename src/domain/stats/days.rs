//! Local days as UTC instants: where each day of the range starts in each station zone, and the
//! periods ("buckets") the queries count in — SQLite knows no time zones, so the database is
//! handed the boundaries and only compares instants.

use super::records::Bucket;
use super::request::{GroupBy, StatsQuery};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// When local day `day` begins in `zone`: its midnight, or — where a clock change skips
/// midnight — the first local time that exists that day; the earlier one where midnight
/// happens twice.
pub fn day_start(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A gap is at most a few hours: step until the local clock exists again.
    (0..=24 * 4)
        .map(|quarters| midnight + Duration::minutes(15 * quarters))
        .find_map(|local| zone.from_local_datetime(&local).earliest())
        .map_or_else(|| midnight.and_utc(), |at| at.with_timezone(&Utc))
}

/// The periods of one zone the queries count in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonePlan {
    pub zone: String,
    /// One per local day of the range (grouped by day), or one for the whole range.
    pub buckets: Vec<Bucket>,
    /// The whole range, local midnight of `from` to local midnight of `to`.
    pub range: Bucket,
}

impl ZonePlan {
    /// The buckets of `zone` (named `name`, as stations spell it) for `query`.
    pub fn new(query: &StatsQuery, name: &str, zone: Tz) -> Self {
        let starts: Vec<DateTime<Utc>> =
            query.days().chain(std::iter::once(query.to)).map(|day| day_start(day, zone)).collect();
        let (from, to) = (starts[0], starts[starts.len() - 1]);
        let range = Bucket { key: String::new(), zone: name.to_owned(), lo: from, hi: to };
        let buckets = match query.group_by {
            GroupBy::Day => query
                .days()
                .zip(starts.windows(2))
                .map(|(day, bounds)| Bucket {
                    key: day.to_string(),
                    zone: name.to_owned(),
                    lo: bounds[0],
                    hi: bounds[1],
                })
                .collect(),
            GroupBy::Station | GroupBy::Pile => vec![range.clone()],
        };
        ZonePlan { zone: name.to_owned(), buckets, range }
    }

    /// The buckets cut short at `now`, for time spent charging: what has not happened yet is not
    /// time a connector stood idle. A bucket wholly ahead is empty (both ends at `now`), so the
    /// buckets still follow each other without gaps.
    pub fn windows(&self, now: DateTime<Utc>) -> Vec<Bucket> {
        self.buckets.iter().map(|b| Bucket { lo: b.lo.min(now), hi: b.hi.min(now), ..b.clone() }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).unwrap_or_default()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    fn query(from: &str, to: &str, group_by: GroupBy) -> StatsQuery {
        StatsQuery { from: day(from), to: day(to), group_by, station: None }
    }

    #[test]
    fn a_shanghai_day_starts_at_sixteen_hours_utc_the_day_before() {
        assert_eq!(day_start(day("2026-12-02"), chrono_tz::Asia::Shanghai), at("2026-12-01T16:00:00Z"));
        assert_eq!(day_start(day("2026-12-02"), chrono_tz::UTC), at("2026-12-02T00:00:00Z"));
    }

    #[test]
    fn days_across_a_clock_change_last_twenty_three_or_twenty_five_hours() {
        let berlin = chrono_tz::Europe::Berlin;
        let plan = ZonePlan::new(&query("2026-03-28", "2026-03-30", GroupBy::Day), "Europe/Berlin", berlin);
        let hours: Vec<i64> = plan.buckets.iter().map(|b| (b.hi - b.lo).num_hours()).collect();
        assert_eq!(hours, vec![24, 23]);
        let plan = ZonePlan::new(&query("2026-10-25", "2026-10-26", GroupBy::Day), "Europe/Berlin", berlin);
        assert_eq!((plan.buckets[0].hi - plan.buckets[0].lo).num_hours(), 25);
        assert_eq!(plan.buckets[0].key, "2026-10-25");
    }

    #[test]
    fn a_midnight_the_clock_skips_starts_the_day_at_the_first_local_time_that_exists() {
        // Santiago's clocks went from 00:00 to 01:00 on 2024-09-08.
        let santiago = chrono_tz::America::Santiago;
        assert_eq!(day_start(day("2024-09-08"), santiago), at("2024-09-08T04:00:00Z"));
        assert_eq!(day_start(day("2024-09-09"), santiago), at("2024-09-09T03:00:00Z"));
    }

    #[test]
    fn days_follow_each_other_without_gaps_and_the_range_spans_them() {
        let plan =
            ZonePlan::new(&query("2026-12-01", "2026-12-04", GroupBy::Day), "Asia/Shanghai", chrono_tz::Asia::Shanghai);
        let keys: Vec<&str> = plan.buckets.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(keys, ["2026-12-01", "2026-12-02", "2026-12-03"]);
        assert!(plan.buckets.windows(2).all(|pair| pair[0].hi == pair[1].lo));
        assert_eq!((plan.range.lo, plan.range.hi), (at("2026-11-30T16:00:00Z"), at("2026-12-03T16:00:00Z")));
        let whole = ZonePlan::new(
            &query("2026-12-01", "2026-12-04", GroupBy::Pile),
            "Asia/Shanghai",
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(whole.buckets, vec![whole.range.clone()]);
    }

    #[test]
    fn windows_end_at_now_and_those_ahead_are_empty() {
        let plan = ZonePlan::new(&query("2026-12-01", "2026-12-04", GroupBy::Day), "UTC", chrono_tz::UTC);
        let now = at("2026-12-02T06:00:00Z");
        let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = plan.windows(now).iter().map(|w| (w.lo, w.hi)).collect();
        assert_eq!(
            spans,
            vec![
                (at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z")),
                (at("2026-12-02T00:00:00Z"), now),
                (now, now)
            ]
        );
    }
}
