//! The cloud as the host sees it: a [`Backend`] answers one API call for
//! one (account, region), and a [`Session`] binds a backend to the target a
//! plugin is collecting, with the plugin's declared permissions in front.

pub mod aws;
pub mod client;
pub mod permissions;
pub mod retry;
pub mod session;
pub mod sim;
pub mod wire;

use std::fmt;

use futures::future::BoxFuture;
use serde_json::Value;

pub use crate::targets::Target;

pub use client::{CallCounts, CallStats, CloudClient};
pub use permissions::Permissions;
pub use retry::{ErrorClass, RetryPolicy};
pub use session::Session;

/// One API call, as a plugin asked for it.
#[derive(Debug, Clone)]
pub struct ApiCall {
    /// Service name, e.g. `ec2`.
    pub service: String,
    /// Operation name, e.g. `DescribeVolumes`.
    pub operation: String,
    /// Parameters in wire names; always a JSON object.
    pub params: serde_json::Map<String, Value>,
}

impl ApiCall {
    /// True when the call has neither a page size nor a filter: AWS
    /// throttles such EC2 describes harder, so buckets tell them apart.
    pub fn is_unbounded(&self) -> bool {
        !["MaxResults", "MaxItems", "maxResults", "Filter"].iter().any(|k| self.params.contains_key(*k))
    }
}

/// An error answered by the cloud, or produced by the host on the way
/// (host codes start with `trawl.`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// AWS error code, e.g. `UnauthorizedOperation`.
    pub code: String,
    /// Message as the service gave it.
    pub message: String,
    /// HTTP status, or 0 when no response was received.
    pub status: u16,
    /// Request id, when the service gave one.
    pub request_id: Option<String>,
}

impl ApiError {
    /// An error with the given code, message and HTTP status.
    pub fn new(code: &str, status: u16, message: impl fmt::Display) -> Self {
        Self { code: code.to_owned(), message: message.to_string(), status, request_id: None }
    }
}

/// Something that answers API calls: the simulated cloud, or AWS.
pub trait Backend: Send + Sync + 'static {
    /// Performs `call` in `target`, returning the response document as JSON
    /// text in the convention described in `wit/collector.wit` (text, so a
    /// backend can serialise straight from its own types).
    fn call<'a>(&'a self, target: &'a Target, call: &'a ApiCall) -> BoxFuture<'a, Result<String, ApiError>>;

    /// Readies `target` before a call, outside the client's in-flight
    /// slots: the AWS backend fetches or assumes the account's credentials
    /// here, making its own calls through `client` so they are limited and
    /// counted like the plugins' (and cannot starve for a slot). An error
    /// is the call's. The default has nothing to ready.
    fn prepare<'a>(&'a self, _target: &'a Target, _client: &'a CloudClient) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    /// The URL `call` in `target` goes to, for backends that reach one
    /// over a network: the client gives up on an endpoint that never
    /// answers. The default (an in-process backend) has none.
    fn endpoint(&self, _target: &Target, _call: &ApiCall) -> Option<String> {
        None
    }
}
