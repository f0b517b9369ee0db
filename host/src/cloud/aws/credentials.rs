//! Credentials per account. The caller's own come from aws-config's
//! standard chain (environment, `--profile` or `AWS_PROFILE` in the shared
//! config and credentials files, SSO, credential_process, web identity,
//! container and instance metadata). Each member account is reached with a
//! profile of its own or a role assumed with the caller's credentials; the
//! results are cached and refreshed before they expire. They live in the
//! host only: nothing a plugin can call returns them.
//!
//! Roles are assumed with `sts:AssumeRole` through the run's own call
//! pipeline ([`CloudClient`]) rather than aws-config's `AssumeRoleProvider`,
//! so those calls honour `--endpoint-url`, the STS bucket and the retry
//! policy, and are counted with the rest of the run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use serde_json::Value;

pub use super::sign::Credentials;
use crate::cloud::{ApiCall, ApiError, CloudClient, Target};

/// Credentials are refreshed this long before they expire, or halfway
/// through their life if that is shorter.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Credentials in the cache, and when to fetch new ones.
struct Ready {
    credentials: Credentials,
    refresh_at: Option<SystemTime>,
}

impl Ready {
    fn new(credentials: Credentials) -> Self {
        let now = SystemTime::now();
        let refresh_at = credentials.expiry().map(|expires| {
            let life = expires.duration_since(now).unwrap_or_default();
            expires - REFRESH_MARGIN.min(life / 2)
        });
        Self { credentials, refresh_at }
    }

    /// Not yet due for a refresh.
    fn fresh(&self) -> bool {
        self.refresh_at.is_none_or(|at| SystemTime::now() < at)
    }

    /// Still accepted by AWS.
    fn usable(&self) -> Option<&Credentials> {
        let expired = self.credentials.expiry().is_some_and(|expires| expires <= SystemTime::now());
        (!expired).then_some(&self.credentials)
    }
}

/// The region of the caller's own calls (identity, organisation, STS).
pub const CALLER_REGION: &str = "us-east-1";

/// How one account's credentials are obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The caller's own credentials.
    Caller,
    /// A profile of the shared config files, resolved by aws-config (keys,
    /// SSO, credential_process, its own role_arn...).
    Profile(String),
    /// A role assumed with the caller's credentials.
    Role {
        /// The role's ARN.
        arn: String,
        /// The external id its trust policy asks for.
        external_id: Option<String>,
    },
}

impl Access {
    /// A role given by name (in `account_id`) or by full ARN.
    pub fn role(account_id: &str, name_or_arn: &str, external_id: Option<String>) -> Self {
        let arn = if name_or_arn.starts_with("arn:") {
            name_or_arn.to_owned()
        } else {
            format!("arn:aws:iam::{account_id}:role/{name_or_arn}")
        };
        Self::Role { arn, external_id }
    }
}

/// The caller's credentials cannot be found or used.
#[derive(Debug, thiserror::Error)]
pub struct NoCredentials {
    /// The profile asked for, if any.
    pub profile: Option<String>,
    /// What aws-config said, with its causes.
    pub reason: String,
}

impl std::fmt::Display for NoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.profile {
            Some(profile) => write!(
                f,
                "no usable AWS credentials for profile {profile:?} (looked for in ~/.aws/config and \
                 ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE): {}",
                self.reason
            ),
            None => write!(
                f,
                "no usable AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile \
                 with --profile or AWS_PROFILE): {}",
                self.reason
            ),
        }
    }
}

