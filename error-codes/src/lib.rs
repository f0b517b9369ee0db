//! The AWS error-code families the trawl host and the plugin SDK agree on.
//!
//! A crate of its own, without dependencies, so the host (which classifies
//! errors for retries) and plugins (which turn access errors into skipped
//! targets) read one list, and neither carries the other's build.

#![no_std]
#![warn(missing_docs)]

/// "You may not look here": missing permissions, a region the account has
/// not opted into, a service that needs a support plan, or a service with
/// no endpoint in the region (`trawl.NoEndpoint`, the host's own). A target
/// that meets one is skipped, not failed, and the call is never retried.
pub const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "OptInRequired",
    "SubscriptionRequiredException",
    "trawl.NoEndpoint",
];

/// The service is slowing the caller down (botocore's list): retry later
/// and slow the bucket.
pub const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Passing faults worth another attempt (HTTP 5xx counts too); `trawl.`
/// codes are the host's own for timeouts and broken connections.
pub const TRANSIENT: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    "trawl.CallTimeout",
    "trawl.ConnectionError",
];
