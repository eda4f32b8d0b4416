//! TrueNAS's query filters and options (`[filters, options]` of `*.query`),
//! parsed from untrusted JSON with limits, and applied to records.
//!
//! A filter is `[field, op, value]` (a dotted field such as `provider.type`)
//! or `["OR", [filter_or_list, ...]]`, where each branch is a filter or a list
//! of filters that must all match. Operators: `=`, `!=`, `>`, `>=`, `<`,
//! `<=`, `in`, `nin`, `rin`, `rnin`, `^`, `!^`, `$`, `!$`, `~` (a regular
//! expression, Rust's syntax, linear time), each also with a `C` prefix
//! (case-insensitive). Options: `get`, `count`, `limit`, `offset`,
//! `order_by` (`-field` descending, `nulls_first:`/`nulls_last:` accepted),
//! `select`, and `extra`/`force_sql_filters`, which change nothing here.

use std::cmp::Ordering;

use nascfg_store::Narrow;
use serde_json::{Map, Value};

use super::rpc::Problem;

/// At most this many filters (counted through `OR` branches) in one query.
const MAX_FILTERS: usize = 256;
/// At most this deep `OR` nesting.
const MAX_DEPTH: usize = 8;
/// The largest compiled regular expression (bytes of regex's own accounting).
const MAX_REGEX: usize = 1 << 20;
/// The longest dotted field name.
const MAX_FIELD: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    Nin,
    Rin,
    Rnin,
    Starts,
    NotStarts,
    Ends,
    NotEnds,
    Matches,
}

fn parse_op(text: &str) -> Option<(Op, bool)> {
    let (text, fold) = match text.strip_prefix('C') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let op = match text {
        "=" => Op::Eq,
        "!=" => Op::Ne,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "<" => Op::Lt,
        "<=" => Op::Le,
        "in" => Op::In,
        "nin" => Op::Nin,
        "rin" => Op::Rin,
        "rnin" => Op::Rnin,
        "^" => Op::Starts,
        "!^" => Op::NotStarts,
        "$" => Op::Ends,
        "!$" => Op::NotEnds,
        "~" => Op::Matches,
        _ => return None,
    };
    Some((op, fold))
}

/// One parsed filter.
#[derive(Debug, Clone)]
enum Filter {
    Compare {
        path: Vec<String>,
        op: Op,
        fold: bool,
        value: Value,
        regex: Option<regex::Regex>,
    },
    /// Any branch; each branch is a conjunction.
    Or(Vec<Vec<Filter>>),
}

/// Filters that must all match.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters(Vec<Filter>);

/// What `options` asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub(crate) get: bool,
    pub(crate) count: bool,
    pub(crate) limit: Option<usize>,
    pub(crate) offset: usize,
    order_by: Vec<(Vec<String>, bool)>,
    select: Option<Vec<Vec<String>>>,
}

fn path(field: &str) -> Option<Vec<String>> {
    if field.is_empty() || field.len() > MAX_FIELD {
        return None;
    }
    Some(field.split('.').map(str::to_owned).collect())
}

fn shown(v: &Value) -> String {
    let text = v.to_string();
    crate::api::shown(&text)
}

impl Filters {
    /// Parses the first parameter of a query (`null` or absent: no filter).
    pub(crate) fn parse(value: Option<&Value>) -> Result<Filters, Vec<Problem>> {
        let Some(list) = parameter(value, "filters", "list", Value::as_array)? else {
            return Ok(Filters::default());
        };
        let mut count = 0;
        let mut problems = Vec::new();
        let filters = parse_list(list, 0, &mut count, &mut problems);
        if problems.is_empty() {
            Ok(Filters(filters))
        } else {
            Err(problems)
        }
    }

    /// Whether `record` passes every filter.
    pub(crate) fn matches(&self, record: &Value) -> bool {
        self.0.iter().all(|f| f.matches(record))
    }

    /// Whether there is no filter at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What the store may leave unread: the first top-level `id` or `name`
    /// filter (`=`, `in`, or a `name` prefix `^`, case-sensitive) that every
    /// matching record must pass. The filters are still applied to what is read.
    pub(crate) fn narrow(&self) -> Narrow {
        for filter in &self.0 {
            let Filter::Compare {
                path,
                op,
                fold: false,
                value,
                ..
            } = filter
            else {
                continue;
            };
            // Values of another type can never be equal to an id or a name.
            let ids = |values: &[Value]| values.iter().filter_map(Value::as_i64).collect();
            let names = |values: &[Value]| {
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            };
            match (path.as_slice(), op, value) {
                ([f], Op::Eq, v) if f == "id" => return Narrow::Ids(ids(std::slice::from_ref(v))),
                ([f], Op::In, Value::Array(vs)) if f == "id" => return Narrow::Ids(ids(vs)),
                ([f], Op::Eq, v) if f == "name" => {
                    return Narrow::Names(names(std::slice::from_ref(v)));
                }
                ([f], Op::In, Value::Array(vs)) if f == "name" => return Narrow::Names(names(vs)),
                ([f], Op::Starts, Value::String(prefix)) if f == "name" => {
                    return Narrow::NamePrefix(prefix.clone());
                }
                _ => {}
            }
        }
        Narrow::All
    }
}

