//! `host sim serve`: the simulated cloud over HTTP, speaking AWS's wire
//! protocols, so the AWS backend and any AWS client (boto3, the AWS CLI)
//! can be pointed at it with an endpoint URL.
//!
//! Every request must carry a well-formed SigV4 `Authorization` header.
//! The account is chosen by the access key: the simulator's keys are
//! `AKIA` (or `ASIA`) + the 12-digit account id + any 4 characters, e.g.
//! `AKIA111111111111DEMO`; any secret is accepted. The region and service
//! come from the credential scope; the operation from `Action` (EC2 and
//! query services) or `X-Amz-Target` (JSON services). Answers go through
//! the same [`crate::cloud::Backend`] as in-process runs: throttling,
//! latency and faults included.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::TcpListener;

use crate::cloud::aws::sign::read_authorization;
use crate::cloud::wire::{Protocol, Service, error, form, xml};
use crate::cloud::{ApiCall, ApiError, Backend, Target};

/// Serves `backend` on `listener` until the task is dropped.
pub async fn serve(backend: Arc<dyn Backend>, listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let backend = backend.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(backend.clone(), request));
            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
}

/// The account id in a simulator access key, if it is one.
pub fn account_of(access_key_id: &str) -> Option<&str> {
    let digits = access_key_id.strip_prefix("AKIA").or_else(|| access_key_id.strip_prefix("ASIA"))?.get(..12)?;
    digits.bytes().all(|b| b.is_ascii_digit()).then_some(digits)
}

/// A simulator access key for `account_id`.
pub fn access_key_for(account_id: &str) -> String {
    format!("AKIA{account_id}DEMO")
}

async fn answer(backend: Arc<dyn Backend>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (authorization, amz_date, target_header) =
        (header("authorization"), header("x-amz-date"), header("x-amz-target"));
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return Ok(plain(StatusCode::BAD_REQUEST, &format!("unreadable body: {e}"))),
    };
    let Some(authorization) = authorization else {
        return Ok(plain(StatusCode::FORBIDDEN, "MissingAuthenticationToken: requests must be signed with SigV4"));
    };
    let signed = match read_authorization(&authorization, amz_date.as_deref()) {
        Ok(signed) => signed,
        Err(e) => return Ok(plain(StatusCode::FORBIDDEN, &format!("IncompleteSignature: {e}"))),
    };
    let Some(service) = Service::named(&signed.service) else {
        return Ok(plain(StatusCode::BAD_REQUEST, &format!("the simulator does not speak {:?}", signed.service)));
    };
    let text = String::from_utf8_lossy(&body);
    let decoded: Result<(String, Map<String, Value>), String> = match service.protocol {
        Protocol::Json => {
            let operation = target_header
                .as_deref()
                .and_then(|t| t.strip_prefix(service.version))
                .and_then(|t| t.strip_prefix('.'))
                .map(str::to_owned)
                .ok_or_else(|| format!("X-Amz-Target must be {}.Operation", service.version));
            let params = match serde_json::from_str::<Value>(if text.trim().is_empty() { "{}" } else { &text }) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err("the body must be a JSON object".to_owned()),
            };
            operation.and_then(|op| params.map(|p| (op, p)))
        }
        protocol => form::decode(protocol, &text).map_err(|e| e.to_string()),
    };
    let (operation, params) = match decoded {
        Ok(decoded) => decoded,
        Err(e) => {
            let error = ApiError::new("ValidationError", 400, e);
            return Ok(aws_error(service.protocol, &error));
        }
    };
    let Some(account_id) = account_of(&signed.access_key_id) else {
        let error =
            ApiError::new("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
        return Ok(aws_error(service.protocol, &error));
    };
    let target =
        Target { account_id: account_id.to_owned(), account_name: String::new(), region: signed.region.clone() };
    let call = ApiCall { service: service.name.to_owned(), operation: operation.clone(), params };
    Ok(match backend.call(&target, &call).await {
        Ok(json) if service.protocol == Protocol::Json => respond(StatusCode::OK, "application/x-amz-json-1.1", json),
        Ok(json) => {
            let doc: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
            let xml = xml::json_to_response(&doc, service.protocol, &operation, "sim-request");
            respond(StatusCode::OK, "text/xml", xml)
        }
        Err(e) => aws_error(service.protocol, &e),
    })
}

fn aws_error(protocol: Protocol, e: &ApiError) -> Response<Full<Bytes>> {
    let (body, content_type) = error::encode(protocol, e);
    let status = StatusCode::from_u16(e.status).ok().filter(|s| !s.is_informational() && e.status != 0);
    respond(status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), content_type, body)
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    respond(status, "text/plain", message.to_owned())
}

