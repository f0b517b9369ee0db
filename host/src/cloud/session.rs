//! The cloud client bound to one target, behind the plugin's declared
//! permissions.

use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::Value;

use super::wire::Protocol;
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
        let call = checked_call(&self.permissions, service, operation, params_json)?;
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

/// A plugin's call as the host will send it, or why it may not be sent.
///
/// The operation that was checked against the declared permissions must be
/// the one the request performs: operation and service names are plain
/// words (nothing a header or a form body could split on), and parameters
/// may not carry the protocol's own routing fields (`Action` and `Version`
/// for the EC2 and query protocols, which AWS reads from the same form).
pub fn checked_call(
    permissions: &Permissions,
    service: &str,
    operation: &str,
    params_json: &str,
) -> Result<ApiCall, ApiError> {
    let word = |s: &str, extra: char| {
        !s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == extra)
    };
    if !word(service, '-') || !word(operation, '_') {
        return Err(ApiError::new(
            "trawl.BadParams",
            0,
            format_args!("{:?}:{:?} is not a service and operation name", shorten(service), shorten(operation)),
        ));
    }
    if !permissions.allows(service, operation) {
        return Err(ApiError::new(
            "trawl.PermissionDenied",
            0,
            format_args!("{service}:{operation} is not among the plugin's declared permissions ({permissions})"),
        ));
    }
    let params = match serde_json::from_str(params_json) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(ApiError::new("trawl.BadParams", 0, "params must be a JSON object")),
        Err(e) => return Err(ApiError::new("trawl.BadParams", 0, format_args!("params are not JSON: {e}"))),
    };
    if matches!(Protocol::of(service), Some(Protocol::Ec2 | Protocol::Query))
        && let Some(key) = params.keys().find(|k| ROUTING_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k)))
    {
        return Err(ApiError::new(
            "trawl.BadParams",
            0,
            format_args!(
                "params may not set {key:?}: the host sets Action and Version from the operation ({service}:{operation})"
            ),
        ));
    }
    Ok(ApiCall { service: service.to_owned(), operation: operation.to_owned(), params })
}

/// Form fields of the EC2 and query protocols that name the operation.
const ROUTING_FIELDS: &[&str] = &["Action", "Version"];

/// At most 64 characters of a name a plugin made up, for an error message.
fn shorten(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ebs() -> Permissions {
        Permissions::parse(&["ec2:DescribeVolumes", "health:Describe*"]).unwrap()
    }

    #[test]
    fn params_cannot_rename_the_operation() {
        for params in [
            r#"{"Action": "TerminateInstances", "InstanceId": ["i-0123456789abcdef0"]}"#,
            r#"{"Version": "2099-01-01"}"#,
            r#"{"action": "TerminateInstances"}"#,
        ] {
            let e = checked_call(&ebs(), "ec2", "DescribeVolumes", params).unwrap_err();
            assert_eq!(e.code, "trawl.BadParams", "{params}");
        }
        // Nested keys are data, not routing: `Filter.1.Action` is harmless.
        assert!(checked_call(&ebs(), "ec2", "DescribeVolumes", r#"{"Filter": [{"Name": "Action"}]}"#).is_ok());
        // JSON protocols take the operation from X-Amz-Target, which no
        // parameter can set: such a key is just a field of the body.
        assert!(
            checked_call(&ebs(), "health", "DescribeEvents", r#"{"X-Amz-Target": "AWSHealth_20160804.X"}"#).is_ok()
        );
    }

    #[test]
    fn names_are_plain_words() {
        for (service, operation) in [
            ("health", "DescribeEvents\r\nX-Amz-Target: x"),
            ("health", "DescribeEvents&Action=Delete"),
            ("ec2", ""),
            ("", "DescribeVolumes"),
            ("ec2/../iam", "DescribeVolumes"),
        ] {
            let e = checked_call(&ebs(), service, operation, "{}").unwrap_err();
            assert_eq!(e.code, "trawl.BadParams", "{service}:{operation}");
        }
        let e = checked_call(&ebs(), "ec2", "TerminateInstances", "{}").unwrap_err();
        assert_eq!(e.code, "trawl.PermissionDenied");
        assert!(checked_call(&ebs(), "ec2", "DescribeVolumes", "[]").is_err());
    }
}
