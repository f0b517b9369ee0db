//! CloudWatch (`monitoring`, awsQuery): GetMetricData over the metrics the
//! simulated cloud has, the usage metrics of its quotas.
//!
//! A query whose metric (namespace, name and exactly its set of
//! dimensions) is the `usage_metric` of a quota of the account in the
//! call's region, with a usage, gets one datapoint: that usage (a constant
//! series, so every statistic is the usage; `SampleCount` is 1), at the
//! start of the last whole period inside the window (or the window's
//! first second). Any other metric, and a quota without a usage, has no
//! datapoints. Metric math (`Expression`) is not evaluated.
//!
//! Pagination is by datapoints: at most `MaxDatapoints` (default 100,800)
//! per page, then a `NextToken`; a result whose datapoints continue on a
//! later page says `PartialData`. Empty lists are dropped, as the XML
//! conversion drops empty elements. `sim serve` answers clients that
//! speak awsJson1_0 to CloudWatch (boto3 does) with [`json_protocol`].

use serde_json::{Map, Value, json};

use super::clock;
use super::org::{Account, UsageMetric};
use super::page;
use super::request::{Protocol, int, list, text, unknown_operation};
use crate::cloud::{ApiCall, ApiError, Target};

const P: Protocol = Protocol::Query;

/// What a page holds when the caller does not say.
const DEFAULT_MAX_DATAPOINTS: usize = 100_800;

/// The most queries one request may hold.
const MAX_QUERIES: usize = 500;

/// Answers one CloudWatch call.
pub fn handle(account: &Account, target: &Target, call: &ApiCall) -> Result<Value, ApiError> {
    if call.operation != "GetMetricData" {
        return Err(unknown_operation(P, call));
    }
    let params = &call.params;
    let queries = read_queries(params)?;
    let start = time(params, "StartTime")?;
    let end = time(params, "EndTime")?;
    if start == end {
        return Err(validation("The parameter StartTime must not equal parameter EndTime."));
    }
    if start > end {
        return Err(validation("The parameter StartTime must be less than the parameter EndTime."));
    }
    let scan = params.get("ScanBy").filter(|v| !v.is_null());
    if let Some(scan) = scan.filter(|v| !matches!(v.as_str(), Some("TimestampDescending" | "TimestampAscending"))) {
        return Err(validation(format_args!(
            "1 validation error detected: Value '{}' at 'scanBy' failed to satisfy constraint: Member must \
             satisfy enum value set: [TimestampDescending, TimestampAscending]",
            scan.as_str().unwrap_or_default()
        )));
    }
    let max = int(P, params, "MaxDatapoints", 1..=i32::MAX as usize)?.unwrap_or(DEFAULT_MAX_DATAPOINTS);
    let first = page::offset(P, "GetMetricData", text(params, "NextToken"))
        .map_err(|e| ApiError::new("InvalidNextToken", 400, e.message))?;

    let quotas = account.regions.get(&target.region).map(|r| r.quotas.as_slice()).unwrap_or_default();
    // Every datapoint of the request, in query order: (query, time, value).
    let mut points = Vec::new();
    for (n, q) in queries.iter().enumerate() {
        let usage = quotas
            .iter()
            .find(|quota| quota.usage_metric.as_ref().is_some_and(|m| q.is(m)))
            .and_then(|quota| quota.usage);
        if let (Some(usage), Some(at)) = (usage, datapoint_time(start, end, q.period)) {
            points.push((n, at, if q.stat == "SampleCount" { 1.0 } else { usage }));
        }
    }
    let last = first.saturating_add(max).min(points.len());
    let here = points.get(first.min(last)..last).unwrap_or_default();
    let results: Vec<Value> = queries
        .iter()
        .enumerate()
        .filter(|(_, q)| q.return_data)
        .map(|(n, q)| {
            let mine: Vec<&(usize, i64, f64)> = here.iter().filter(|p| p.0 == n).collect();
            let more = points[last..].iter().any(|p| p.0 == n);
            let mut result = Map::new();
            result.insert("Id".into(), q.id.into());
            if !q.label.trim().is_empty() {
                result.insert("Label".into(), q.label.into());
            }
            if !mine.is_empty() {
                result.insert("Timestamps".into(), mine.iter().map(|p| Value::from(clock::format(p.1))).collect());
                result.insert("Values".into(), mine.iter().map(|p| Value::from(number(p.2))).collect());
            }
            result.insert("StatusCode".into(), if more { "PartialData" } else { "Complete" }.into());
            Value::Object(result)
        })
        .collect();
    let mut out = Map::new();
    if !results.is_empty() {
        out.insert("MetricDataResults".into(), results.into());
    }
    if last < points.len() {
        out.insert("NextToken".into(), page::token("GetMetricData", last).into());
    }
    Ok(Value::Object(out))
}

