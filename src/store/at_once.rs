//! Changes of several rows made by one statement on PostgreSQL: each row's change a
//! data-modifying `WITH`, each depending on the one before (`EXISTS (SELECT 1 FROM …)`), and the
//! statement ending with `csms_refuse_unless` (migration 000022), which raises `REFUSED` when a
//! later part found its row no longer as the change needs. A statement is its own transaction:
//! refused, nothing of it is kept. Callers then take their transaction's way, which finds the
//! same refusal and reports it as its error (or, the rows having moved on meanwhile, succeeds).

use crate::domain::ledger::NewEntry;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::PostgresQueryBuilder;
use sea_orm::{DatabaseBackend, DbErr, Statement, Value};

/// The SQLSTATE `csms_refuse_unless` raises (see the module).
const REFUSED: &str = "CSR01";

/// Whether `e` is a statement's refusal (see the module): told by its SQLSTATE, never its text.
pub(super) fn refused(e: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => match &**e {
            sqlx::Error::Database(db) => db.code().as_deref() == Some(REFUSED),
            _ => false,
        },
        _ => false,
    }
}

/// A statement of several parts being built: its `WITH`s in order and their values, `?` for
/// each (numbered as the text is laid out: `sql::statement`).
#[derive(Debug, Default)]
pub(super) struct AtOnce {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl AtOnce {
    /// Adds `name AS (sql)`, `sql`'s `?` bound to `values`.
    pub(super) fn with(&mut self, name: &str, sql: &str, values: impl IntoIterator<Item = Value>) {
        self.parts.push(format!("{name} AS ({sql})"));
        self.values.extend(values);
    }

    /// Adds a query built by sea-query (see `positional`) as `name`.
    pub(super) fn with_query(&mut self, name: &str, (sql, values): (String, Vec<Value>)) {
        self.with(name, &sql, values);
    }

    /// Adds the move of a balance by `entry.amount_fen` with its ledger row: `moved{tag}` (the
    /// balance after) and `ledger_row{tag}` (its row), only when `when` holds (an SQL condition) and
    /// the balance stays at or above zero. `user` is the SQL of the user's id (`?` for
    /// `entry.user_id`).
    pub(super) fn balance(&mut self, tag: &str, entry: NewEntry, at: DateTime<Utc>, user: &str, when: &str) {
        let user_values = |id: i64| -> Vec<Value> { if user == "?" { vec![id.into()] } else { Vec::new() } };
        let sql = format!(
            "UPDATE users SET balance_fen = balance_fen + ?, updated_at = ? \
             WHERE id = {user} AND balance_fen + ? >= 0 AND {when} RETURNING id, balance_fen"
        );
        let mut values: Vec<Value> = vec![entry.amount_fen.get().into(), at.into()];
        values.extend(user_values(entry.user_id));
        values.push(entry.amount_fen.get().into());
        self.with(&format!("moved{tag}"), &sql, values);
        let sql = format!(
            "INSERT INTO ledger (user_id, amount_fen, balance_after_fen, kind, reference, reason, actor, created_at) \
             SELECT moved{tag}.id, ?, moved{tag}.balance_fen, ?, ?, ?, ?, ? FROM moved{tag} RETURNING balance_after_fen"
        );
        let values = [
            entry.amount_fen.get().into(),
            entry.kind.as_str().to_owned().into(),
            entry.reference.into(),
            entry.reason.as_deref().map(super::storable).into(),
            entry.actor.into(),
            at.into(),
        ];
        self.with(&format!("ledger_row{tag}"), &sql, values);
    }

