//! Reading deploy/'s files for `deploy_files`: every file as text, YAML documents as JSON trees,
//! the Dockerfile's instructions, nginx's directives, the metric names a PromQL expression reads,
//! and the settings of config/default.toml.

use serde::Deserialize;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The repository's root.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `deploy/`: (path relative to it, text), in name order.
pub(crate) fn deploy_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() { walk(&path, found) } else { found.push(path) }
        }
    }
    let base = root().join("deploy");
    let mut paths = Vec::new();
    walk(&base, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.strip_prefix(&base).unwrap().to_string_lossy().replace('\\', "/"), text)
        })
        .collect()
}

/// The text of `deploy/<name>`.
pub(crate) fn deploy_file(name: &str) -> String {
    let path = root().join("deploy").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every YAML document of `text` (aliases resolved, `<<` merges applied) as a JSON tree.
pub(crate) fn yaml_documents(name: &str, text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|document| {
            let mut value = yaml_serde::Value::deserialize(document).unwrap_or_else(|e| panic!("{name}: {e}"));
            value.apply_merge().unwrap_or_else(|e| panic!("{name}: {e}"));
            serde_json::to_value(value).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .filter(|value| !value.is_null())
        .collect()
}

/// The one YAML document of `deploy/<name>`.
pub(crate) fn yaml(name: &str) -> Value {
    let mut documents = yaml_documents(name, &deploy_file(name));
    assert_eq!(documents.len(), 1, "{name}: one YAML document expected");
    documents.remove(0)
}

/// A Dockerfile's instructions (continued lines joined, comments left out) as (INSTRUCTION,
/// the rest of the line), of the last stage only.
pub(crate) fn final_stage(dockerfile: &str) -> Vec<(String, String)> {
    let mut instructions: Vec<(String, String)> = Vec::new();
    let mut line = String::new();
    for raw in dockerfile.lines() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && line.is_empty()) {
            continue;
        }
        line.push_str(trimmed.trim_end_matches('\\').trim());
        line.push(' ');
        if trimmed.ends_with('\\') {
            continue;
        }
        let (word, rest) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        if word.eq_ignore_ascii_case("FROM") {
            instructions.clear();
        }
        instructions.push((word.to_ascii_uppercase(), rest.trim().to_owned()));
        line.clear();
    }
    instructions
}

/// An nginx directive: its name, arguments and block (empty when it has none).
#[derive(Debug)]
pub(crate) struct Directive {
    pub(crate) name: String,
    pub(crate) args: Vec<String>,
    pub(crate) block: Vec<Directive>,
}

/// nginx's configuration syntax: words (quoted or not), `;`, `{`, `}`, `#` comments.
pub(crate) fn nginx(text: &str) -> Vec<Directive> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => while chars.next().is_some_and(|c| c != '\n') {},
            '{' | '}' | ';' => {
                tokens.push((c.to_string(), false));
                chars.next();
            }
            '"' | '\'' => {
                chars.next();
                let word: String = chars.by_ref().take_while(|&d| d != c).collect();
                tokens.push((word, true));
            }
            _ => {
                let mut word = String::new();
                while let Some(&d) = chars.peek().filter(|d| !d.is_whitespace() && !"{};".contains(**d)) {
                    word.push(d);
                    chars.next();
                }
                tokens.push((word, true));
            }
        }
    }
    let mut at = 0;
    let directives = nginx_block(&tokens, &mut at);
    assert_eq!(at, tokens.len(), "nginx.conf: an unmatched `}}`");
    directives
}

fn nginx_block(tokens: &[(String, bool)], at: &mut usize) -> Vec<Directive> {
    let mut directives = Vec::new();
    let mut words = Vec::new();
    while let Some((token, is_word)) = tokens.get(*at) {
        *at += 1;
        match (token.as_str(), is_word) {
            (_, true) => words.push(token.clone()),
            (";", false) | ("{", false) => {
                assert!(!words.is_empty(), "nginx.conf: `{token}` with no directive before it");
                let name = words.remove(0);
                let block = if token == "{" { nginx_block(tokens, at) } else { Vec::new() };
                directives.push(Directive { name, args: std::mem::take(&mut words), block });
            }
            _ => {
                assert!(words.is_empty(), "nginx.conf: {words:?} has no `;`");
                return directives;
            }
        }
    }
    assert!(words.is_empty(), "nginx.conf: {words:?} has no `;`");
    directives
}

