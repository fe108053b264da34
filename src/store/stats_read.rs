//! The statistics read from the daily rollups (`stats_rollup` keeps them): the sums of a range of
//! local days by group, the distinct users of each group and of the range, and the orders
//! charging now (their time is counted up to the moment asked).
//!
//! A rollup's day is a local day of the zone of the station its pile stands in, so one range of
//! days (`from` to `to`) is every zone's range; rollups exist only for piles in a station.

use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::stats::records::{CreatedRow, Grouping, LiveRow, Scope};
use crate::domain::stats::rollup::{COLUMNS, DayFigures};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, Value};

/// The column a grouping names, over rollup `x` and pile `c`.
fn key(grouping: Grouping) -> &'static str {
    match grouping {
        Grouping::Bucket => "x.day",
        Grouping::Station => "c.station_code",
        Grouping::Pile => "x.charger_id",
        Grouping::Whole => "''",
    }
}

/// ` GROUP BY` the grouping's column and `more`.
fn group_by(grouping: Grouping, more: &[&str]) -> String {
    super::stats::group_by_column(grouping, key(grouping), more)
}

/// Days from which the whole range's users are looked up user by user (see `stats_users_total`).
const LOOK_UP_FROM_DAYS: i64 = 90;

impl Store {
    /// `table x` over the days `from` to `to`, with each row's pile `c` when the scope needs it
    /// (a station's piles; grouped by station), and the parameters.
    fn days_of(&self, table: &str, scope: Scope<'_>, from: NaiveDate, to: NaiveDate) -> (String, Vec<Value>) {
        let range: [Value; 2] = [from.to_string().into(), to.to_string().into()];
        let days = "x.day >= ? AND x.day < ?";
        match (scope.station, scope.grouping) {
            // SQLite keeps the join's order when it is a CROSS JOIN: a station's few piles
            // first, then each one's days through the pile's index.
            (Some(code), _) => {
                let join =
                    if self.db().get_database_backend() == DatabaseBackend::Sqlite { "CROSS JOIN" } else { "JOIN" };
                let values = [code.into()].into_iter().chain(range).collect();
                let sql =
                    format!("chargers c {join} {table} x ON x.charger_id = c.id AND c.station_code = ? AND {days}");
                (sql, values)
            }
            (None, Grouping::Station) => {
                (format!("{table} x JOIN chargers c ON c.id = x.charger_id WHERE {days}"), range.into())
            }
            (None, _) => (format!("{table} x WHERE {days}"), range.into()),
        }
    }

    /// The rollups' sums of each group over the days `from` to `to`.
    pub async fn stats_day_sums(
        &self,
        scope: Scope<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, DayFigures)>, StoreError> {
        let (source, values) = self.days_of("stats_days", scope, from, to);
        let sums: Vec<String> = COLUMNS.iter().map(|c| format!("CAST(SUM(x.{c}) AS BIGINT) AS {c}")).collect();
        let sql = format!(
            "SELECT {g} AS g, {sums} FROM {source}{group}",
            g = key(scope.grouping),
            sums = sums.join(", "),
            group = group_by(scope.grouping, &[]),
        );
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all_raw(statement(backend, &sql, values)).await?;
        rows.iter()
            .map(|r| {
                let mut values = [0i64; 9];
                for (value, column) in values.iter_mut().zip(COLUMNS) {
                    *value = r.try_get::<Option<i64>>("", column)?.unwrap_or(0);
                }
                Ok((r.try_get("", "g")?, DayFigures::from_values(values)))
            })
            .collect()
    }

