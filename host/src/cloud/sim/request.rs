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