/// Every directive named `name`, at any depth.
pub(crate) fn directives<'a>(within: &'a [Directive], name: &str) -> Vec<&'a Directive> {
    let mut found = Vec::new();
    for directive in within {
        if directive.name == name {
            found.push(directive);
        }
        found.extend(directives(&directive.block, name));
    }
    found
}

/// The metric names a PromQL expression reads: its identifiers outside strings, label matchers
/// `{…}`, ranges `[…]` and label lists (`by (…)`, `on (…)` …), that are neither a function (an
/// identifier before `(`) nor a keyword. Grafana's `$variables` are left out.
pub(crate) fn promql_metrics(expr: &str) -> Vec<String> {
    const LABEL_LISTS: [&str; 6] = ["by", "without", "on", "ignoring", "group_left", "group_right"];
    // Aggregations may put `by (…)` between their name and `(`.
    const KEYWORDS: [&str; 20] = [
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
        "nan",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let mut metrics = Vec::new();
    let mut i = 0;
    // The index past the `close` that ends what opens at `from`; strings inside are passed over.
    let skip_to = |from: usize, close: char| -> usize {
        let mut j = from + 1;
        let mut quote = None;
        while j < chars.len() {
            match (quote, chars[j]) {
                (Some(_), '\\') => j += 1,
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, c) if c == close => return j + 1,
                (None, '"' | '\'' | '`') => quote = Some(chars[j]),
                _ => {}
            }
            j += 1;
        }
        panic!("{expr:?}: no closing {close:?}")
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '{' {
            i = skip_to(i, '}');
        } else if c == '[' {
            i = skip_to(i, ']');
        } else if c == '$' || c.is_ascii_digit() || c == '.' {
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_.".contains(chars[i])) {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = chars[i..].iter().position(|c| !c.is_whitespace()).map(|p| i + p);
            let before_paren = next.is_some_and(|n| chars[n] == '(');
            if LABEL_LISTS.contains(&word.as_str()) {
                if let Some(n) = next.filter(|_| before_paren) {
                    i = skip_to(n, ')');
                }
            } else if !before_paren && !KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) {
                metrics.push(word);
            }
        } else {
            i += 1;
        }
    }
    metrics
}

/// config/default.toml: every setting csms has, with its default.
pub(crate) fn defaults() -> toml::Table {
    let text = std::fs::read_to_string(root().join("config/default.toml")).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("config/default.toml: {e}"))
}

/// The setting `CSMS__A__B…` overrides (`a.b…`), when it is one (a value, not a section).
pub(crate) fn setting<'a>(defaults: &'a toml::Table, variable: &str) -> Option<&'a toml::Value> {
    let path = variable.strip_prefix("CSMS__")?;
    let mut table = defaults;
    let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
    let (last, sections) = keys.split_last()?;
    for key in sections {
        table = table.get(key)?.as_table()?;
    }
    table.get(last).filter(|value| !value.is_table())
}

/// The port a default `listen` setting (`http` or `ocpp`) binds.
pub(crate) fn default_port(defaults: &toml::Table, section: &str) -> u16 {
    let listen = defaults[section]["listen"].as_str().unwrap();
    listen.parse::<SocketAddr>().unwrap_or_else(|e| panic!("{section}.listen {listen:?}: {e}")).port()
}

/// `host:port` split (the port a number).
pub(crate) fn host_port(address: &str) -> (String, u16) {
    let (host, port) = address.rsplit_once(':').unwrap_or_else(|| panic!("{address:?}: no port"));
    (host.to_owned(), port.parse().unwrap_or_else(|e| panic!("{address:?}: {e}")))
}

/// The values written after each `variable` in `text` (`VARIABLE: value`, `VARIABLE="value"`).
pub(crate) fn values_after(text: &str, variable: &str) -> Vec<String> {
    let after = |at: usize| -> String {
        let rest = text[at + variable.len()..].trim_start_matches([':', '=', ' ', '"']);
        rest.chars().take_while(|c| !c.is_whitespace() && *c != '"').collect()
    };
    text.match_indices(variable).map(|(at, _)| after(at)).collect()
}

/// An environment value as a string, whether YAML wrote it as text, a number or a boolean.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