/// Whether a store narrowed by `narrow` reads `record` (a record with an
/// integer `id` and a string `name`): what the narrowing must never lose is a
/// record the filters match (the unit tests and the `jsonrpc` fuzz target).
pub(crate) fn narrow_reads(narrow: &Narrow, record: &Value) -> bool {
    let id = record.get("id").and_then(Value::as_i64);
    let name = record.get("name").and_then(Value::as_str);
    match narrow {
        Narrow::All => true,
        Narrow::Ids(ids) => id.is_some_and(|id| ids.contains(&id)),
        Narrow::Names(names) => name.is_some_and(|n| names.iter().any(|x| x == n)),
        Narrow::NamePrefix(p) => name.is_some_and(|n| n.starts_with(p.as_str())),
    }
}

/// A positional parameter of a query: `None` when it is absent or `null`, the
/// value when `pick` finds it of the wanted JSON kind (`what`), else the problem
/// at `location` that names the kind it has instead.
fn parameter<'v, T>(
    value: Option<&'v Value>,
    location: &str,
    what: &str,
    pick: impl Fn(&'v Value) -> Option<T>,
) -> Result<Option<T>, Vec<Problem>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => pick(v).map(Some).ok_or_else(|| {
            vec![Problem::new(
                location,
                format!("Input should be a valid {what} (got {})", kind(v)),
            )]
        }),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn parse_list(
    list: &[Value],
    depth: usize,
    count: &mut usize,
    problems: &mut Vec<Problem>,
) -> Vec<Filter> {
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        *count += 1;
        if *count > MAX_FILTERS {
            problems.push(Problem::new(
                "filters",
                format!("at most {MAX_FILTERS} filters are accepted"),
            ));
            return out;
        }
        match parse_one(item, depth, count, problems) {
            Ok(f) => out.push(f),
            Err(message) => problems.push(Problem::new(format!("filters.{i}"), message)),
        }
    }
    out
}

fn parse_one(
    item: &Value,
    depth: usize,
    count: &mut usize,
    problems: &mut Vec<Problem>,
) -> Result<Filter, String> {
    let Value::Array(parts) = item else {
        return Err(format!(
            "a filter must be a list [field, operator, value] (got {})",
            kind(item)
        ));
    };
    match parts.as_slice() {
        [Value::String(or), Value::Array(branches)] if or == "OR" => {
            if depth >= MAX_DEPTH {
                return Err(format!("OR filters nest at most {MAX_DEPTH} deep"));
            }
            let mut out = Vec::new();
            for branch in branches {
                match branch {
                    // A list of filters (all must match), or one filter.
                    Value::Array(inner) if inner.first().is_some_and(Value::is_array) => {
                        out.push(parse_list(inner, depth + 1, count, problems));
                    }
                    one => out.push(parse_list(
                        std::slice::from_ref(one),
                        depth + 1,
                        count,
                        problems,
                    )),
                }
            }
            Ok(Filter::Or(out))
        }
        [Value::String(field), Value::String(op), value] => {
            let path = path(field)
                .ok_or_else(|| format!("invalid field name {}", crate::api::shown(field)))?;
            let (op, fold) = parse_op(op)
                .ok_or_else(|| format!("Invalid operation: {}", crate::api::shown(op)))?;
            let regex = match op {
                Op::Matches => {
                    let Value::String(pattern) = value else {
                        return Err("the ~ operator takes a string (a regular expression)".into());
                    };
                    Some(
                        regex::RegexBuilder::new(pattern)
                            .case_insensitive(fold)
                            .size_limit(MAX_REGEX)
                            .dfa_size_limit(MAX_REGEX)
                            .build()
                            .map_err(|_| "invalid or too large regular expression".to_owned())?,
                    )
                }
                Op::In | Op::Nin if !value.is_array() && !value.is_string() => {
                    return Err("in and nin take a list (or a string)".into());
                }
                _ => None,
            };
            Ok(Filter::Compare {
                path,
                op,
                fold,
                value: value.clone(),
                regex,
            })
        }
        [_, Value::String(_), _] => Err("the field of a filter must be a string".into()),
        [_, op, _] => Err(format!("the operator must be a string (got {})", shown(op))),
        _ => Err("a filter must be [field, operator, value] or [\"OR\", [...]]".into()),
    }
}

