//! JSON parameters to the form fields of the EC2 and awsQuery protocols,
//! and back (for the simulator's HTTP server).
//!
//! Objects nest with dots (`Key.Sub`); arrays are numbered from 1 (`Key.N`
//! for EC2, `Key.member.N` for awsQuery); booleans and numbers are written
//! as text. `Action` and `Version` come first.
//!
//! Decoding is bounded by its input, whatever it is sent: a key has at most
//! [`MAX_KEY_PARTS`] dotted parts, a list index is at most [`MAX_INDEX`],
//! and the list slots a body may create (holes left by sparse indices
//! included) are at most its length plus `MAX_INDEX`.

use serde_json::{Map, Value};

use super::Protocol;

/// The form body of a call: `Action`, `Version`, then the parameters.
pub fn encode(protocol: Protocol, operation: &str, version: &str, params: &Map<String, Value>) -> String {
    let mut fields = vec![("Action".to_owned(), operation.to_owned()), ("Version".to_owned(), version.to_owned())];
    for (key, value) in params {
        flatten(protocol, key, value, &mut fields);
    }
    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

fn flatten(protocol: Protocol, prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((prefix.to_owned(), b.to_string())),
        Value::Number(n) => out.push((prefix.to_owned(), n.to_string())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = match protocol {
                    Protocol::Ec2 => format!("{prefix}.{}", i + 1),
                    _ => format!("{prefix}.member.{}", i + 1),
                };
                flatten(protocol, &key, item, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(protocol, &format!("{prefix}.{k}"), v, out);
            }
        }
    }
}

/// A form body that does not decode to parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed query parameter {0:?}")]
pub struct FormError(pub String);

/// The most dotted parts in a key. AWS's deepest parameters have about
/// six (`LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeSize`); the
/// limit keeps the nesting, and so the recursion over it, shallow.
pub const MAX_KEY_PARTS: usize = 32;

/// The largest list index (`Key.N`), above any AWS list's length limit.
pub const MAX_INDEX: usize = 10_000;

/// The action and the parameters of a form body (values stay strings, as
/// they travelled).
pub fn decode(protocol: Protocol, body: &str) -> Result<(String, Map<String, Value>), FormError> {
    let mut action = None;
    let mut root = Value::Object(Map::new());
    // Each list slot costs at least a byte of key; holes (`Key.10000` alone)
    // would otherwise let a short body allocate without bound.
    let mut slots = body.len() + MAX_INDEX;
    for (key, value) in form_urlencoded::parse(body.as_bytes()) {
        match key.as_ref() {
            "Action" => action = Some(value.into_owned()),
            "Version" => {}
            _ => insert(protocol, &mut root, &key, value.into_owned(), &mut slots)?,
        }
    }
    let action = action.ok_or_else(|| FormError("Action".into()))?;
    let Value::Object(params) = root else { unreachable!("the root is an object") };
    Ok((action, compact(params)))
}

fn insert(protocol: Protocol, root: &mut Value, key: &str, value: String, slots: &mut usize) -> Result<(), FormError> {
    let bad = || FormError(key.chars().take(200).collect());
    if key.split('.').nth(MAX_KEY_PARTS).is_some() {
        return Err(bad());
    }
    let mut parts: Vec<&str> = key.split('.').collect();
    if protocol != Protocol::Ec2 {
        // `Key.member.N` -> `Key.N`
        parts.retain(|p| *p != "member");
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad());
    }
    let mut node = root;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let next_is_index = parts.get(i + 1).is_some_and(|p| p.parse::<usize>().is_ok());
        let fresh = || {
            if last {
                Value::String(String::new())
            } else if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        node = match node {
            Value::Object(map) => map.entry(part.to_string()).or_insert_with(fresh),
            Value::Array(items) => {
                let index: usize = part.parse().map_err(|_| bad())?;
                if index == 0 || index > MAX_INDEX {
                    return Err(bad());
                }
                let more = index.saturating_sub(items.len());
                *slots = slots.checked_sub(more).ok_or_else(bad)?;
                items.resize(items.len() + more, Value::Null);
                let slot = &mut items[index - 1];
                if slot.is_null() {
                    *slot = fresh();
                }
                slot
            }
            _ => return Err(bad()),
        };
        if last {
            if !matches!(node, Value::String(_)) {
                return Err(bad());
            }
            *node = Value::String(value);
            return Ok(());
        }
    }
    Ok(())
}

/// Drops holes left by sparse indices (`Key.1`, `Key.3`).
fn compact(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter().map(|(k, v)| (k, compact_value(v))).collect()
}