/// Every account's credentials: how each is obtained, and the cache.
pub struct CredentialStore {
    base: SharedCredentialsProvider,
    /// The profile `base` reads, named in errors.
    base_profile: Option<String>,
    profiles: HashMap<String, SharedCredentialsProvider>,
    accounts: HashMap<String, Access>,
    /// `--role-name` and `--external-id`: the access of accounts that are
    /// not listed and are not the caller's own.
    default_role: Option<(String, Option<String>)>,
    caller: OnceLock<String>,
    /// Ready credentials by source (see [`CredentialStore::source_key`]).
    ready: Mutex<HashMap<String, Ready>>,
    /// One refresh per source at a time; the others wait for it.
    refreshing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl CredentialStore {
    /// A store whose caller credentials come from `base` (fixed
    /// [`Credentials`] are a provider too).
    pub fn new(base: impl ProvideCredentials + 'static) -> Self {
        Self {
            base: SharedCredentialsProvider::new(base),
            base_profile: None,
            profiles: HashMap::new(),
            accounts: HashMap::new(),
            default_role: None,
            caller: OnceLock::new(),
            ready: Mutex::default(),
            refreshing: Mutex::default(),
        }
    }

    /// A store on aws-config's standard chain, for `profile` (else
    /// `AWS_PROFILE`, else the default profile). The chain's own HTTP
    /// calls (SSO, instance metadata) use rustls with ring, like the
    /// backend, so the build carries one TLS stack.
    pub async fn from_chain(profile: Option<&str>) -> Result<Self, NoCredentials> {
        Ok(Self { base_profile: profile.map(str::to_owned), ..Self::new(chain(profile).await?) })
    }

    /// Uses `access` for `account_id`, resolving profiles through the chain.
    pub async fn set_account(&mut self, account_id: &str, access: Access) -> Result<(), NoCredentials> {
        if let Access::Profile(name) = &access
            && !self.profiles.contains_key(name)
        {
            self.profiles.insert(name.clone(), chain(Some(name)).await?);
        }
        self.accounts.insert(account_id.to_owned(), access);
        Ok(())
    }

    /// Assumes `role_name` in the accounts that are neither listed nor the caller's.
    pub fn set_default_role(&mut self, role_name: String, external_id: Option<String>) {
        self.default_role = Some((role_name, external_id));
    }

    /// Whether `account_id` has a way in other than the caller's credentials.
    pub fn has_access(&self, account_id: &str) -> bool {
        self.accounts.contains_key(account_id) || self.default_role.is_some()
    }

    /// Tells the store which account the caller's credentials belong to.
    pub fn set_caller_account(&self, account_id: &str) {
        let _ = self.caller.set(account_id.to_owned());
    }

    /// The caller's credentials, fetched now: a missing or broken chain is
    /// the operator's to fix before the run starts.
    pub async fn check_caller(&self) -> Result<(), NoCredentials> {
        let credentials = self
            .base
            .provide_credentials()
            .await
            .map_err(|e| NoCredentials { profile: self.base_profile.clone(), reason: one_line(&e) })?;
        self.ready.lock().unwrap().insert(String::new(), Ready::new(credentials));
        Ok(())
    }

    /// How `account_id` is reached: as listed, the caller's own account
    /// (or an unknown one, `""`) with the caller's credentials, else the
    /// default role.
    pub fn access(&self, account_id: &str) -> Access {
        if let Some(access) = self.accounts.get(account_id) {
            return access.clone();
        }
        let is_caller = account_id.is_empty() || self.caller.get().map(String::as_str) == Some(account_id);
        match &self.default_role {
            Some((role, external_id)) if !is_caller => Access::role(account_id, role, external_id.clone()),
            _ => Access::Caller,
        }
    }

    /// The cache key of `access`: accounts sharing a source share it.
    fn source_key(access: &Access) -> String {
        match access {
            Access::Caller => String::new(),
            Access::Profile(name) => format!("profile:{name}"),
            Access::Role { arn, .. } => arn.clone(),
        }
    }

    /// Credentials for `account_id` if they are ready and not expired.
    pub fn cached(&self, account_id: &str) -> Option<Credentials> {
        let key = Self::source_key(&self.access(account_id));
        self.ready.lock().unwrap().get(&key).and_then(Ready::usable).cloned()
    }

    /// Makes `account_id`'s credentials ready, fetching or assuming them if
    /// they are missing or about to expire. A role is assumed through
    /// `client` as the caller. An account whose role cannot be assumed gets
    /// STS's error (AccessDenied makes the target skipped, anything else
    /// failed).
    pub async fn prepare(&self, account_id: &str, client: &CloudClient) -> Result<(), ApiError> {
        let access = self.access(account_id);
        let key = Self::source_key(&access);
        if self.ready.lock().unwrap().get(&key).is_some_and(Ready::fresh) {
            return Ok(());
        }
        let gate = self.refreshing.lock().unwrap().entry(key.clone()).or_default().clone();
        let _refreshing = gate.lock().await;
        if self.ready.lock().unwrap().get(&key).is_some_and(Ready::fresh) {
            return Ok(());
        }
        let credentials = match &access {
            Access::Caller => provide(&self.base, "the caller's").await?,
            Access::Profile(name) => provide(&self.profiles[name], &format!("profile {name:?}")).await?,
            Access::Role { arn, external_id } => {
                let caller = self.caller.get().cloned().unwrap_or_default();
                assume(client, &caller, arn, external_id.as_deref()).await?
            }
        };
        self.ready.lock().unwrap().insert(key, Ready::new(credentials));
        Ok(())
    }
}

/// aws-config's credentials over rustls with ring: the named `profile`
/// alone (as with the AWS CLI, a named profile wins over environment
/// keys, which would otherwise reach the wrong account), else the standard
/// chain.
async fn chain(profile: Option<&str>) -> Result<SharedCredentialsProvider, NoCredentials> {
    let http =
        aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
    if let Some(name) = profile {
        let config = ProviderConfig::without_region()
            .with_http_client(http)
            .with_behavior_version(Some(BehaviorVersion::latest()))
            .load_default_region()
            .await;
        let provider = ProfileFileCredentialsProvider::builder().configure(&config).profile_name(name).build();
        return Ok(SharedCredentialsProvider::new(provider));
    }
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await
        .credentials_provider()
        .ok_or_else(|| NoCredentials { profile: None, reason: "aws-config built no credential chain".into() })
}

/// Fresh credentials from an aws-config provider.
async fn provide(provider: &SharedCredentialsProvider, whose: &str) -> Result<Credentials, ApiError> {
    provider
        .provide_credentials()
        .await
        .map_err(|e| ApiError::new("trawl.NoCredentials", 0, format_args!("{whose} credentials: {}", one_line(&e))))
}

/// An error and its causes on one line (aws-config's errors keep the
/// useful part in their sources).
fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        let text = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The caller's own target: identity, organisation and STS calls, limited
/// and counted under the caller's account (`""` until it is known).
pub fn caller_target(caller: &str) -> Target {
    Target { account_id: caller.to_owned(), account_name: "caller".into(), region: CALLER_REGION.into() }
}

async fn assume(
    client: &CloudClient,
    caller: &str,
    role_arn: &str,
    external_id: Option<&str>,
) -> Result<Credentials, ApiError> {
    let mut params = serde_json::Map::new();
    params.insert("RoleArn".into(), role_arn.into());
    params.insert("RoleSessionName".into(), "trawl".into());
    if let Some(id) = external_id {
        params.insert("ExternalId".into(), id.into());
    }
    let call = ApiCall { service: "sts".into(), operation: "AssumeRole".into(), params };
    // Every role is assumed through the caller's STS bucket, so a large
    // organisation meets throttling here first; the pipeline retries it.
    let answer = client.call(&caller_target(caller), &call).await.map_err(|mut e| {
        e.message = format!("assuming {role_arn}: {}", e.message);
        e
    })?;
    let answer: Value = serde_json::from_str(&answer).map_err(|e| ApiError::new("trawl.BadResponse", 0, e))?;
    let field = |name: &str| answer["Credentials"][name].as_str().map(str::to_owned);
    let bad = || ApiError::new("trawl.BadResponse", 0, "AssumeRole answered without credentials");
    let expires = field("Expiration")
        .and_then(|e| humantime::parse_rfc3339_weak(&e).ok())
        .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(900));
    Ok(Credentials::new(
        field("AccessKeyId").ok_or_else(bad)?,
        field("SecretAccessKey").ok_or_else(bad)?,
        field("SessionToken"),
        Some(expires),
        "AssumeRole",
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokio::net::TcpListener;

    use super::*;
    use crate::cloud::aws::AwsBackend;
    use crate::cloud::sim::serve::{access_key_for, serve};
    use crate::cloud::sim::{SimCloud, demo};

    #[tokio::test]
    async fn a_role_is_assumed_once_per_account_through_the_client_and_the_caller_keeps_its_own() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(serve(Arc::new(SimCloud::new(demo())), listener));
        let mut store = CredentialStore::new(Credentials::from_keys(access_key_for("111111111111"), "s", None));
        store.set_default_role("OrganizationAccountAccessRole".into(), None);
        store.set_caller_account("111111111111");
        let client = CloudClient::with_defaults(Arc::new(AwsBackend::new(store, Some(url)).unwrap()));
        let identity =
            ApiCall { service: "sts".into(), operation: "GetCallerIdentity".into(), params: Default::default() };
        let who = |account: &'static str| {
            let (client, identity) = (&client, &identity);
            async move {
                let target =
                    Target { account_id: account.into(), account_name: String::new(), region: "eu-west-1".into() };
                let answer: Value = serde_json::from_str(&client.call(&target, identity).await.unwrap()).unwrap();
                answer["Account"].clone()
            }
        };

        let answers = futures::future::join_all((0..20).map(|_| who("444444444444"))).await;
        assert!(answers.iter().all(|a| *a == json!("444444444444")), "{answers:?}");
        assert_eq!(client.stats().snapshot().calls, 21, "20 calls and one AssumeRole, counted by the client");

        assert_eq!(who("111111111111").await, json!("111111111111"), "the caller's own account is not assumed");
        assert_eq!(client.stats().snapshot().calls, 22);
    }