/// The value at a dotted path of a record; `None` when absent.
fn lookup<'a>(record: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(record, |v, key| match v {
        Value::Object(m) => m.get(key),
        _ => None,
    })
}

fn folded(v: &Value, fold: bool) -> Value {
    match v {
        Value::String(s) if fold => Value::String(s.to_lowercase()),
        other => other.clone(),
    }
}

/// An order over JSON values: null < booleans < numbers < strings < the rest
/// (as text), so sorting never fails.
fn compare(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) | Value::Object(_) => 4,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&y.as_f64().unwrap_or(0.0)),
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => rank(a)
            .cmp(&rank(b))
            .then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

fn contains(haystack: &Value, needle: &Value, fold: bool) -> bool {
    match haystack {
        Value::Array(items) => items
            .iter()
            .any(|i| folded(i, fold) == folded(needle, fold)),
        Value::String(s) => match needle {
            Value::String(n) if fold => s.to_lowercase().contains(&n.to_lowercase()),
            Value::String(n) => s.contains(n.as_str()),
            _ => false,
        },
        _ => false,
    }
}

impl Filter {
    fn matches(&self, record: &Value) -> bool {
        match self {
            Filter::Or(branches) => branches
                .iter()
                .any(|all| all.iter().all(|f| f.matches(record))),
            Filter::Compare {
                path,
                op,
                fold,
                value,
                regex,
            } => {
                let found = lookup(record, path).unwrap_or(&Value::Null);
                let fold = *fold;
                let (l, r) = (folded(found, fold), folded(value, fold));
                let text = |f: &dyn Fn(&str, &str) -> bool| match (&l, &r) {
                    (Value::String(a), Value::String(b)) => f(a, b),
                    _ => false,
                };
                let ordered = |want: &dyn Fn(Ordering) -> bool| {
                    !l.is_null() && !r.is_null() && want(compare(&l, &r))
                };
                match op {
                    Op::Eq => l == r,
                    Op::Ne => l != r,
                    Op::Gt => ordered(&|o| o == Ordering::Greater),
                    Op::Ge => ordered(&|o| o != Ordering::Less),
                    Op::Lt => ordered(&|o| o == Ordering::Less),
                    Op::Le => ordered(&|o| o != Ordering::Greater),
                    Op::In => contains(value, found, fold),
                    Op::Nin => !contains(value, found, fold),
                    Op::Rin => contains(found, value, fold),
                    Op::Rnin => !contains(found, value, fold),
                    Op::Starts => text(&|a, b| a.starts_with(b)),
                    Op::NotStarts => !text(&|a, b| a.starts_with(b)),
                    Op::Ends => text(&|a, b| a.ends_with(b)),
                    Op::NotEnds => !text(&|a, b| a.ends_with(b)),
                    Op::Matches => match (found, regex) {
                        (Value::String(s), Some(re)) => re.is_match(s),
                        _ => false,
                    },
                }
            }
        }
    }
}

fn usize_option(key: &str, value: &Value, problems: &mut Vec<Problem>) -> Option<usize> {
    match value.as_u64().and_then(|n| usize::try_from(n).ok()) {
        Some(n) => Some(n),
        None => {
            problems.push(Problem::new(
                format!("options.{key}"),
                "Input should be a non-negative integer",
            ));
            None
        }
    }
}