    /// The statement: the parts, then `main` (its `?` bound to `values`).
    pub(super) fn statement(mut self, main: &str, values: impl IntoIterator<Item = Value>) -> Statement {
        self.values.extend(values);
        let sql = match self.parts.is_empty() {
            true => main.to_owned(),
            false => format!("WITH {} {main}", self.parts.join(", ")),
        };
        super::sql::statement(DatabaseBackend::Postgres, &sql, self.values)
    }
}

/// `csms_refuse_unless(ok, …)`: the statement is refused when `ok` (SQL) is not true.
pub(super) fn refuse_unless(ok: &str) -> String {
    format!("csms_refuse_unless({ok}, '{REFUSED}')")
}

/// A query sea-query builds for PostgreSQL, its `$1`, `$2`… as `?` (they come in order, each
/// once), to be laid out in an `AtOnce`.
pub(super) fn positional(query: &impl sea_orm::sea_query::QueryStatementWriter) -> (String, Vec<Value>) {
    let (sql, values) = query.build(PostgresQueryBuilder);
    let mut text = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            text.push('?');
        } else {
            text.push(c);
        }
    }
    (text, values.0)
}

/// An `INSERT INTO t (…) VALUES (?, …) RETURNING …` (see `positional`) as `INSERT INTO t (…)
/// SELECT ?, … FROM from RETURNING …`: nothing is inserted when `from` is empty. None for
/// another shape.
pub(super) fn insert_from((sql, values): (String, Vec<Value>), from: &str) -> Option<(String, Vec<Value>)> {
    let (head, rest) = sql.split_once(" VALUES (")?;
    let (list, tail) = rest.split_once(") RETURNING ")?;
    let plain = list.chars().all(|c| matches!(c, '?' | ',' | ' '));
    plain.then(|| (format!("{head} SELECT {list} FROM {from} RETURNING {tail}"), values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::EntryKind;
    use crate::domain::ledger::money::Fen;
    use sea_orm::sea_query::{Alias, Query};

    #[test]
    fn a_built_insert_selects_its_values_from_the_part_before() {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new("payments"))
            .columns([Alias::new("payment_no"), Alias::new("amount_fen")])
            .values_panic(["P1".into(), 500i64.into()])
            .returning_all();
        let built = positional(&insert);
        assert_eq!(built.0, r#"INSERT INTO "payments" ("payment_no", "amount_fen") VALUES (?, ?) RETURNING *"#);
        let (sql, values) = insert_from(built, "ledger_row").expect("the insert's shape");
        assert_eq!(
            sql,
            r#"INSERT INTO "payments" ("payment_no", "amount_fen") SELECT ?, ? FROM ledger_row RETURNING *"#
        );
        assert_eq!(values.len(), 2);
        assert!(insert_from(("DELETE FROM payments".into(), Vec::new()), "x").is_none());
    }

    #[test]
    fn the_parts_are_numbered_in_the_order_they_are_laid_out() {
        let mut at_once = AtOnce::default();
        at_once.with("o", "UPDATE orders SET x = ? WHERE order_no = ? RETURNING user_id", [1i64.into(), "A".into()]);
        let entry = NewEntry {
            user_id: 7,
            amount_fen: Fen(-300),
            kind: EntryKind::Payment,
            reference: Some("P1".into()),
            reason: None,
            actor: None,
        };
        at_once.balance("", entry, Utc::now(), "(SELECT user_id FROM o)", "EXISTS (SELECT 1 FROM o)");
        let statement =
            at_once.statement(&format!("SELECT {}", refuse_unless("EXISTS (SELECT 1 FROM ledger_row)")), []);
        assert!(
            statement.sql.starts_with("WITH o AS (UPDATE orders SET x = $1 WHERE order_no = $2"),
            "{}",
            statement.sql
        );
        assert!(
            statement
                .sql
                .contains("balance_fen + $3, updated_at = $4 WHERE id = (SELECT user_id FROM o) AND balance_fen + $5")
        );
        assert!(statement.sql.contains("SELECT moved.id, $6, moved.balance_fen, $7, $8, $9, $10, $11 FROM moved"));
        assert!(statement.sql.ends_with("SELECT csms_refuse_unless(EXISTS (SELECT 1 FROM ledger_row), 'CSR01')"));
        assert_eq!(statement.values.map(|v| v.0.len()), Some(11));
    }
}
