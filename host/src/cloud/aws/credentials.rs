//! Credentials per account: the caller's own, or a role assumed in each
//! member account, cached and refreshed before it expires. They live in the
//! host only; nothing a plugin can call returns them.
//!
//! The base credentials come from the standard environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
//! Assuming roles uses `sts:AssumeRole` through this backend's own wire
//! layer and signer rather than aws-config's provider, so that calls to STS
//! honour `--endpoint-url` and the simulator; the full aws-config chain
//! (profiles, SSO, web identity, IMDS) is still to come.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::backend::AwsBackend;
pub use super::sign::Credentials;
use crate::cloud::{ApiCall, ApiError, ErrorClass, RetryPolicy};

/// Assumed credentials are refreshed this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// One account's assumed credentials and their expiry, behind a lock held
/// while they are refreshed.
pub type AssumedSlot = Arc<tokio::sync::Mutex<Option<(Credentials, SystemTime)>>>;

/// Where an account's credentials come from.
pub enum CredentialSource {
    /// The same credentials for every call: one account.
    Fixed(Credentials),
    /// `role_name` assumed in each account with the base credentials.
    AssumeRole {
        /// The caller's credentials.
        base: Credentials,
        /// Role to assume in every account, e.g. OrganizationAccountAccessRole.
        role_name: String,
        /// The external id the role's trust policy asks for.
        external_id: Option<String>,
        /// Assumed credentials and their expiry, per account.
        cache: Mutex<HashMap<String, AssumedSlot>>,
        /// The caller's own account, which uses the base credentials (the
        /// management account usually has no such role).
        caller: OnceLock<String>,
    },
}

/// Base credentials missing from the environment.
#[derive(Debug, thiserror::Error)]
#[error(
    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)"
)]
pub struct NoCredentials;

impl CredentialSource {
    /// The base credentials from the environment.
    pub fn from_env() -> Result<Credentials, NoCredentials> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(Credentials {
            access_key_id: var("AWS_ACCESS_KEY_ID").ok_or(NoCredentials)?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY").ok_or(NoCredentials)?,
            session_token: var("AWS_SESSION_TOKEN"),
        })
    }

    /// Assume `role_name` in every account with `base`.
    pub fn assume_role(base: Credentials, role_name: String, external_id: Option<String>) -> Self {
        Self::AssumeRole { base, role_name, external_id, cache: Mutex::default(), caller: OnceLock::new() }
    }

    /// The caller's own credentials.
    pub fn base(&self) -> &Credentials {
        match self {
            Self::Fixed(base) | Self::AssumeRole { base, .. } => base,
        }
    }

    /// Tells the source which account the base credentials belong to.
    pub fn set_caller_account(&self, account_id: &str) {
        if let Self::AssumeRole { caller, .. } = self {
            let _ = caller.set(account_id.to_owned());
        }
    }

    /// Credentials for `account_id`, assuming the role if needed. An
    /// account whose role cannot be assumed gets STS's error (AccessDenied
    /// makes the target skipped, anything else failed).
    pub(super) async fn for_account(&self, backend: &AwsBackend, account_id: &str) -> Result<Credentials, ApiError> {
        let Self::AssumeRole { base, role_name, external_id, cache, caller } = self else {
            return Ok(self.base().clone());
        };
        if caller.get().map(String::as_str) == Some(account_id) {
            return Ok(base.clone());
        }
        let slot = cache.lock().unwrap().entry(account_id.to_owned()).or_default().clone();
        // One refresh per account at a time; the others wait for it.
        let mut slot = slot.lock().await;
        if let Some((credentials, expires)) = &*slot
            && SystemTime::now() + REFRESH_MARGIN < *expires
        {
            return Ok(credentials.clone());
        }
        let fresh = assume(backend, base, account_id, role_name, external_id.as_deref()).await?;
        *slot = Some(fresh.clone());
        Ok(fresh.0)
    }
}

async fn assume(
    backend: &AwsBackend,
    base: &Credentials,
    account_id: &str,
    role_name: &str,
    external_id: Option<&str>,
) -> Result<(Credentials, SystemTime), ApiError> {
    let mut params = serde_json::Map::new();
    params.insert("RoleArn".into(), format!("arn:aws:iam::{account_id}:role/{role_name}").into());
    params.insert("RoleSessionName".into(), "trawl".into());
    if let Some(id) = external_id {
        params.insert("ExternalId".into(), id.into());
    }
    let call = ApiCall { service: "sts".into(), operation: "AssumeRole".into(), params };
    // Every account's role is assumed through the caller's STS bucket, so a
    // large organisation meets throttling here first: retry it the way the
    // call pipeline retries plugin calls.
    let policy = RetryPolicy::default();
    let mut attempt = 1;
    let answer = loop {
        match backend.send(base, "us-east-1", &call).await {
            Ok(answer) => break answer,
            Err(e) if ErrorClass::of(&e).is_retryable() && attempt < policy.max_attempts => {
                let delay = policy.backoff(attempt, &mut rand::rng());
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    };
    let answer: Value = serde_json::from_str(&answer).map_err(|e| ApiError::new("trawl.BadResponse", 0, e))?;
    let field = |name: &str| answer["Credentials"][name].as_str().map(str::to_owned);
    let bad = || ApiError::new("trawl.BadResponse", 0, "AssumeRole answered without credentials");
    let credentials = Credentials {
        access_key_id: field("AccessKeyId").ok_or_else(bad)?,
        secret_access_key: field("SecretAccessKey").ok_or_else(bad)?,
        session_token: field("SessionToken"),
    };
    let expires = field("Expiration")
        .and_then(|e| humantime::parse_rfc3339_weak(&e).ok())
        .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(900));
    Ok((credentials, expires))
}
