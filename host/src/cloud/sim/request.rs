//! Reading request parameters the way AWS does, and building its errors.
//!
//! Parameters arrive in wire names; a number may be a JSON number or a
//! string (the query protocols send text), and a list may hold one object
//! where the caller did not bother with an array.

use serde_json::{Map, Value};

use crate::cloud::{ApiCall, ApiError, Target};

pub use crate::cloud::wire::Protocol;

/// The error for "not allowed here" in `protocol`.
pub fn access_denied(protocol: Protocol, call: &ApiCall, why: &str) -> ApiError {
    let (code, status) = match protocol {
        Protocol::Ec2 => ("UnauthorizedOperation", 403),
        Protocol::Query => ("AccessDenied", 403),
        Protocol::Json => ("AccessDeniedException", 400),
    };
    ApiError::new(code, status, format_args!("not authorized to perform {}:{}: {why}", call.service, call.operation))
}

/// The error for an operation the simulated service does not have.
pub fn unknown_operation(protocol: Protocol, call: &ApiCall) -> ApiError {
    let code = if protocol == Protocol::Json { "UnknownOperationException" } else { "InvalidAction" };
    ApiError::new(code, 400, format_args!("the simulated {} has no operation {}", call.service, call.operation))
}

/// A parameter error in the form each protocol uses.
pub fn invalid(protocol: Protocol, message: impl std::fmt::Display) -> ApiError {
    let code = match protocol {
        Protocol::Ec2 => "InvalidParameterValue",
        Protocol::Query => "ValidationError",
        Protocol::Json => "ValidationException",
    };
    ApiError::new(code, 400, message)
}

/// An integer parameter in `range`, None when absent.
pub fn int(
    protocol: Protocol,
    params: &Map<String, Value>,
    key: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Result<Option<usize>, ApiError> {
    let value = match params.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match value.and_then(|v| usize::try_from(v).ok()) {
        Some(v) if range.contains(&v) => Ok(Some(v)),
        _ => Err(invalid(
            protocol,
            format_args!(
                "Value ( {} ) for parameter {key} is invalid. Expecting a value between {} and {}.",
                params[key],
                range.start(),
                range.end()
            ),
        )),
    }
}

/// A string parameter, None when absent.
pub fn text<'a>(params: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

/// A list parameter: an array, or a lone value taken as a list of one.
pub fn list<'a>(params: &'a Map<String, Value>, key: &str) -> Vec<&'a Value> {
    match params.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    }
}

/// The strings of a list parameter (non-strings are skipped).
pub fn strings<'a>(params: &'a Map<String, Value>, key: &str) -> Vec<&'a str> {
    list(params, key).into_iter().filter_map(Value::as_str).collect()
}

/// A list parameter of strings with a count in `range`: None when absent,
/// an error when it is not a list of strings or has too few or too many.
pub fn string_list<'a>(
    protocol: Protocol,
    params: &'a Map<String, Value>,
    key: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Result<Option<Vec<&'a str>>, ApiError> {
    let items = match params.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(invalid(protocol, format_args!("{key} must be a list of strings"))),
    };
    if !range.contains(&items.len()) {
        return Err(invalid(
            protocol,
            format_args!(
                "1 validation error detected: Value at '{key}' failed to satisfy constraint: Member must have \
                 length between {} and {}",
                range.start(),
                range.end()
            ),
        ));
    }
    items
        .iter()
        .map(|v| v.as_str().ok_or_else(|| invalid(protocol, format_args!("{key} must be a list of strings"))))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A request id that is the same for the same request, so runs compare
/// equal whatever order their calls happened in.
pub fn request_id(target: &Target, call: &ApiCall) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &target.account_id,
        &target.region,
        &call.service,
        &call.operation,
        serde_json::to_string(&call.params).unwrap_or_default(),
    )
        .hash(&mut h);
    let x = h.finish();
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        (x >> 4) & 0xfff,
        x & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_come_as_numbers_or_text_and_out_of_range_is_named() {
        let params = json!({"A": 5, "B": " 7 ", "C": "x", "D": -1, "E": 1.5, "F": u64::MAX, "G": null, "H": [1]});
        let params = params.as_object().unwrap();
        assert_eq!(int(Protocol::Ec2, params, "A", 1..=10).unwrap(), Some(5));
        assert_eq!(int(Protocol::Ec2, params, "B", 1..=10).unwrap(), Some(7));
        assert_eq!(int(Protocol::Ec2, params, "G", 1..=10).unwrap(), None);
        assert_eq!(int(Protocol::Ec2, params, "missing", 1..=10).unwrap(), None);
        for key in ["C", "D", "E", "F", "H"] {
            let e = int(Protocol::Query, params, key, 1..=10).unwrap_err();
            assert_eq!(e.code, "ValidationError");
            assert!(e.message.contains(key) && e.message.contains("between 1 and 10"), "{e}");
        }
    }

    /// Any parameter value, as a decoded form or a JSON body gives them.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            "\\PC{0,12}".prop_map(Value::String),
            "[ 0-9+-]{0,24}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[A-Z][a-z]{0,3}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn readers_never_panic_on_any_parameters(
            params in proptest::collection::btree_map("[A-Z][a-z]{0,3}", value(), 0..6),
            key in "[A-Z][a-z]{0,3}",
            low in 0usize..1000,
            span in 0usize..1000,
            service in "\\PC{0,10}",
            operation in "\\PC{0,10}",
        ) {
            let params: Map<String, Value> = params.into_iter().collect();
            for protocol in [Protocol::Ec2, Protocol::Query, Protocol::Json] {
                if let Ok(Some(n)) = int(protocol, &params, &key, low..=low + span) {
                    prop_assert!((low..=low + span).contains(&n));
                }
                // An empty range (`low > high`) is an error for every value.
                if let Ok(found) = int(protocol, &params, &key, low + 1..=low) {
                    prop_assert_eq!(found, None);
                }
                let call = ApiCall { service: service.clone(), operation: operation.clone(), params: params.clone() };
                for e in [access_denied(protocol, &call, "why"), unknown_operation(protocol, &call), invalid(protocol, "m")] {
                    prop_assert!(e.status == 400 || e.status == 403);
                }
                let target = Target { account_id: "111111111111".into(), account_name: String::new(), region: service.clone() };
                prop_assert_eq!(request_id(&target, &call).len(), 36);
            }
            let _ = text(&params, &key);
            prop_assert!(strings(&params, &key).len() <= list(&params, &key).len());
        }
    }
}