/// One `MetricDataQuery` with a `MetricStat`, read and checked.
struct Query<'a> {
    id: &'a str,
    label: &'a str,
    namespace: &'a str,
    name: &'a str,
    /// Sorted by name.
    dimensions: Vec<(&'a str, &'a str)>,
    period: i64,
    stat: &'a str,
    return_data: bool,
}

impl Query<'_> {
    /// True when this query asks for `metric`: the same namespace, name and
    /// set of dimensions.
    fn is(&self, metric: &UsageMetric) -> bool {
        self.namespace == metric.namespace
            && self.name == metric.name
            && self.dimensions.len() == metric.dimensions.len()
            && self.dimensions.iter().zip(&metric.dimensions).all(|(a, b)| a.0 == b.0 && a.1 == b.1)
    }
}

fn validation(message: impl std::fmt::Display) -> ApiError {
    ApiError::new("ValidationError", 400, message)
}

fn missing(name: &str) -> ApiError {
    ApiError::new("MissingParameter", 400, format_args!("The parameter {name} is required."))
}

fn bad_value(name: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::new("InvalidParameterValue", 400, format_args!("The parameter {name} {why}"))
}

/// `MetricDataQueries`: 1-500 queries, each checked; every bad `Id` is
/// named in one message, one line each, as CloudWatch does.
fn read_queries(params: &Map<String, Value>) -> Result<Vec<Query<'_>>, ApiError> {
    if params.get("MetricDataQueries").is_none_or(Value::is_null) {
        return Err(missing("MetricDataQueries"));
    }
    let items = list(params, "MetricDataQueries");
    if items.is_empty() {
        return Err(validation("The collection MetricDataQueries must not be empty."));
    }
    if items.len() > MAX_QUERIES {
        return Err(validation(format_args!(
            "The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        )));
    }
    let mut bad_ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut queries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("MetricDataQueries.member.{}", i + 1);
        let Some(q) = item.as_object() else {
            return Err(validation(format_args!("The parameter {at} must be a structure.")));
        };
        let Some(id) = text(q, "Id") else { return Err(missing(&format!("{at}.Id"))) };
        let mut chars = id.chars();
        let well_formed = id.len() <= 255
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !well_formed {
            bad_ids.push(format!(
                "The value {id} for parameter {at}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$."
            ));
            continue;
        }
        if !seen.insert(id) {
            bad_ids.push(format!("The value {id} for parameter {at}.Id is used more than once."));
            continue;
        }
        queries.push(read_query(q, id, &at)?);
    }
    if !bad_ids.is_empty() {
        return Err(validation(bad_ids.join("\n")));
    }
    Ok(queries)
}

fn read_query<'a>(q: &'a Map<String, Value>, id: &'a str, at: &str) -> Result<Query<'a>, ApiError> {
    let stat = match (q.get("MetricStat").filter(|v| !v.is_null()), q.get("Expression").filter(|v| !v.is_null())) {
        (Some(Value::Object(stat)), None) => stat,
        (None, Some(_)) => {
            return Err(bad_value(
                &format!("{at}.Expression"),
                "is metric math, which the simulated CloudWatch does not evaluate.",
            ));
        }
        (Some(_), None) => return Err(validation(format_args!("The parameter {at}.MetricStat must be a structure."))),
        _ => {
            return Err(validation(format_args!(
                "Exactly one element of the MetricStat or the Expression must be set in {at}."
            )));
        }
    };
    let Some(metric) = stat.get("Metric").and_then(Value::as_object) else {
        return Err(missing(&format!("{at}.MetricStat.Metric")));
    };
    let name_of = |key: &str| -> Result<&'a str, ApiError> {
        match text(metric, key) {
            None => Err(missing(&format!("{at}.MetricStat.Metric.{key}"))),
            Some(v) if v.is_empty() || v.len() > 255 => {
                Err(bad_value(&format!("{at}.MetricStat.Metric.{key}"), "must be 1 to 255 characters long."))
            }
            Some(v) => Ok(v),
        }
    };
    let (namespace, name) = (name_of("Namespace")?, name_of("MetricName")?);
    let dimensions_at = format!("{at}.MetricStat.Metric.Dimensions");
    let items = list(metric, "Dimensions");
    if items.len() > 30 {
        return Err(validation(format_args!("The collection {dimensions_at} must not have a size greater than 30.")));
    }
    let mut dimensions = Vec::with_capacity(items.len());
    for (j, d) in items.iter().enumerate() {
        let here = format!("{dimensions_at}.member.{}", j + 1);
        let d = d.as_object().ok_or_else(|| validation(format_args!("The parameter {here} must be a structure.")))?;
        let (Some(n), Some(v)) = (text(d, "Name"), text(d, "Value")) else {
            return Err(missing(&format!("{here}.{}", if text(d, "Name").is_none() { "Name" } else { "Value" })));
        };
        if n.is_empty() || v.is_empty() {
            return Err(bad_value(&here, "must have a non-empty Name and Value."));
        }
        dimensions.push((n, v));
    }
    dimensions.sort_unstable();
    let period_at = format!("{at}.MetricStat.Period");
    if stat.get("Period").is_none_or(Value::is_null) {
        return Err(missing(&period_at));
    }
    let period = int(P, stat, "Period", 1..=i32::MAX as usize)
        .map_err(|_| bad_value(&period_at, "must be a positive whole number of seconds."))?
        .unwrap_or(60) as i64;
    if (period >= 60 && period % 60 != 0) || (period < 60 && ![1, 5, 10, 20, 30].contains(&period)) {
        return Err(validation(format_args!(
            "The parameter {period_at} must be a multiple of 60, or 1, 5, 10, 20 or 30."
        )));
    }
    let stat_name = match text(stat, "Stat") {
        None => return Err(missing(&format!("{at}.MetricStat.Stat"))),
        Some(s) if !is_statistic(s) => {
            return Err(bad_value(&format!("{at}.MetricStat.Stat"), format_args!("has an unknown statistic {s}.")));
        }
        Some(s) => s,
    };
    let return_data = match q.get("ReturnData") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => return Err(bad_value(&format!("{at}.ReturnData"), "must be true or false.")),
    };
    Ok(Query {
        id,
        label: text(q, "Label").unwrap_or(name),
        namespace,
        name,
        dimensions,
        period,
        stat: stat_name,
        return_data,
    })
}

