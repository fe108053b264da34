//! The figures as CSV (`GET /api/v1/stats` with `Accept: text/csv`): one row per group, then the
//! total, the columns the JSON's fields flattened; a text cell that a spreadsheet would take for
//! a formula is quoted as text.

use super::figures::{FiguresView, StatsReport};
use std::fmt::Write;

/// The header row.
const HEADER: &str = "key,orders_created,orders_completed,orders_cancelled,energy_kwh,energy_fee,service_fee,\
                      total,refunds,utilisation,users_new,users_active";

impl StatsReport {
    /// The report as CSV (RFC 4180, CRLF line ends), the total last under the key `total`.
    pub fn csv(&self) -> String {
        let mut text = format!("{HEADER}\r\n");
        for group in &self.groups {
            row(&mut text, &group.key, &group.figures);
        }
        row(&mut text, "total", &self.total);
        text
    }
}

fn row(text: &mut String, key: &str, f: &FiguresView) {
    let _ = write!(
        text,
        "{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
        cell(key),
        f.orders.created,
        f.orders.completed,
        f.orders.cancelled,
        f.energy_kwh,
        f.revenue.energy_fee,
        f.revenue.service_fee,
        f.revenue.total,
        f.revenue.refunds,
        f.utilisation,
        f.users.new,
        f.users.active,
    );
}

/// A text cell: quoted when it holds a comma, a quote or a line end; a leading `=`, `+`, `-`, `@`
/// (or tab, carriage return) is preceded by `'` so that no spreadsheet runs it as a formula.
fn cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() };
    if guarded.contains([',', '"', '\n', '\r']) { format!("\"{}\"", guarded.replace('"', "\"\"")) } else { guarded }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_when_they_must_be_and_never_read_as_formulas() {
        assert_eq!(cell("2026-12-01"), "2026-12-01");
        assert_eq!(cell("PILE,1"), "\"PILE,1\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1"), "'-1");
    }
}
