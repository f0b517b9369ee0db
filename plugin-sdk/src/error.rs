//! The error a collector returns, and how API errors map onto it.

use std::fmt;

use crate::bindings::trawl::collector::types;
use crate::cloud::ApiError;

/// Why `collect` produced no records. `?` on an [`ApiError`] turns the
/// AccessDenied family into [`Error::Skipped`] and anything else into
/// [`Error::Failed`], keeping the AWS error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Nothing to collect here, and that is fine (not a failure).
    Skipped {
        /// Machine-readable code, e.g. `AccessDenied`.
        code: String,
        /// A sentence for operators.
        message: String,
    },
    /// The target failed; counted in the run's error summary by `code`.
    Failed {
        /// Machine-readable code, e.g. `InvalidParameterValue`.
        code: String,
        /// A sentence for operators.
        message: String,
    },
}

impl Error {
    /// A failure with a code of the plugin's choosing.
    pub fn failed(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Failed { code: code.into(), message: message.into() }
    }

    /// A skip with a code of the plugin's choosing.
    pub fn skipped(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Skipped { code: code.into(), message: message.into() }
    }

    /// The error code, whichever the kind.
    pub fn code(&self) -> &str {
        match self {
            Self::Skipped { code, .. } | Self::Failed { code, .. } => code,
        }
    }

    #[doc(hidden)]
    pub fn into_wit(self) -> types::CollectError {
        match self {
            Self::Skipped { code, message } => types::CollectError::Skipped(types::Reason { code, message }),
            Self::Failed { code, message } => types::CollectError::Failed(types::Reason { code, message }),
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        let message = match &e.request_id {
            Some(id) => format!("{} (request id {id})", e.message),
            None => e.message.clone(),
        };
        if e.is_access_denied() {
            Self::Skipped { code: e.code, message }
        } else {
            Self::Failed { code: e.code, message }
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        ApiError::from(e).into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Skipped { code, message } => write!(f, "skipped: {code}: {message}"),
            Self::Failed { code, message } => write!(f, "failed: {code}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_family_is_skipped_and_keeps_code() {
        for code in ["AccessDenied", "UnauthorizedOperation", "OptInRequired", "SubscriptionRequiredException"] {
            let e = Error::from(ApiError::new(code, "no"));
            assert_eq!(e, Error::skipped(code, "no"), "{code}");
        }
    }

    #[test]
    fn other_errors_fail_with_their_code_and_request_id() {
        let mut api = ApiError::new("InvalidParameterValue", "bad MaxResults");
        api.request_id = Some("req-1".into());
        assert_eq!(Error::from(api), Error::failed("InvalidParameterValue", "bad MaxResults (request id req-1)"));
        // A host-side permission refusal is the plugin's own bug, never a skip.
        assert!(matches!(Error::from(ApiError::new("trawl.PermissionDenied", "undeclared")), Error::Failed { .. }));
    }

    #[test]
    fn bad_json_is_a_failure_naming_the_shape() {
        let e: Error = serde_json::from_str::<u32>("\"x\"").unwrap_err().into();
        assert_eq!(e.code(), "trawl.UnexpectedShape");
    }
}