/// The statistics CloudWatch knows: the five standard ones, percentiles
/// and the other extended statistics (`p99`, `tm90`, `TM(10%:90%)`, ...).
fn is_statistic(s: &str) -> bool {
    const STANDARD: [&str; 6] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum", "IQM"];
    const EXTENDED: [&str; 6] = ["p", "tm", "tc", "ts", "wm", "pr"];
    STANDARD.contains(&s)
        || EXTENDED.iter().any(|prefix| {
            let lower = s.to_ascii_lowercase();
            lower
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || "().:%".contains(c)))
        })
}

/// `StartTime` or `EndTime`: ISO 8601 text (the query protocol) or epoch
/// seconds (the JSON protocols), as seconds since the epoch.
fn time(params: &Map<String, Value>, key: &str) -> Result<f64, ApiError> {
    let value = match params.get(key) {
        None | Some(Value::Null) => return Err(missing(key)),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => clock::parse(s).or_else(|| s.trim().parse::<f64>().ok()),
        Some(_) => None,
    };
    value
        .filter(|t| t.is_finite() && (0.0..=253_402_300_799.0).contains(t))
        .ok_or_else(|| bad_value(key, format_args!("has an invalid timestamp: {}", params[key])))
}

/// When the one datapoint of a window is: the start of the last whole
/// `period` (aligned to the epoch) that begins inside the window, else the
/// window's first whole second; None when no whole second is inside.
fn datapoint_time(start: f64, end: f64, period: i64) -> Option<i64> {
    let aligned = ((end - period as f64) / period as f64).floor() * period as f64;
    let at = aligned.max(start.ceil());
    (at < end).then_some(at as i64)
}

/// A datapoint value as CloudWatch writes it (`240.0`, `0.5`).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.1}") } else { v.to_string() }
}

/// An answer as awsJson1_0 gives it, for clients that speak JSON to
/// CloudWatch: timestamps as epoch seconds, values as numbers, empty lists
/// present. Other operations pass through.
pub fn json_protocol(operation: &str, mut answer: Value) -> Value {
    if operation != "GetMetricData" {
        return answer;
    }
    if let Some(results) = answer.get_mut("MetricDataResults").and_then(Value::as_array_mut) {
        for result in results.iter_mut().filter_map(Value::as_object_mut) {
            let convert = |v: Option<&Value>, read: fn(&str) -> Option<f64>| -> Value {
                let items = v.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                items.iter().filter_map(|i| i.as_str().and_then(read)).map(Value::from).collect()
            };
            let timestamps = convert(result.get("Timestamps"), clock::parse);
            let values = convert(result.get("Values"), |s| s.parse().ok());
            result.insert("Timestamps".into(), timestamps);
            result.insert("Values".into(), values);
        }
    } else if let Some(doc) = answer.as_object_mut() {
        doc.insert("MetricDataResults".into(), json!([]));
    }
    if let Some(doc) = answer.as_object_mut() {
        doc.entry("Messages").or_insert_with(|| json!([]));
    }
    answer
}
