//! The cloud client bound to one target, behind the plugin's declared
//! permissions.

use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::Value;

use super::{ApiCall, ApiError, CloudClient, Permissions, Target};

/// How many calls of one `call-many` run at once: enough to overlap
/// latency, few enough that one task cannot monopolise a bucket.
const CALL_MANY_CONCURRENCY: usize = 8;

/// What a plugin's `cloud` import talks to during one task.
pub struct Session {
    client: Arc<CloudClient>,
    target: Target,
    permissions: Arc<Permissions>,
}

impl Session {
    /// Binds `client` to `target`, allowing only `permissions`.
    pub fn new(client: Arc<CloudClient>, target: Target, permissions: Arc<Permissions>) -> Self {
        Self { client, target, permissions }
    }

    /// One call: permission check, parameter parsing, then the client
    /// (limits, retries, backend).
    pub async fn call(&self, service: &str, operation: &str, params_json: &str) -> Result<String, ApiError> {
        if !self.permissions.allows(service, operation) {
            return Err(ApiError::new(
                "trawl.PermissionDenied",
                0,
                format_args!(
                    "{service}:{operation} is not among the plugin's declared permissions ({})",
                    self.permissions
                ),
            ));
        }
        let params = match serde_json::from_str(params_json) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(ApiError::new(
                    "trawl.BadParams",
                    0,
                    format_args!("params must be a JSON object, got {other:.60}"),
                ));
            }
            Err(e) => return Err(ApiError::new("trawl.BadParams", 0, format_args!("params are not JSON: {e}"))),
        };
        let call = ApiCall { service: service.to_owned(), operation: operation.to_owned(), params };
        self.client.call(&self.target, &call).await
    }

    /// Several calls at once, answers in request order.
    pub async fn call_many(&self, requests: &[(String, String, String)]) -> Vec<Result<String, ApiError>> {
        // Boxed in a plain loop: a closure here makes the future's Send
        // bound unprovable to the compiler (rust-lang/rust#110338).
        let mut calls: Vec<BoxFuture<'_, Result<String, ApiError>>> = Vec::with_capacity(requests.len());
        for (service, operation, params) in requests {
            calls.push(Box::pin(self.call(service, operation, params)));
        }
        futures::stream::iter(calls).buffered(CALL_MANY_CONCURRENCY).collect().await
    }
}
