//! Calls into the cloud through the host.
//!
//! Every call is bound to the target the host is collecting: the plugin
//! names a service and an operation, never an account, a region or a key.
//! Parameters use the service's wire names; arrays become `Key.N` (EC2) or
//! `Key.member.N` (query services) form fields. Responses of EC2 and query
//! services are their XML converted to JSON with wire names kept, lists as
//! arrays and leaf values as strings (see [`crate::wire`] for typed reads);
//! JSON services answer with their own documents.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::trawl::collector::types;
use crate::host;

/// An error the cloud answered with, or one the host produced on its way
/// (host codes start with `trawl.`). Throttling and transient errors have
/// already been retried by the host when a plugin sees one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The AWS error code, e.g. `UnauthorizedOperation`.
    pub code: String,
    /// The message the service gave.
    pub message: String,
    /// HTTP status, or 0 when no response was received.
    pub status: u16,
    /// The service's request id, when it gave one.
    pub request_id: Option<String>,
}

/// Error codes meaning "you may not look here", which make a target
/// skipped rather than failed; the host classifies with the same list.
pub use trawl_error_codes::ACCESS_DENIED as ACCESS_DENIED_CODES;

impl ApiError {
    /// Builds an error produced inside the plugin, e.g. for a response that
    /// did not have the expected shape.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), status: 0, request_id: None }
    }

    /// True for the AccessDenied family: the target should be skipped.
    pub fn is_access_denied(&self) -> bool {
        ACCESS_DENIED_CODES.contains(&self.code.as_str())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<types::ApiError> for ApiError {
    fn from(e: types::ApiError) -> Self {
        Self { code: e.code, message: e.message, status: e.status, request_id: e.request_id }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        Self::new("trawl.UnexpectedShape", e.to_string())
    }
}

/// Calls `service:operation` with `params` and deserialises the response.
pub fn call<T: DeserializeOwned>(service: &str, operation: &str, params: &impl Serialize) -> Result<T, ApiError> {
    let body = call_raw(service, operation, &serde_json::to_string(params)?)?;
    Ok(serde_json::from_str(&body)?)
}

/// Calls `service:operation` with a JSON string and returns the JSON string
/// the host produced: no parsing on either side.
pub fn call_raw(service: &str, operation: &str, params_json: &str) -> Result<String, ApiError> {
    host::call(service, operation, params_json).map_err(ApiError::from)
}

/// Calls several operations concurrently (the host bounds the concurrency
/// and applies the same limits as for [`call`]); results come back in the
/// order of `requests`, each `(service, operation, params)`.
pub fn call_many<P: Serialize>(
    requests: &[(&str, &str, P)],
) -> Result<Vec<Result<serde_json::Value, ApiError>>, ApiError> {
    let wire = requests
        .iter()
        .map(|(service, operation, params)| {
            Ok(types::Request {
                service: (*service).to_owned(),
                operation: (*operation).to_owned(),
                params: serde_json::to_string(params)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(host::call_many(&wire)
        .into_iter()
        .map(|r| match r {
            Ok(body) => serde_json::from_str(&body).map_err(ApiError::from),
            Err(e) => Err(e.into()),
        })
        .collect())
}