fn field_list(key: &str, value: &Value, problems: &mut Vec<Problem>) -> Vec<String> {
    let Value::Array(items) = value else {
        problems.push(Problem::new(
            format!("options.{key}"),
            "Input should be a valid list",
        ));
        return Vec::new();
    };
    if items.len() > MAX_FILTERS {
        problems.push(Problem::new(
            format!("options.{key}"),
            format!("at most {MAX_FILTERS} fields are accepted"),
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if !s.is_empty() && s.len() <= MAX_FIELD => out.push(s.clone()),
            _ => problems.push(Problem::new(
                format!("options.{key}.{i}"),
                "Input should be a field name",
            )),
        }
    }
    out
}

impl Options {
    /// Parses the second parameter of a query (`null` or absent: the defaults).
    pub(crate) fn parse(value: Option<&Value>) -> Result<Options, Vec<Problem>> {
        let Some(map) = parameter(value, "options", "dictionary", Value::as_object)? else {
            return Ok(Options::default());
        };
        let mut options = Options::default();
        let mut problems = Vec::new();
        for (key, value) in map {
            let flag = |problems: &mut Vec<Problem>| match value {
                Value::Bool(b) => *b,
                _ => {
                    problems.push(Problem::new(
                        format!("options.{key}"),
                        "Input should be a valid boolean",
                    ));
                    false
                }
            };
            match key.as_str() {
                "get" => options.get = flag(&mut problems),
                "count" => options.count = flag(&mut problems),
                "limit" => {
                    // TrueNAS: 0 means no limit.
                    options.limit = usize_option(key, value, &mut problems).filter(|n| *n > 0)
                }
                "offset" => options.offset = usize_option(key, value, &mut problems).unwrap_or(0),
                "order_by" => {
                    options.order_by = field_list(key, value, &mut problems)
                        .into_iter()
                        .map(|f| {
                            let f = f
                                .strip_prefix("nulls_first:")
                                .or_else(|| f.strip_prefix("nulls_last:"))
                                .unwrap_or(&f)
                                .to_owned();
                            match f.strip_prefix('-') {
                                Some(rest) => (split(rest), true),
                                None => (split(&f), false),
                            }
                        })
                        .collect()
                }
                "select" => {
                    options.select = Some(
                        field_list(key, value, &mut problems)
                            .iter()
                            .map(|f| split(f))
                            .collect(),
                    )
                }
                "extra" | "force_sql_filters" | "relationships" => {}
                other => problems.push(Problem::new(
                    format!("options.{}", crate::api::shown(other)),
                    "Extra inputs are not permitted",
                )),
            }
        }
        if problems.is_empty() {
            Ok(options)
        } else {
            Err(problems)
        }
    }

    /// Whether records keep the order they come in (no `order_by`).
    pub(crate) fn is_unordered(&self) -> bool {
        self.order_by.is_empty()
    }

    /// Whether `select` names fields (else [`Options::select`] keeps a
    /// record as it is).
    pub(crate) fn selects(&self) -> bool {
        self.select.as_ref().is_some_and(|s| !s.is_empty())
    }

    /// Sorts, then cuts to `offset`/`limit`.
    pub(crate) fn order_and_page(&self, records: &mut Vec<Value>) {
        if !self.order_by.is_empty() {
            records.sort_by(|a, b| {
                for (path, descending) in &self.order_by {
                    let null = Value::Null;
                    let o = compare(
                        lookup(a, path).unwrap_or(&null),
                        lookup(b, path).unwrap_or(&null),
                    );
                    let o = if *descending { o.reverse() } else { o };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            });
        }
        let offset = self.offset.min(records.len());
        records.drain(..offset);
        if let Some(limit) = self.limit {
            records.truncate(limit);
        }
    }

    /// Keeps only the `select`ed fields of a record (nested ones nested).
    pub(crate) fn select(&self, record: Value) -> Value {
        let Some(select) = &self.select else {
            return record;
        };
        if select.is_empty() {
            return record;
        }
        let mut out = Map::new();
        for path in select {
            if let Some(v) = lookup(&record, path) {
                insert(&mut out, path, v.clone());
            }
        }
        Value::Object(out)
    }
}

fn split(field: &str) -> Vec<String> {
    field.split('.').map(str::to_owned).collect()
}

fn insert(map: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            map.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = map
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn records() -> Vec<Value> {
        vec![
            json!({"id": 1, "name": "b2-home", "provider": {"type": "B2", "account": "k"}}),
            json!({"id": 2, "name": "S3-Offsite", "provider": {"type": "S3", "region": null}}),
            json!({"id": 3, "name": "sftp", "provider": {"type": "SFTP", "port": 22}}),
        ]
    }

    fn ids(filters: Value) -> Vec<i64> {
        let f = Filters::parse(Some(&filters)).unwrap();
        records()
            .iter()
            .filter(|r| f.matches(r))
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    }

    #[test]
    fn filters() {
        let cases: &[(Value, &[i64])] = &[
            (json!([]), &[1, 2, 3]),
            (json!([["name", "=", "sftp"]]), &[3]),
            (json!([["name", "!=", "sftp"]]), &[1, 2]),
            (json!([["id", "in", [1, 3]]]), &[1, 3]),
            (json!([["id", "nin", [1, 3]]]), &[2]),
            (json!([["name", "^", "S3"]]), &[2]),
            (json!([["name", "C^", "s3"]]), &[2]),
            (json!([["name", "$", "home"]]), &[1]),
            (json!([["name", "~", "^s[0-9f]"]]), &[3]),
            (json!([["name", "C~", "^s[0-9f]"]]), &[2, 3]),
            (json!([["provider.type", "=", "S3"]]), &[2]),
            (json!([["provider.type", "in", ["S3", "B2"]]]), &[1, 2]),
            (json!([["provider.port", ">=", 22]]), &[3]),
            (json!([["provider.port", "<", 22]]), &[]),
            (json!([["provider.region", "=", null]]), &[1, 2, 3]),
            (json!([["id", ">", 1], ["id", "<", 3]]), &[2]),
            (
                json!([["OR", [["name", "=", "sftp"], ["id", "=", 1]]]]),
                &[1, 3],
            ),
            (
                json!([["OR", [[["id", ">", 1], ["id", "<", 3]], ["id", "=", 1]]]]),
                &[1, 2],
            ),
            (json!([["name", "rin", "home"]]), &[1]),
        ];
        for (f, want) in cases {
            assert_eq!(ids(f.clone()), *want, "{f}");
            assert_narrowing_keeps_every_match(f);
        }
    }

    #[track_caller]
    fn assert_narrowing_keeps_every_match(filters: &Value) {
        let f = Filters::parse(Some(filters)).unwrap();
        let n = f.narrow();
        for r in records().iter().filter(|r| f.matches(r)) {
            assert!(narrow_reads(&n, r), "{filters} narrowed to {n:?} loses {r}");
        }
    }

    /// The narrowing the store gets: only a case-sensitive top-level `id` or
    /// `name` filter narrows, and never past a record the filters match.
    #[test]
    fn narrowing() {
        let cases = [
            (json!([["id", "=", 3]]), Narrow::Ids(vec![3])),
            (json!([["id", "=", 3.0]]), Narrow::Ids(vec![])),
            (
                json!([["id", "in", [1, "x", 2.5, 3]]]),
                Narrow::Ids(vec![1, 3]),
            ),
            (
                json!([["name", "=", "sftp"]]),
                Narrow::Names(vec!["sftp".into()]),
            ),
            (
                json!([["name", "in", ["sftp", 1]]]),
                Narrow::Names(vec!["sftp".into()]),
            ),
            (
                json!([["name", "^", "S3"]]),
                Narrow::NamePrefix("S3".into()),
            ),
            (
                json!([["provider.type", "=", "S3"], ["name", "=", "x"]]),
                Narrow::Names(vec!["x".into()]),
            ),
            (json!([["name", "C=", "SFTP"]]), Narrow::All),
            (json!([["name", "C^", "s3"]]), Narrow::All),
            (json!([["name", "in", "sftp-and-more"]]), Narrow::All),
            (
                json!([["OR", [["name", "=", "sftp"], ["id", "=", 1]]]]),
                Narrow::All,
            ),
            (json!([["id", "!=", 1]]), Narrow::All),
        ];
        for (f, want) in cases {
            assert_eq!(Filters::parse(Some(&f)).unwrap().narrow(), want, "{f}");
            assert_narrowing_keeps_every_match(&f);
        }
    }

    #[test]
    fn bad_filters() {
        for bad in [
            json!({}),
            json!([1]),
            json!([["name", "===", "x"]]),
            json!([["name", "=", "x", 4]]),
            json!([[1, "=", "x"]]),
            json!([["name", "~", "("]]),
            json!([["name", "~", 3]]),
            json!([["name", "in", 3]]),
            json!([["", "=", 3]]),
            Value::Array(vec![json!(["id", "=", 1]); MAX_FILTERS + 1]),
            (0..9).fold(json!(["id", "=", 1]), |inner, _| json!(["OR", [inner]])),
        ] {
            let bad = if bad[0] == "OR" { json!([bad]) } else { bad };
            assert!(Filters::parse(Some(&bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn options() {
        let o = Options::parse(Some(&json!({"order_by": ["-provider.type"], "limit": 2, "offset": 0, "select": ["id", "provider.type"]}))).unwrap();
        let mut r = records();
        o.order_and_page(&mut r);
        let got: Vec<Value> = r.into_iter().map(|x| o.select(x)).collect();
        assert_eq!(
            got,
            vec![
                json!({"id": 3, "provider": {"type": "SFTP"}}),
                json!({"id": 2, "provider": {"type": "S3"}})
            ]
        );
        let o = Options::parse(Some(&json!({"offset": 5}))).unwrap();
        let mut r = records();
        o.order_and_page(&mut r);
        assert!(r.is_empty());
        for bad in [
            json!([]),
            json!({"limit": -1}),
            json!({"get": "yes"}),
            json!({"order_by": "name"}),
            json!({"unknown": 1}),
        ] {
            assert!(Options::parse(Some(&bad)).is_err(), "{bad}");
        }
    }
}