fn respond(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert("content-type", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use serde_json::json;

    use super::*;
    use crate::cloud::aws::sign::Credentials;
    use crate::cloud::aws::{AwsBackend, CredentialStore};
    use crate::cloud::sim::{Pressure, SimCloud, demo};
    use crate::cloud::{CloudClient, RetryPolicy};

    async fn start(cloud: SimCloud) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(serve(Arc::new(cloud), listener));
        url
    }

    /// `call` sent by trawl's AWS backend, signed as `account`: the
    /// answer converted back, or the error with its HTTP status.
    async fn post(url: &str, account: &str, region: &str, call: &ApiCall) -> (u16, Result<Value, ApiError>) {
        let creds = Credentials::from_keys(access_key_for(account), "s", None);
        let aws = AwsBackend::new(CredentialStore::new(creds), Some(url.to_owned())).unwrap();
        // One attempt: these tests look at each answer as it came.
        let client = CloudClient::new(
            Arc::new(aws),
            Default::default(),
            RetryPolicy { max_attempts: 1, ..RetryPolicy::default() },
        );
        let target = Target { account_id: account.into(), account_name: String::new(), region: region.into() };
        match client.call(&target, call).await {
            Ok(json) => (200, Ok(serde_json::from_str(&json).unwrap())),
            Err(e) => (e.status, Err(e)),
        }
    }

    fn call(service: &str, operation: &str, params: Value) -> ApiCall {
        ApiCall { service: service.into(), operation: operation.into(), params: params.as_object().unwrap().clone() }
    }

    #[tokio::test]
    async fn ec2_pages_over_http_equal_the_in_process_answers() {
        let url = start(SimCloud::new(demo())).await;
        let local = SimCloud::new(demo());
        let target =
            Target { account_id: "222222222222".into(), account_name: String::new(), region: "eu-west-1".into() };
        let mut params = json!({"MaxResults": 5});
        let mut pages = 0;
        loop {
            let c = call("ec2", "DescribeVolumes", params.clone());
            let (status, over_http) = post(&url, "222222222222", "eu-west-1", &c).await;
            assert_eq!(status, 200);
            let over_http = over_http.unwrap();
            let in_process: Value = serde_json::from_str(&local.answer(&target, &c).unwrap()).unwrap();
            assert_eq!(over_http, in_process, "page {pages}");
            pages += 1;
            match over_http.get("nextToken") {
                Some(token) => params["NextToken"] = token.clone(),
                None => break,
            }
        }
        assert!(pages > 1, "the demo region needs several pages of 5");
    }

    #[tokio::test]
    async fn iam_json_services_and_errors_over_http() {
        let url = start(SimCloud::new(demo())).await;
        // IAM is global: signed for us-east-1 whatever the target region.
        let (status, roles) =
            post(&url, "111111111111", "eu-west-1", &call("iam", "ListRoles", json!({"MaxItems": 2}))).await;
        assert_eq!(status, 200);
        let roles = roles.unwrap();
        assert_eq!(roles["IsTruncated"], "true");
        assert_eq!(roles["Roles"].as_array().unwrap().len(), 2);

        let (status, events) =
            post(&url, "111111111111", "us-east-1", &call("health", "DescribeEvents", json!({}))).await;
        assert_eq!(status, 200);
        assert!(events.unwrap()["events"].is_array());

        let (status, denied) =
            post(&url, "444444444444", "ap-northeast-2", &call("ec2", "DescribeVolumes", json!({}))).await;
        assert_eq!(status, 403);
        let denied = denied.unwrap_err();
        assert_eq!(denied.code, "UnauthorizedOperation");
        assert!(denied.request_id.is_some());

        let (status, no_health) =
            post(&url, "333333333333", "us-east-1", &call("health", "DescribeEvents", json!({}))).await;
        assert_eq!((status, no_health.unwrap_err().code.as_str()), (400, "SubscriptionRequiredException"));

        let (_, unknown) = post(&url, "999999999999", "us-east-1", &call("sts", "GetCallerIdentity", json!({}))).await;
        assert_eq!(unknown.unwrap_err().code, "InvalidClientTokenId");
    }

    #[tokio::test]
    async fn unsigned_or_badly_signed_requests_are_refused() {
        let url = start(SimCloud::new(demo())).await;
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        for auth in [None, Some("AWS4-HMAC-SHA256 Credential=nonsense")] {
            let mut request = Request::post(&url).header("x-amz-date", "20250101T000000Z");
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response =
                client.request(request.body(Full::new(Bytes::from("Action=DescribeVolumes"))).unwrap()).await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
    }

    #[tokio::test]
    async fn server_side_throttling_crosses_the_wire() {
        let pressure = Pressure { limits: vec!["ec2=1/1".parse().unwrap()], ..Pressure::default() };
        let url = start(SimCloud::with_pressure(demo(), pressure)).await;
        let c = call("ec2", "DescribeVolumes", json!({"MaxResults": 5}));
        let (first, _) = post(&url, "111111111111", "us-east-1", &c).await;
        let (second, throttled) = post(&url, "111111111111", "us-east-1", &c).await;
        assert_eq!((first, second), (200, 503));
        let e = throttled.unwrap_err();
        assert_eq!(e.code, "RequestLimitExceeded");
        assert_eq!(crate::cloud::ErrorClass::of(&e), crate::cloud::ErrorClass::Throttling);
    }

    #[test]
    fn access_keys_name_accounts() {
        assert_eq!(account_of(&access_key_for("123456789012")), Some("123456789012"));
        assert_eq!(account_of("ASIA111111111111ABCD"), Some("111111111111"));
        assert_eq!(account_of("AKIAEXAMPLE"), None);
        assert_eq!(account_of("XKIA111111111111ABCD"), None);
    }
}
