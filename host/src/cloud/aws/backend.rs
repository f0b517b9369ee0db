//! The AWS backend: each call encoded for its service's wire protocol,
//! signed with the target account's credentials, sent over HTTPS (or to
//! `--endpoint-url`), and its answer converted to the JSON the plugins see.
//! Retries, rate limits and timeouts are the shared call pipeline's
//! (`CloudClient`), exactly as for the simulator.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::credentials::{CredentialStore, Credentials};
use super::sign::{Unsigned, sign};
use crate::cloud::wire::{Endpoint, Protocol, Service, error, form, xml};
use crate::cloud::{ApiCall, ApiError, Backend, CloudClient, Target};

/// How long a TCP connection may take to open: a host that drops
/// packets fails here rather than at the call timeout.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The largest answer read: AWS pages are a few MiB at most, and a server
/// that sends more (a hostile endpoint, a misdirected download) must not
/// fill the host's memory.
const MAX_RESPONSE_BYTES: usize = 32 << 20;

/// Real AWS (or anything speaking its protocols at `endpoint_url`).
pub struct AwsBackend {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    endpoint_url: Option<String>,
    credentials: CredentialStore,
    /// Regions whose EC2 endpoint resolves (see [`AwsBackend::unresolved`]).
    regions_resolving: Mutex<HashMap<String, bool>>,
}

impl AwsBackend {
    /// A backend signing with `credentials`; `endpoint_url` sends every
    /// call to one URL (moto, LocalStack, `host sim serve`).
    pub fn new(credentials: CredentialStore, endpoint_url: Option<String>) -> std::io::Result<Self> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let http = Client::builder(TokioExecutor::new()).build(https);
        let endpoint_url = endpoint_url.map(|u| if u.ends_with('/') { u } else { format!("{u}/") });
        Ok(Self { http, endpoint_url, credentials, regions_resolving: Mutex::default() })
    }

    /// The accounts' credentials.
    pub fn credentials(&self) -> &CredentialStore {
        &self.credentials
    }

    /// Sends `call` to `region` signed with `credentials`; the response
    /// document as JSON text.
    async fn send(&self, credentials: &Credentials, region: &str, call: &ApiCall) -> Result<String, ApiError> {
        let service = Service::named(&call.service).ok_or_else(|| {
            ApiError::new("trawl.UnknownService", 0, format_args!("trawl has no wire protocol for {:?}", call.service))
        })?;
        let (host, signing_region) = service.host(region);
        let uri = self.endpoint_url.clone().unwrap_or_else(|| format!("https://{host}/"));
        let authority = uri.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or(&host).to_owned();
        let (body, content_type, amz_target) = match service.protocol {
            Protocol::Json => (
                serde_json::Value::Object(call.params.clone()).to_string(),
                format!("application/x-amz-json-{}", service.json_version),
                Some(format!("{}.{}", service.version, call.operation)),
            ),
            protocol => (
                form::encode(protocol, &call.operation, service.version, &call.params),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
                None,
            ),
        };
        let mut headers = vec![("host", authority.as_str()), ("content-type", content_type.as_str())];
        if let Some(target) = &amz_target {
            headers.push(("x-amz-target", target.as_str()));
        }
        let unsigned = Unsigned { method: "POST", uri: &uri, headers: &headers, body: body.as_bytes() };
        let signature = sign(credentials, &signing_region, service.signing_name, unsigned, SystemTime::now())
            .map_err(|e| ApiError::new("trawl.SigningFailed", 0, e))?;
        let mut request = hyper::Request::post(&uri);
        for (k, v) in headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).chain(signature) {
            request = request.header(k, v);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ApiError::new("trawl.BadRequest", 0, format_args!("{uri}: {e}")))?;
        let response = match self.http.request(request).await {
            Ok(response) => response,
            Err(e) if self.endpoint_url.is_none() && no_such_host(&e) && service.endpoint == Endpoint::Regional => {
                return Err(self.unresolved(service, region, &host).await);
            }
            Err(e) => return Err(ApiError::new("trawl.ConnectionError", 0, format_args!("{uri}: {e}"))),
        };
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (error_type, request_id) = (header("x-amzn-errortype"), header("x-amzn-requestid"));
        let bytes = match Limited::new(response.into_body(), MAX_RESPONSE_BYTES).collect().await {
            Ok(body) => body.to_bytes(),
            Err(e) if e.is::<LengthLimitError>() => {
                return Err(ApiError::new(
                    "trawl.ResponseTooLarge",
                    status,
                    format_args!("{uri}: the answer is larger than {} MiB", MAX_RESPONSE_BYTES >> 20),
                ));
            }
            Err(e) => {
                return Err(ApiError::new("trawl.ConnectionError", 0, format_args!("{uri}: reading the answer: {e}")));
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        if !(200..300).contains(&status) {
            let mut e = error::parse(service.protocol, status, &text, error_type.as_deref());
            e.request_id = e.request_id.or(request_id);
            return Err(e);
        }
        match service.protocol {
            Protocol::Json => Ok(if text.trim().is_empty() { "{}".to_owned() } else { text.into_owned() }),
            protocol => xml::response_to_json(&text, protocol, &call.operation)
                .map(|v| v.to_string())
                .map_err(|e| ApiError::new("trawl.BadResponse", status, e)),
        }
    }

    /// The error for a regional endpoint whose name does not resolve. AWS
    /// has no endpoint for a service in a region that lacks it, so when the
    /// region itself answers (its EC2 endpoint, which every region has,
    /// resolves) the service is absent there and the target is skipped.
    /// Otherwise the region is unknown or the network is broken: a
    /// connection error, retried and then failed.
    async fn unresolved(&self, service: &Service, region: &str, host: &str) -> ApiError {
        let cannot_resolve = || ApiError::new("trawl.ConnectionError", 0, format_args!("cannot resolve {host}"));
        if service.name == "ec2" {
            return cannot_resolve();
        }
        let cached = self.regions_resolving.lock().unwrap().get(region).copied();
        let region_resolves = match cached {
            Some(known) => known,
            None => {
                let ec2 = Service::named("ec2").map(|s| s.host(region).0).unwrap_or_default();
                let resolves = tokio::net::lookup_host((ec2.as_str(), 443)).await.is_ok();
                self.regions_resolving.lock().unwrap().insert(region.to_owned(), resolves);
                resolves
            }
        };
        if region_resolves {
            ApiError::new(
                "trawl.NoEndpoint",
                0,
                format_args!("{} has no endpoint in {region} ({host} does not resolve)", service.name),
            )
        } else {
            cannot_resolve()
        }
    }
}

