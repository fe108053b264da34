//! The compact form of one reading's samples in `meter_readings.samples`: a JSON object whose keys
//! name each sample (measurand, phase, location, context, unit) in a few bytes and whose values
//! are the samples' exact decimal text, e.g. `{"E":1000120,"V":229.7,"I/L1":"0031.84"}` (a plain
//! decimal as a JSON number, kept as its text: read back as written; anything else a string).
//!
//! A key is the measurand's one-letter code (`~` and its name for one without a code), then only
//! what differs from the usual: `/<phase>`, `@<location>` (not `Outlet`), `!<context>` (not
//! `Sample.Periodic`, others by a letter) and `#<unit>` (not the measurand's usual unit).
//! `%`, `/`, `@`, `!` and `#` inside a part are escaped (`%25` …), so any text comes back exactly.
//! SQL finds a sample's measurand as the key's first letter (see [`measurand_names`]). The codes
//! are stored data: never change or reuse one, only add.

use super::Sample;
use chrono::{DateTime, Utc};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// Each measurand's code and the unit it is usually sent in.
const MEASURANDS: [(&str, char, &str); 27] = [
    ("Energy.Active.Import.Register", 'E', "Wh"),
    ("Energy.Active.Export.Register", 'e', "Wh"),
    ("Energy.Reactive.Import.Register", 'R', "varh"),
    ("Energy.Reactive.Export.Register", 'r', "varh"),
    ("Energy.Active.Import.Interval", 'J', "Wh"),
    ("Energy.Active.Export.Interval", 'j', "Wh"),
    ("Energy.Reactive.Import.Interval", 'K', "varh"),
    ("Energy.Reactive.Export.Interval", 'k', "varh"),
    ("Energy.Active.Net", 'N', "Wh"),
    ("Energy.Reactive.Net", 'n', "varh"),
    ("Energy.Apparent.Net", 'A', "VAh"),
    ("Energy.Apparent.Import", 'B', "VAh"),
    ("Energy.Apparent.Export", 'b', "VAh"),
    ("Current.Import", 'I', "A"),
    ("Current.Export", 'i', "A"),
    ("Current.Offered", 'O', "A"),
    ("Power.Active.Import", 'P', "W"),
    ("Power.Active.Export", 'p', "W"),
    ("Power.Offered", 'W', "W"),
    ("Power.Reactive.Import", 'Q', "var"),
    ("Power.Reactive.Export", 'q', "var"),
    ("Power.Factor", 'F', "Wh"),
    ("Frequency", 'H', "Hz"),
    ("RPM", 'M', "Wh"),
    ("SoC", 'S', "Percent"),
    ("Temperature", 'T', "Celsius"),
    ("Voltage", 'V', "V"),
];

/// Contexts other than the usual `Sample.Periodic`, by letter.
const CONTEXTS: [(&str, char); 7] = [
    ("Interruption.Begin", 'i'),
    ("Interruption.End", 'e'),
    ("Other", 'o'),
    ("Sample.Clock", 'c'),
    ("Transaction.Begin", 'b'),
    ("Transaction.End", 'x'),
    ("Trigger", 't'),
];
const USUAL_CONTEXT: &str = "Sample.Periodic";
const USUAL_LOCATION: &str = "Outlet";
/// The unit of a measurand without a code.
const USUAL_UNIT: &str = "Wh";
/// Marks a measurand without a code, or a context without a letter.
const NAMED: char = '~';
const SEPARATORS: [char; 4] = ['/', '@', '!', '#'];

/// Why stored samples cannot be read back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CodecError {
    #[error("a reading's samples are not a JSON object of strings: {0}")]
    NotAnObject(String),
    #[error("a sample's key cannot be read: {0:?}")]
    Key(String),
}

/// The code of a measurand, if it has one.
pub(crate) fn code(measurand: &str) -> Option<char> {
    MEASURANDS.iter().find(|(name, ..)| *name == measurand).map(|(_, code, _)| *code)
}

/// SQL naming the measurand of the sample keyed `key` (an SQL expression), `NULL` for one
/// without a code (those are never rolled up nor asked for by a trend).
pub(crate) fn measurand_names(key: &str) -> String {
    let mut sql = format!("CASE substr({key}, 1, 1)");
    for (name, code, _) in MEASURANDS {
        sql.push_str(&format!(" WHEN '{code}' THEN '{name}'"));
    }
    sql.push_str(" END");
    sql
}

/// The samples of one reading (one time) as stored: later copies of a key are left out, as the
/// store ignores a copy of a stored sample.
pub(crate) fn encode<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> String {
    let mut keys: Vec<String> = Vec::new();
    let mut json = String::from("{");
    for s in samples {
        let key = key(s);
        if keys.contains(&key) {
            continue;
        }
        if !keys.is_empty() {
            json.push(',');
        }
        // Writing a string as JSON cannot fail.
        json.push_str(&serde_json::Value::from(key.as_str()).to_string());
        json.push(':');
        if is_plain_number(&s.value) {
            json.push_str(&s.value);
        } else {
            json.push_str(&serde_json::Value::from(s.value.as_str()).to_string());
        }
        keys.push(key);
    }
    json.push('}');
    json
}

