//! Raw statements written once for both databases: `?` placeholders, numbered (`$1`, `$2`…) for
//! PostgreSQL.

use sea_orm::{DatabaseBackend, Statement, Value};

/// `sql` with `?` placeholders as a statement for `backend`. No `?` may appear in a literal.
pub(crate) fn statement(backend: DatabaseBackend, sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    let text = match backend {
        DatabaseBackend::Postgres => {
            let mut numbered = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push('$');
                    numbered.push_str(&n.to_string());
                } else {
                    numbered.push(c);
                }
            }
            numbered
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, text, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgresql_only() {
        let sql = "UPDATE users SET balance_fen = balance_fen + ? WHERE id = ?";
        let pg = statement(DatabaseBackend::Postgres, sql, [1i64.into(), 2i64.into()]);
        assert_eq!(pg.sql, "UPDATE users SET balance_fen = balance_fen + $1 WHERE id = $2");
        let lite = statement(DatabaseBackend::Sqlite, sql, [1i64.into(), 2i64.into()]);
        assert_eq!(lite.sql, sql);
    }
}
