//! The AWS backend: each call encoded for its service's wire protocol,
//! signed with the target account's credentials, sent over HTTPS (or to
//! `--endpoint-url`), and its answer converted to the JSON the plugins see.
//! Retries, rate limits and timeouts are the shared call pipeline's
//! (`CloudClient`), exactly as for the simulator.

use std::time::SystemTime;

use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::credentials::{CredentialStore, Credentials};
use super::sign::{Unsigned, sign};
use crate::cloud::wire::{Protocol, Service, error, form, xml};
use crate::cloud::{ApiCall, ApiError, Backend, CloudClient, Target};

/// Real AWS (or anything speaking its protocols at `endpoint_url`).
pub struct AwsBackend {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    endpoint_url: Option<String>,
    credentials: CredentialStore,
}

impl AwsBackend {
    /// A backend signing with `credentials`; `endpoint_url` sends every
    /// call to one URL (moto, LocalStack, `host sim serve`).
    pub fn new(credentials: CredentialStore, endpoint_url: Option<String>) -> std::io::Result<Self> {
        let https =
            hyper_rustls::HttpsConnectorBuilder::new().with_native_roots()?.https_or_http().enable_http1().build();
        let http = Client::builder(TokioExecutor::new()).build(https);
        let endpoint_url = endpoint_url.map(|u| if u.ends_with('/') { u } else { format!("{u}/") });
        Ok(Self { http, endpoint_url, credentials })
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
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| ApiError::new("trawl.ConnectionError", 0, format_args!("{uri}: {e}")))?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (error_type, request_id) = (header("x-amzn-errortype"), header("x-amzn-requestid"));
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| ApiError::new("trawl.ConnectionError", 0, format_args!("{uri}: reading the answer: {e}")))?
            .to_bytes();
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
}

impl Backend for AwsBackend {
    fn prepare<'a>(&'a self, target: &'a Target, client: &'a CloudClient) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(self.credentials.prepare(&target.account_id, client))
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