    /// A provider that counts how often it is asked, giving credentials
    /// that live `lifetime`.
    #[derive(Debug)]
    struct Counting {
        asked: Arc<std::sync::atomic::AtomicU32>,
        lifetime: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let expires = SystemTime::now() + self.lifetime;
            aws_credential_types::provider::future::ProvideCredentials::ready(Ok(Credentials::new(
                "AKIA",
                "s",
                None,
                Some(expires),
                "test",
            )))
        }
    }

    #[tokio::test]
    async fn credentials_are_fetched_again_only_when_due() {
        let client = CloudClient::with_defaults(Arc::new(SimCloud::new(demo())));
        // An hour: one fetch serves every call. Ten minutes: refreshed 5
        // minutes before expiry, so still one. Two seconds: refreshed at
        // half life, yet usable meanwhile.
        for (lifetime, fetches) in [(3600, 1), (600, 1), (2, 2)] {
            let asked = Arc::default();
            let store =
                CredentialStore::new(Counting { asked: Arc::clone(&asked), lifetime: Duration::from_secs(lifetime) });
            for round in 0..3 {
                if round == 2 {
                    tokio::time::sleep(Duration::from_millis(1100)).await;
                }
                store.prepare("", &client).await.unwrap();
                assert!(store.cached("").is_some(), "{lifetime} s credentials usable in round {round}");
            }
            let asked = asked.load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(asked, fetches, "{lifetime} s credentials");
        }
    }

    #[test]
    fn roles_are_named_or_given_whole() {
        assert_eq!(
            Access::role("123456789012", "Audit", None),
            Access::Role { arn: "arn:aws:iam::123456789012:role/Audit".into(), external_id: None }
        );
        let arn = "arn:aws-us-gov:iam::123456789012:role/path/Audit";
        assert_eq!(
            Access::role("123456789012", arn, Some("x".into())),
            Access::Role { arn: arn.into(), external_id: Some("x".into()) }
        );
    }
}