/// Whether a request failed because its host name does not exist (an
/// authoritative "no such name", not a DNS server that could not answer).
fn no_such_host(e: &(dyn std::error::Error + 'static)) -> bool {
    // getaddrinfo's EAI_NONAME/EAI_NODATA, as glibc, musl and macOS word
    // them; std reports them only as text.
    const NO_SUCH_NAME: &[&str] = &[
        "Name or service not known",
        "No address associated with hostname",
        "nodename nor servname provided, or not known",
        "Name does not resolve",
    ];
    let mut next = Some(e);
    while let Some(e) = next {
        let text = e.to_string();
        if NO_SUCH_NAME.iter().any(|n| text.contains(n)) {
            return true;
        }
        next = e.source();
    }
    false
}

impl Backend for AwsBackend {
    fn prepare<'a>(&'a self, target: &'a Target, client: &'a CloudClient) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(self.credentials.prepare(&target.account_id, client))
    }

    fn endpoint(&self, target: &Target, call: &ApiCall) -> Option<String> {
        match &self.endpoint_url {
            Some(url) => Some(url.clone()),
            None => Service::named(&call.service).map(|s| format!("https://{}/", s.host(&target.region).0)),
        }
    }

    fn call<'a>(&'a self, target: &'a Target, call: &'a ApiCall) -> BoxFuture<'a, Result<String, ApiError>> {
        Box::pin(async move {
            let credentials = self.credentials.cached(&target.account_id).ok_or_else(|| {
                ApiError::new(
                    "trawl.NoCredentials",
                    0,
                    format_args!(
                        "account {}'s credentials were not prepared (call through CloudClient)",
                        target.account_id
                    ),
                )
            })?;
            self.send(&credentials, &target.region, call).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("client error (Connect)")]
    struct Wrapped(#[source] std::io::Error);

    #[test]
    fn only_a_name_that_does_not_exist_counts_as_no_such_host() {
        let dns =
            |detail: &str| Wrapped(std::io::Error::other(format!("failed to lookup address information: {detail}")));
        assert!(no_such_host(&dns("Name or service not known")));
        assert!(no_such_host(&dns("nodename nor servname provided, or not known")));
        assert!(!no_such_host(&dns("Temporary failure in name resolution")), "a DNS outage is not an absent service");
        assert!(!no_such_host(&Wrapped(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))));
    }

    #[tokio::test]
    async fn a_service_is_absent_only_where_the_region_answers() {
        let aws = AwsBackend::new(CredentialStore::new(Credentials::from_keys("AKIA", "s", None)), None).unwrap();
        let quotas = Service::named("servicequotas").unwrap();
        // Whether this machine resolves AWS names or not, the outcome for a
        // region is decided once and cached.
        aws.regions_resolving.lock().unwrap().insert("eu-west-1".into(), true);
        aws.regions_resolving.lock().unwrap().insert("xx-nowhere-1".into(), false);
        let e = aws.unresolved(quotas, "eu-west-1", "servicequotas.eu-west-1.amazonaws.com").await;
        assert_eq!(e.code, "trawl.NoEndpoint");
        assert!(e.message.contains("servicequotas has no endpoint in eu-west-1"), "{e}");
        let e = aws.unresolved(quotas, "xx-nowhere-1", "servicequotas.xx-nowhere-1.amazonaws.com").await;
        assert_eq!(e.code, "trawl.ConnectionError", "an unknown region or a broken network fails");
        let ec2 = Service::named("ec2").unwrap();
        let e = aws.unresolved(ec2, "eu-west-1", "ec2.eu-west-1.amazonaws.com").await;
        assert_eq!(e.code, "trawl.ConnectionError", "EC2 is in every region: its absence is the network's fault");
    }
}