fn compact_value(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.into_iter().filter(|i| !i.is_null()).map(compact_value).collect()),
        Value::Object(map) => Value::Object(compact(map)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn ec2_filters_and_lists() {
        let body = encode(
            Protocol::Ec2,
            "DescribeVolumes",
            "2016-11-15",
            &params(
                json!({"MaxResults": 500, "Filter": [{"Name": "status", "Value": ["available", "in-use"]}], "DryRun": false}),
            ),
        );
        assert_eq!(
            body,
            "Action=DescribeVolumes&Version=2016-11-15&DryRun=false&Filter.1.Name=status&Filter.1.Value.1=available\
             &Filter.1.Value.2=in-use&MaxResults=500"
        );
    }

    #[test]
    fn query_lists_use_member() {
        let body = encode(
            Protocol::Query,
            "GetMetricStatistics",
            "2010-08-01",
            &params(json!({"Statistics": ["Maximum"], "Dimensions": [{"Name": "Service", "Value": "EC2"}]})),
        );
        assert_eq!(
            body,
            "Action=GetMetricStatistics&Version=2010-08-01&Dimensions.member.1.Name=Service\
             &Dimensions.member.1.Value=EC2&Statistics.member.1=Maximum"
        );
    }

    #[test]
    fn decode_inverts_encode_with_text_values() {
        for protocol in [Protocol::Ec2, Protocol::Query] {
            let original = json!({"MaxResults": 5, "Filter": [{"Name": "a b", "Value": ["x&y", "z"]}], "Flag": true});
            let body = encode(protocol, "Op", "v", &params(original));
            let (action, decoded) = decode(protocol, &body).unwrap();
            assert_eq!(action, "Op");
            assert_eq!(
                Value::Object(decoded),
                json!({"MaxResults": "5", "Filter": [{"Name": "a b", "Value": ["x&y", "z"]}], "Flag": "true"})
            );
        }
    }

    #[test]
    fn nested_query_lists_round_trip_as_cloudwatch_spells_them() {
        let queries = json!({
            "MetricDataQueries": [
                {
                    "Id": "vcpus",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Usage",
                            "MetricName": "ResourceCount",
                            "Dimensions": [{"Name": "Service", "Value": "EC2"}, {"Name": "Class", "Value": "Standard/OnDemand"}],
                        },
                        "Period": 300,
                        "Stat": "Maximum",
                    },
                    "ReturnData": true,
                },
                {"Id": "e1", "Expression": "SUM(METRICS())", "Label": "a & b"},
            ],
            "StartTime": "2026-03-01T00:00:00Z",
            "EndTime": "2026-03-02T00:00:00Z",
        });
        let body = encode(Protocol::Query, "GetMetricData", "2010-08-01", &params(queries.clone()));
        let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        let field = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(field("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Name"), Some("Class"));
        assert_eq!(
            field("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Value"),
            Some("Standard/OnDemand")
        );
        assert_eq!(field("MetricDataQueries.member.1.MetricStat.Period"), Some("300"));
        assert_eq!(field("MetricDataQueries.member.2.Label"), Some("a & b"));
        assert_eq!(fields.len(), 2 + 15, "Action, Version and one field per leaf: {fields:?}");
        let (action, decoded) = decode(Protocol::Query, &body).unwrap();
        assert_eq!(action, "GetMetricData");
        assert_eq!(Value::Object(decoded), as_text(&queries));
    }

    #[test]
    fn conflicting_or_broken_keys_are_errors() {
        for body in ["Action=X&A=1&A.B=2", "Action=X&A.0=1", "Action=X&A..B=1", "Action=X&A.1=1&A.B=2", "A=1"] {
            assert!(decode(Protocol::Ec2, body).is_err(), "{body}");
        }
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            "[a-zA-Z0-9 &=%.+/]{0,12}".prop_map(Value::String),
            any::<u32>().prop_map(|n| json!(n)),
            any::<bool>().prop_map(Value::Bool),
        ]
    }

    fn tree() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..4).prop_map(Value::Array),
                proptest::collection::btree_map("[A-Z][a-zA-Z]{0,6}", inner, 1..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// What a value becomes after a round trip: every leaf as text.
    fn as_text(v: &Value) -> Value {
        match v {
            Value::Array(items) => Value::Array(items.iter().map(as_text).collect()),
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), as_text(v))).collect()),
            Value::String(s) => Value::String(s.clone()),
            other => Value::String(other.to_string()),
        }
    }

    proptest! {
        #[test]
        fn round_trips_any_parameters(params in proptest::collection::btree_map("[A-Z][a-zA-Z]{0,6}", tree(), 0..5)) {
            let params: Map<String, Value> = params.into_iter().collect();
            for protocol in [Protocol::Ec2, Protocol::Query] {
                let body = encode(protocol, "Op", "v", &params);
                let (_, decoded) = decode(protocol, &body).unwrap();
                prop_assert_eq!(Value::Object(decoded), as_text(&Value::Object(params.clone())));
            }
        }

        #[test]
        fn decoding_garbage_never_panics(body in "[a-zA-Z0-9.=&%]{0,80}") {
            check_bounded(&body)?;
        }
    }

    #[test]
    fn keys_thousands_deep_are_errors_not_stack_overflows() {
        for part in [".1", ".a", ".member", ".member.1"] {
            let body = format!("Action=X&Key{}=v", part.repeat(5_000));
            assert!(decode(Protocol::Ec2, &body).is_err(), "{part}");
            assert!(decode(Protocol::Query, &body).is_err(), "{part}");
        }
        // The limit itself is fine.
        let at_limit = format!("Action=X&Key{}=v", ".1".repeat(MAX_KEY_PARTS - 1));
        let (_, params) = decode(Protocol::Ec2, &at_limit).unwrap();
        assert_eq!(depth(&Value::Object(params)), MAX_KEY_PARTS);
    }

    #[test]
    fn huge_indices_are_errors_and_holes_are_bounded() {
        let (_, one) = decode(Protocol::Ec2, &format!("Action=X&Key.{MAX_INDEX}=v")).unwrap();
        assert_eq!(Value::Object(one), json!({"Key": ["v"]}));
        for index in [format!("{}", MAX_INDEX + 1), "18446744073709551616".into(), "-1".into(), "1e3".into()] {
            assert!(decode(Protocol::Ec2, &format!("Action=X&Key.1=a&Key.{index}=v")).is_err(), "{index}");
        }
        // A thousand 12-byte keys each asking for 10,000 slots: refused once
        // the body's budget is spent, instead of 10 million slots.
        let holes: String = (0..1_000).map(|i| format!("&K{i}.{MAX_INDEX}=v")).collect();
        assert!(decode(Protocol::Ec2, &format!("Action=X{holes}")).is_err());
        let deep_holes: String = (0..1_000).map(|i| format!("&K{i}.{MAX_INDEX}.{MAX_INDEX}=v")).collect();
        assert!(decode(Protocol::Query, &format!("Action=X{deep_holes}")).is_err());
        // Long dense lists are what the budget is for.
        let dense: String = (1..=MAX_INDEX).map(|i| format!("&Id.{i}=v")).collect();
        let (_, params) = decode(Protocol::Ec2, &format!("Action=X{dense}")).unwrap();
        assert_eq!(params["Id"].as_array().map(Vec::len), Some(MAX_INDEX));
    }

    fn depth(v: &Value) -> usize {
        match v {
            Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// The leaves and list slots of a decoded value.
    fn size(v: &Value) -> usize {
        match v {
            Value::Array(items) => items.len() + items.iter().map(size).sum::<usize>(),
            Value::Object(map) => map.len() + map.values().map(size).sum::<usize>(),
            _ => 1,
        }
    }

    /// `Ok` or `Err` in both protocols; an `Ok` no deeper than the key limit
    /// and no bigger than its body's budget.
    fn check_bounded(body: &str) -> Result<(), TestCaseError> {
        for protocol in [Protocol::Ec2, Protocol::Query] {
            if let Ok((_, params)) = decode(protocol, body) {
                let params = Value::Object(params);
                prop_assert!(depth(&params) <= MAX_KEY_PARTS + 1, "{body}");
                prop_assert!(size(&params) <= 2 * (body.len() + MAX_INDEX), "{body}");
            }
        }
        Ok(())
    }

    /// One dotted part of a key, as a caller or an attacker might send it.
    fn part() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Z][a-zA-Z]{0,5}",
            (0usize..6).prop_map(|i| i.to_string()),
            Just(MAX_INDEX.to_string()),
            Just((MAX_INDEX + 1).to_string()),
            Just("18446744073709551616".to_owned()),
            Just("member".to_owned()),
            Just(String::new()),
            Just("Action".to_owned()),
        ]
    }

    fn field() -> impl Strategy<Value = (String, String)> {
        (proptest::collection::vec(part(), 1..8), "\\PC{0,6}").prop_map(|(parts, value)| (parts.join("."), value))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            check_bounded(&String::from_utf8_lossy(&bytes))?;
            // And the same bytes percent-encoded as a key and as a value.
            let encoded: String = form_urlencoded::byte_serialize(&bytes).collect();
            check_bounded(&format!("Action=X&{encoded}=v&K={encoded}"))?;
        }

        #[test]
        fn structured_keys_decode_or_fail(fields in proptest::collection::vec(field(), 0..12)) {
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("Action", "X")
                .extend_pairs(fields)
                .finish();
            check_bounded(&body)?;
        }

        #[test]
        fn encoding_any_names_never_panics(
            params in proptest::collection::btree_map("\\PC{0,8}", tree(), 0..5),
            operation in "\\PC{0,8}",
        ) {
            let params: Map<String, Value> = params.into_iter().collect();
            for protocol in [Protocol::Ec2, Protocol::Query] {
                check_bounded(&encode(protocol, &operation, "v", &params))?;
            }
        }
    }
}