/// Whether `value` is written in JSON as it is: a decimal number in the one spelling JSON and
/// the readers' numeric check share (`-`, digits without a leading zero, a fraction), which a
/// JSON number keeps exactly as text (the store never reads it as a float).
fn is_plain_number(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && (whole == "0" || !whole.starts_with('0')) && fraction.is_none_or(all_digits) && value != "-0"
}

/// The samples stored as `json` at `sampled_at`, in their stored order.
pub(crate) fn decode(sampled_at: DateTime<Utc>, json: &str) -> Result<Vec<Sample>, CodecError> {
    let Ok(Pairs(pairs)) = serde_json::from_str::<Pairs>(json) else {
        return Err(CodecError::NotAnObject(json.to_owned()));
    };
    pairs
        .into_iter()
        .map(|(key, value)| {
            let mut sample = parse_key(&key).ok_or(CodecError::Key(key))?;
            sample.sampled_at = sampled_at;
            sample.value = value;
            Ok(sample)
        })
        .collect()
}

/// A JSON object of strings, in its order.
struct Pairs(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Pairs, M::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    let raw = value.get();
                    let value = if raw.starts_with('"') {
                        serde_json::from_str::<String>(raw).map_err(serde::de::Error::custom)?
                    } else if is_plain_number(raw) {
                        raw.to_owned()
                    } else {
                        return Err(serde::de::Error::custom("a sample's value is neither text nor a plain number"));
                    };
                    pairs.push((key, value));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(Ordered)
    }
}

/// A sample's key.
pub(crate) fn key(s: &Sample) -> String {
    let mut key = String::with_capacity(8);
    let usual_unit = match MEASURANDS.iter().find(|(name, ..)| *name == s.measurand) {
        Some((_, code, unit)) => {
            key.push(*code);
            *unit
        }
        None => {
            key.push(NAMED);
            escape(&mut key, &s.measurand);
            USUAL_UNIT
        }
    };
    if let Some(phase) = &s.phase {
        key.push('/');
        escape(&mut key, phase);
    }
    if s.location != USUAL_LOCATION {
        key.push('@');
        escape(&mut key, &s.location);
    }
    if s.context != USUAL_CONTEXT {
        key.push('!');
        match CONTEXTS.iter().find(|(name, _)| *name == s.context) {
            Some((_, letter)) => key.push(*letter),
            None => {
                key.push(NAMED);
                escape(&mut key, &s.context);
            }
        }
    }
    if s.unit != usual_unit {
        key.push('#');
        escape(&mut key, &s.unit);
    }
    key
}

/// The sample a key names (time and value left empty).
fn parse_key(key: &str) -> Option<Sample> {
    let mut chars = key.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    let (head, mut rest) = rest.split_at(rest.find(SEPARATORS).unwrap_or(rest.len()));
    let (measurand, mut unit) = if first == NAMED {
        (unescape(head)?, USUAL_UNIT.to_owned())
    } else if head.is_empty() {
        let (name, _, unit) = MEASURANDS.iter().find(|(_, code, _)| *code == first)?;
        ((*name).to_owned(), (*unit).to_owned())
    } else {
        return None;
    };
    let mut sample = Sample {
        sampled_at: DateTime::<Utc>::UNIX_EPOCH,
        measurand,
        phase: None,
        context: USUAL_CONTEXT.to_owned(),
        location: USUAL_LOCATION.to_owned(),
        unit: String::new(),
        value: String::new(),
    };
    while let Some(mark) = rest.chars().next() {
        let body = &rest[1..];
        let end = body.find(SEPARATORS).unwrap_or(body.len());
        let part = unescape(&body[..end])?;
        rest = &body[end..];
        match mark {
            '/' => sample.phase = Some(part),
            '@' => sample.location = part,
            '!' => {
                sample.context = match part.strip_prefix(NAMED) {
                    Some(named) => named.to_owned(),
                    None => {
                        let mut letters = part.chars();
                        let (Some(letter), None) = (letters.next(), letters.next()) else { return None };
                        CONTEXTS.iter().find(|(_, l)| *l == letter)?.0.to_owned()
                    }
                };
            }
            _ => unit = part,
        }
    }
    sample.unit = unit;
    Some(sample)
}

fn escape(into: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '%' => into.push_str("%25"),
            '/' => into.push_str("%2F"),
            '@' => into.push_str("%40"),
            '!' => into.push_str("%21"),
            '#' => into.push_str("%23"),
            c => into.push(c),
        }
    }
}

fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let c = match rest.get(at + 1..at + 3)? {
            "25" => '%',
            "2F" => '/',
            "40" => '@',
            "21" => '!',
            "23" => '#',
            _ => return None,
        };
        out.push(c);
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
#[path = "sample_codec_tests.rs"]
mod tests;