    /// Each group's distinct users over the days `from` to `to` (`created` left 0), and how many
    /// of them signed up within those days (local days of the zone they charged in).
    pub async fn stats_day_users(
        &self,
        scope: Scope<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CreatedRow>, StoreError> {
        let (source, days) = self.days_of("stats_users", scope, from, to);
        let mut values: Vec<Value> = vec![from.to_string().into(), to.to_string().into()];
        values.extend(days);
        // New: signed up within the range where any of their orders was made.
        let sql = format!(
            "SELECT {g} AS g, COUNT(DISTINCT x.user_id) AS active, \
             COUNT(DISTINCT CASE WHEN x.signed_up >= ? AND x.signed_up < ? THEN x.user_id END) AS fresh FROM {source}{group}",
            g = key(scope.grouping),
            group = group_by(scope.grouping, &[]),
        );
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all_raw(statement(backend, &sql, values)).await?;
        rows.iter()
            .map(|r| {
                Ok(CreatedRow {
                    group: r.try_get("", "g")?,
                    created: 0,
                    active: r.try_get::<Option<i64>>("", "active")?.unwrap_or(0),
                    new: r.try_get::<Option<i64>>("", "fresh")?.unwrap_or(0),
                })
            })
            .collect()
    }

    /// The distinct users over the days `from` to `to` of every pile (of a station's, or over
    /// less than `LOOK_UP_FROM_DAYS`: as `stats_day_users`), and how many of them signed up within
    /// those days: each user looked up in the users' days (`ix_stats_users_user`) — a sweep of
    /// every user-day sorted by user took SQLite 0.3 s a year on a million orders, this 0.07 s;
    /// over a few days the sweep is the cheaper.
    pub async fn stats_users_total(
        &self,
        station: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<CreatedRow, StoreError> {
        if station.is_some() || (to - from).num_days() < LOOK_UP_FROM_DAYS {
            let whole = Scope { grouping: Grouping::Whole, station };
            return Ok(self.stats_day_users(whole, from, to).await?.into_iter().next().unwrap_or_default());
        }
        let (from, to): (Value, Value) = (from.to_string().into(), to.to_string().into());
        let sql = "SELECT COUNT(*) AS active, SUM(CASE WHEN EXISTS (SELECT 1 FROM stats_users y WHERE y.user_id = u.id \
                   AND y.day >= ? AND y.day < ? AND y.signed_up >= ? AND y.signed_up < ?) THEN 1 ELSE 0 END) AS fresh \
                   FROM users u WHERE EXISTS (SELECT 1 FROM stats_users x WHERE x.user_id = u.id AND x.day >= ? AND x.day < ?)";
        let values = [from.clone(), to.clone(), from.clone(), to.clone(), from, to];
        let backend = self.db().get_database_backend();
        let row = self.db().query_one_raw(statement(backend, sql, values)).await?;
        let count = |column: &str| -> Result<i64, StoreError> {
            Ok(row.as_ref().map(|r| r.try_get::<Option<i64>>("", column)).transpose()?.flatten().unwrap_or(0))
        };
        Ok(CreatedRow { group: String::new(), created: 0, active: count("active")?, new: count("fresh")? })
    }

    /// The orders charging now on the piles in scope, by unit (`Whole`: one unit per zone).
    pub async fn stats_live(&self, scope: Scope<'_>) -> Result<Vec<LiveRow>, StoreError> {
        let unit = match scope.grouping {
            Grouping::Station => "s.code",
            Grouping::Pile => "c.id",
            Grouping::Bucket | Grouping::Whole => "''",
        };
        let mut values: Vec<Value> = Vec::new();
        let only = scope.station.map_or("1 = 1", |code| {
            values.push(code.into());
            "s.code = ?"
        });
        let sql = format!(
            "SELECT {unit} AS unit, s.timezone AS zone, o.started_at AS started_at FROM stations s \
             JOIN chargers c ON c.station_code = s.code JOIN orders o ON o.charger_id = c.id AND o.status = 'CHARGING' \
             WHERE o.charging_ended_at IS NULL AND o.started_at IS NOT NULL AND {only}"
        );
        let backend = self.db().get_database_backend();
        let rows = self.db().query_all_raw(statement(backend, &sql, values)).await?;
        rows.iter()
            .map(|r| {
                Ok(LiveRow {
                    unit: r.try_get("", "unit")?,
                    zone: r.try_get("", "zone")?,
                    started_at: r.try_get("", "started_at")?,
                })
            })
            .collect()
    }
}
