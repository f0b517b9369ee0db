//! `host sim serve`: the simulated cloud over HTTP, speaking AWS's wire
//! protocols, so the AWS backend and any AWS client (boto3, the AWS CLI)
//! can be pointed at it with an endpoint URL.
//!
//! Every request must carry a well-formed SigV4 `Authorization` header.
//! The account is chosen by the access key: the simulator's keys are
//! `AKIA` (or `ASIA`) + the 12-digit account id + any 4 characters, e.g.
//! `AKIA111111111111DEMO`; any secret is accepted. The region and service
//! come from the credential scope; the operation from `Action` (EC2 and
//! query services) or `X-Amz-Target` (JSON services, and CloudWatch asked
//! in awsJson1_0, as boto3 asks it). Answers go through
//! the same [`crate::cloud::Backend`] as in-process runs: throttling,
//! latency and faults included.
//!
//! Whoever connects, a connection costs a bounded amount ([`Limits`]): a
//! body over 1 MiB is answered 413 (`RequestEntityTooLarge`) without being
//! read, more than 100 headers or a head over 64 KiB 431, a head that takes
//! over 30 s closes the connection (also how long an idle keep-alive
//! connection is kept), a body that takes over 30 s is answered 408
//! (`RequestTimeout`), and a connection is closed after its answer once it
//! is 10 minutes old.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value};
use tokio::net::TcpListener;

use crate::cloud::aws::sign::read_authorization;
use crate::cloud::wire::{Protocol, Service, error, form, xml};
use crate::cloud::{ApiCall, ApiError, Backend, Target};

/// What one connection may send and for how long, so that no client (a
/// buggy one, a port scanner, a slow loris) can hold the server's memory
/// or its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body (1 MiB; AWS's query APIs take far less);
    /// a larger one is answered 413 without being read.
    pub max_body_bytes: usize,
    /// The most headers in a request (100; SDKs send about 12); more: 431.
    pub max_headers: usize,
    /// The largest request head, request line and headers together (64
    /// KiB; a session token is about 1 KiB); larger: 431.
    pub max_head_bytes: usize,
    /// Time for a request's head to arrive (30 s); then the connection is
    /// closed. It also bounds how long an idle keep-alive connection stays.
    pub header_timeout: Duration,
    /// Time for a request's body to arrive after its head (30 s); then 408.
    pub body_timeout: Duration,
    /// Age after which a connection is closed once its current answer is
    /// sent (10 minutes); one that does not finish within
    /// [`SHUTDOWN_GRACE`] more is dropped.
    pub max_connection_age: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_headers: 100,
            max_head_bytes: 64 << 10,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connection_age: Duration::from_secs(600),
        }
    }
}

/// How long a connection past its age may take to finish its answer: more
/// than the simulator's slowest (`--sim-slow-rate` answers after 30 s).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(120);

/// Serves `backend` on `listener` with the default [`Limits`] until the
/// task is dropped.
pub async fn serve(backend: Arc<dyn Backend>, listener: TcpListener) -> std::io::Result<()> {
    serve_with(backend, listener, Limits::default()).await
}

/// Serves `backend` on `listener` within `limits` until the task is dropped.
pub async fn serve_with(backend: Arc<dyn Backend>, listener: TcpListener, limits: Limits) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_headers(limits.max_headers)
        .max_header_size(limits.max_head_bytes)
        // hyper's floor for its read buffer is 8 KiB.
        .max_buf_size(limits.max_head_bytes.max(8 << 10));
    loop {
        let (stream, _) = listener.accept().await?;
        let backend = backend.clone();
        let service = service_fn(move |request| answer(backend.clone(), limits, request));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = tokio::time::sleep(limits.max_connection_age) => {
                    connection.as_mut().graceful_shutdown();
                    match tokio::time::timeout(SHUTDOWN_GRACE, connection).await {
                        Ok(ended) => ended,
                        Err(_) => {
                            tracing::debug!("dropped a connection that outlived its grace");
                            return;
                        }
                    }
                }
            };
            if let Err(e) = ended {
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

async fn answer(
    backend: Arc<dyn Backend>,
    limits: Limits,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (head, body) = request.into_parts();
    // A declared length over the limit is refused before a byte is read.
    if body.size_hint().lower() > limits.max_body_bytes as u64 {
        return Ok(too_large(&head.headers, limits));
    }
    let read = tokio::time::timeout(limits.body_timeout, Limited::new(body, limits.max_body_bytes).collect()).await;
    let body = match read {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => return Ok(too_large(&head.headers, limits)),
        Ok(Err(e)) => return Ok(plain(StatusCode::BAD_REQUEST, &format!("unreadable body: {e}"))),
        Err(_) => {
            let why = format!("the request body did not arrive within {:?}", limits.body_timeout);
            let error = ApiError::new("RequestTimeout", 408, why);
            return Ok(closing(aws_error(protocol_of(&head.headers), &error)));
        }
    };
    let Parsed { protocol, target, call, query_compatible } = match read_request(&head.headers, &body) {
        Ok(parsed) => parsed,
        Err(refusal) => return Ok(*refusal),
    };
    Ok(match backend.call(&target, &call).await {
        Ok(json) if query_compatible => {
            let doc: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
            let doc = super::monitoring::json_protocol(&call.operation, doc);
            respond(StatusCode::OK, "application/x-amz-json-1.0", doc.to_string())
        }
        Ok(json) if protocol == Protocol::Json => respond(StatusCode::OK, "application/x-amz-json-1.1", json),
        Ok(json) => {
            let doc: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
            let xml = xml::json_to_response(&doc, protocol, &call.operation, "sim-request");
            respond(StatusCode::OK, "text/xml", xml)
        }
        Err(e) if query_compatible => query_compatible_error(&e),
        Err(e) => aws_error(protocol, &e),
    })
}

/// Query services that also speak awsJson1_0, and their `X-Amz-Target`
/// prefix: CloudWatch answers JSON as well (boto3 has asked for it since
/// botocore 1.38), with the query error code in `x-amzn-query-error`.
const QUERY_ALSO_JSON: [(&str, &str); 1] = [("monitoring", "GraniteServiceVersion20100801")];

/// An error of a query-compatible JSON answer: the JSON body, and the
/// query protocol's code and fault in `x-amzn-query-error`, where
/// AWS's SDKs read it.
fn query_compatible_error(e: &ApiError) -> Response<Full<Bytes>> {
    let mut response = aws_error(Protocol::Json, e);
    let fault = if e.status >= 500 { "Receiver" } else { "Sender" };
    if let Ok(value) = http::HeaderValue::from_str(&format!("{};{fault}", e.code)) {
        response.headers_mut().insert("x-amzn-query-error", value);
    }
    response
}

/// A request read: the call, whom it is for, and the protocol to answer in.
#[derive(Debug)]
struct Parsed {
    protocol: Protocol,
    target: Target,
    call: ApiCall,
    /// A query service asked in JSON (see [`QUERY_ALSO_JSON`]).
    query_compatible: bool,
}

/// Reads the call in a request's headers and body, or the answer refusing
/// it (always a 4xx): any bytes are one or the other.
fn read_request(headers: &HeaderMap, body: &[u8]) -> Result<Parsed, Box<Response<Full<Bytes>>>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(authorization) = header("authorization") else {
        let why = "MissingAuthenticationToken: requests must be signed with SigV4";
        return Err(Box::new(plain(StatusCode::FORBIDDEN, why)));
    };
    let signed = read_authorization(authorization, header("x-amz-date"))
        .map_err(|e| Box::new(plain(StatusCode::FORBIDDEN, &format!("IncompleteSignature: {e}"))))?;
    let Some(service) = Service::named(&signed.service) else {
        let why = format!("the simulator does not speak {:?}", signed.service);
        return Err(Box::new(plain(StatusCode::BAD_REQUEST, &why)));
    };
    let text = String::from_utf8_lossy(body);
    let json_target = QUERY_ALSO_JSON
        .iter()
        .find(|(name, _)| *name == service.name)
        .map(|(_, prefix)| *prefix)
        .filter(|prefix| header("x-amz-target").is_some_and(|t| t.starts_with(prefix)));
    let protocol = if json_target.is_some() { Protocol::Json } else { service.protocol };
    let decoded: Result<(String, Map<String, Value>), String> = match protocol {
        Protocol::Json => {
            let prefix = json_target.unwrap_or(service.version);
            let operation = header("x-amz-target")
                .and_then(|t| t.strip_prefix(prefix))
                .and_then(|t| t.strip_prefix('.'))
                .map(str::to_owned)
                .ok_or_else(|| format!("X-Amz-Target must be {prefix}.Operation"));
            let params = match serde_json::from_str::<Value>(if text.trim().is_empty() { "{}" } else { &text }) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err("the body must be a JSON object".to_owned()),
            };
            operation.and_then(|op| params.map(|p| (op, p)))
        }
        protocol => form::decode(protocol, &text).map_err(|e| e.to_string()),
    };
    let (operation, params) =
        decoded.map_err(|e| Box::new(aws_error(protocol, &ApiError::new("ValidationError", 400, e))))?;
    let Some(account_id) = account_of(&signed.access_key_id) else {
        let error =
            ApiError::new("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
        return Err(Box::new(aws_error(protocol, &error)));
    };
    let target = Target { account_id: account_id.to_owned(), account_name: String::new(), region: signed.region };
    let call = ApiCall { service: service.name.to_owned(), operation, params };
    Ok(Parsed { protocol, target, call, query_compatible: json_target.is_some() })
}

/// The protocol a request's signature names, for errors answered before
/// its body is read; awsQuery's shape when it names none.
fn protocol_of(headers: &HeaderMap) -> Protocol {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("authorization")
        .and_then(|a| read_authorization(a, header("x-amz-date")).ok())
        .and_then(|signed| Service::named(&signed.service))
        .map_or(Protocol::Query, |s| s.protocol)
}

/// 413, and the connection closed: the rest of the body is never read.
fn too_large(headers: &HeaderMap, limits: Limits) -> Response<Full<Bytes>> {
    let why = format!("the request body is larger than {} bytes", limits.max_body_bytes);
    closing(aws_error(protocol_of(headers), &ApiError::new("RequestEntityTooLarge", 413, why)))
}

fn closing(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    response.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    response
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
    use proptest::prelude::*;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

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
    async fn new_operations_over_http_equal_the_in_process_answers() {
        let url = start(SimCloud::new(demo())).await;
        let local = SimCloud::new(demo());
        let usage = json!({
            "MetricDataQueries": [
                {
                    "Id": "vcpus",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Usage",
                            "MetricName": "ResourceCount",
                            "Dimensions": [
                                {"Name": "Service", "Value": "EC2"},
                                {"Name": "Type", "Value": "Resource"},
                                {"Name": "Resource", "Value": "vCPU"},
                                {"Name": "Class", "Value": "Standard/OnDemand"},
                            ],
                        },
                        "Period": 300,
                        "Stat": "Maximum",
                    },
                    "ReturnData": true,
                },
                {
                    "Id": "lambda",
                    "Label": "concurrency <max>",
                    "MetricStat": {
                        "Metric": {"Namespace": "AWS/Lambda", "MetricName": "ConcurrentExecutions"},
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                },
                {
                    "Id": "none",
                    "MetricStat": {"Metric": {"Namespace": "AWS/Usage", "MetricName": "Nope"}, "Period": 60, "Stat": "Sum"},
                },
            ],
            "StartTime": "2026-03-01T00:00:00Z",
            "EndTime": "2026-03-01T06:00:00Z",
        });
        let mut paged = usage.clone();
        paged["MaxDatapoints"] = json!(1);
        let calls = [
            ("iam", "ListUsers", json!({"MaxItems": 4})),
            ("iam", "ListMFADevices", json!({"UserName": "user-003"})),
            ("iam", "ListAccessKeys", json!({"UserName": "user-003", "MaxItems": 1})),
            ("iam", "GetAccessKeyLastUsed", json!({"AccessKeyId": "AKIADEMO0USER001KEY1"})),
            ("iam", "GetAccessKeyLastUsed", json!({"AccessKeyId": "AKIADEMO0USER002KEY1"})),
            ("health", "DescribeEvents", json!({"maxResults": 2})),
            (
                "health",
                "DescribeAffectedEntities",
                json!({"filter": {"eventArns": [
                    "arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED/AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED_DEMO_1"
                ]}}),
            ),
            ("health", "DescribeEventsForOrganization", json!({"filter": {"eventStatusCodes": ["open", "upcoming"]}})),
            ("servicequotas", "GetServiceQuota", json!({"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"})),
            ("monitoring", "GetMetricData", usage.clone()),
            ("monitoring", "GetMetricData", paged),
        ];
        let target =
            Target { account_id: "111111111111".into(), account_name: String::new(), region: "us-east-1".into() };
        for (service, operation, params) in calls {
            let c = call(service, operation, params);
            let (status, over_http) = post(&url, "111111111111", "us-east-1", &c).await;
            let in_process: Value = serde_json::from_str(&local.answer(&target, &c).unwrap()).unwrap();
            assert_eq!((status, over_http.unwrap()), (200, in_process), "{service}:{operation}");
        }
        // And errors keep their code and status.
        let c = call("iam", "ListAccessKeys", json!({"UserName": "nobody"}));
        let (status, e) = post(&url, "111111111111", "us-east-1", &c).await;
        assert_eq!((status, e.unwrap_err().code.as_str()), (404, "NoSuchEntity"));
        let c = call("monitoring", "GetMetricData", json!({"MetricDataQueries": [{"Id": "X"}], "StartTime": 0}));
        let (status, e) = post(&url, "111111111111", "us-east-1", &c).await;
        assert_eq!((status, e.unwrap_err().code.as_str()), (400, "ValidationError"));
    }

    /// A request to CloudWatch in awsJson1_0, as boto3 sends it.
    async fn cloudwatch_json(url: &str, body: Value) -> (StatusCode, HeaderMap, Value) {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIA111111111111DEMO/20260301/us-east-1/monitoring/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature={}",
            "0".repeat(64)
        );
        let request = Request::post(url)
            .header("x-amz-date", "20260301T000000Z")
            .header("authorization", auth)
            .header("x-amz-target", "GraniteServiceVersion20100801.GetMetricData")
            .header("content-type", "application/x-amz-json-1.0")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let response = client.request(request).await.unwrap();
        let (head, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        (head.status, head.headers, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn cloudwatch_also_answers_in_json_as_boto3_asks() {
        let url = start(SimCloud::new(demo())).await;
        let metric = json!({
            "Namespace": "AWS/Usage",
            "MetricName": "ResourceCount",
            "Dimensions": [
                {"Name": "Service", "Value": "EC2"},
                {"Name": "Type", "Value": "Resource"},
                {"Name": "Resource", "Value": "vCPU"},
                {"Name": "Class", "Value": "Standard/Spot"},
            ],
        });
        let body = json!({
            "MetricDataQueries": [
                {"Id": "spot", "MetricStat": {"Metric": metric, "Period": 300, "Stat": "Maximum"}, "ReturnData": true},
                {"Id": "none", "MetricStat": {"Metric": {"Namespace": "A", "MetricName": "B"}, "Period": 300, "Stat": "Maximum"}},
            ],
            "StartTime": 1_772_323_200.0,
            "EndTime": 1_772_326_800,
        });
        let (status, headers, answer) = cloudwatch_json(&url, body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/x-amz-json-1.0");
        let results = answer["MetricDataResults"].as_array().unwrap();
        assert_eq!(results[0]["Values"], json!([540.0]));
        let at = results[0]["Timestamps"][0].as_f64().unwrap();
        assert!((1_772_323_200.0..1_772_326_800.0).contains(&at), "{at}");
        assert_eq!((&results[1]["Timestamps"], &results[1]["Values"]), (&json!([]), &json!([])));
        assert_eq!(answer["Messages"], json!([]));

        let (status, headers, error) = cloudwatch_json(&url, json!({"MetricDataQueries": [{"Id": "Bad"}]})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers["x-amzn-query-error"], "ValidationError;Sender");
        assert_eq!(error["__type"], "ValidationError");
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

    /// The server within `limits`, and its address.
    async fn start_limited(limits: Limits) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve_with(Arc::new(SimCloud::new(demo())), listener, limits));
        address
    }

    /// Short timeouts, so the tests wait for them in well under a second.
    fn impatient() -> Limits {
        Limits {
            header_timeout: Duration::from_millis(200),
            body_timeout: Duration::from_millis(200),
            ..Limits::default()
        }
    }

    /// The head of a well-formed EC2 request, without its final blank line.
    fn ec2_head() -> String {
        format!(
            "POST / HTTP/1.1\r\nhost: ec2.us-east-1.amazonaws.com\r\nx-amz-date: 20250101T000000Z\r\n\
             authorization: AWS4-HMAC-SHA256 Credential=AKIA111111111111DEMO/20250101/us-east-1/ec2/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature={}\r\n\
             content-type: application/x-www-form-urlencoded\r\n",
            "0".repeat(64)
        )
    }

    /// What the server sends until it closes the connection; a reset ends
    /// it too. Generous: it is the server's timeouts that are under test.
    async fn read_until_closed(stream: &mut TcpStream) -> String {
        let mut answer = Vec::new();
        let mut buf = [0; 8192];
        let closed = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the server did not close the connection: {}", String::from_utf8_lossy(&answer));
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_unread() {
        let address = start_limited(Limits::default()).await;
        // 32 writes of 64 KiB.
        for framing in [format!("content-length: {}\r\n", 2 << 20), "transfer-encoding: chunked\r\n".to_owned()] {
            let mut stream = TcpStream::connect(address).await.unwrap();
            stream.write_all(format!("{}{framing}\r\n", ec2_head()).as_bytes()).await.unwrap();
            let (mut reader, mut writer) = stream.into_split();
            let chunked = framing.starts_with("transfer");
            // The client goes on sending; the server stops it.
            let sending = tokio::spawn(async move {
                let data = vec![b'a'; 64 << 10];
                let chunk = if chunked {
                    [format!("{:x}\r\n", data.len()).into_bytes(), data, b"\r\n".to_vec()].concat()
                } else {
                    data
                };
                for _ in 0..32 {
                    if writer.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
            });
            let mut answer = Vec::new();
            let mut buf = [0; 4096];
            let read = tokio::time::timeout(Duration::from_secs(20), async {
                while !String::from_utf8_lossy(&answer).contains("</Response>") {
                    match reader.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                    }
                }
            })
            .await;
            let answer = String::from_utf8_lossy(&answer);
            assert!(read.is_ok(), "no answer: {answer}");
            assert!(answer.starts_with("HTTP/1.1 413"), "{framing}: {answer}");
            assert!(answer.contains("<Code>RequestEntityTooLarge</Code>"), "EC2's error shape: {answer}");
            assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
            sending.abort();
        }
    }

    #[tokio::test]
    async fn a_client_stalling_in_its_head_is_disconnected() {
        let address = start_limited(impatient()).await;
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\nx-amz-da").await.unwrap();
        let answer = read_until_closed(&mut stream).await;
        assert!(!answer.starts_with("HTTP/1.1 2"), "{answer}");
        // An idle keep-alive connection goes the same way.
        let mut idle = TcpStream::connect(address).await.unwrap();
        read_until_closed(&mut idle).await;
    }

    #[tokio::test]
    async fn a_client_stalling_in_its_body_gets_408() {
        let address = start_limited(impatient()).await;
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(format!("{}content-length: 100\r\n\r\nAction=Desc", ec2_head()).as_bytes()).await.unwrap();
        let answer = read_until_closed(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("<Code>RequestTimeout</Code>"), "{answer}");
    }

    #[tokio::test]
    async fn ten_thousand_headers_are_refused_and_the_server_carries_on() {
        let address = start_limited(Limits::default()).await;
        for header in ["a: b\r\n".to_owned(), format!("x-long: {}\r\n", "v".repeat(100))] {
            let mut stream = TcpStream::connect(address).await.unwrap();
            let head = format!("{}{}content-length: 0\r\n\r\n", ec2_head(), header.repeat(10_000));
            // The server may stop reading (and reset) before all is sent.
            let _ = stream.write_all(head.as_bytes()).await;
            let answer = read_until_closed(&mut stream).await;
            assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer}");
        }
        let url = format!("http://{address}/");
        let (status, _) = post(&url, "111111111111", "us-east-1", &call("sts", "GetCallerIdentity", json!({}))).await;
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn an_old_connection_is_closed_after_its_answer() {
        let limits = Limits { max_connection_age: Duration::from_millis(300), ..Limits::default() };
        let address = start_limited(limits).await;
        let mut stream = TcpStream::connect(address).await.unwrap();
        let body = "Action=DescribeVolumes&Version=2016-11-15&MaxResults=5";
        stream
            .write_all(format!("{}content-length: {}\r\n\r\n{body}", ec2_head(), body.len()).as_bytes())
            .await
            .unwrap();
        let answer = read_until_closed(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }

    /// A header value a client might send: a valid signature (for a known
    /// service or not), fragments of one, or noise.
    fn authorization() -> impl Strategy<Value = String> {
        let service = prop_oneof![
            Just("ec2"),
            Just("iam"),
            Just("sts"),
            Just("health"),
            Just("monitoring"),
            Just("s3"),
            Just("")
        ];
        let key = prop_oneof![
            Just("AKIA111111111111DEMO".to_owned()),
            Just("AKIA999999999999DEMO".to_owned()),
            "[A-Z0-9]{0,20}",
            "AKIA\\PC{0,14}",
        ];
        prop_oneof![
            4 => (key, service, "[0-9a-f]{64}").prop_map(|(key, service, sig)| format!(
                "AWS4-HMAC-SHA256 Credential={key}/20250101/us-east-1/{service}/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature={sig}"
            )),
            1 => "AWS4-HMAC-SHA256 [ -~]{0,60}",
            1 => "\\PC{0,40}",
        ]
    }

    /// A body a client might send: a form, JSON, or bytes.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            "Action=[A-Za-z]{0,16}(&[A-Za-z.0-9]{1,12}=[a-z0-9%]{0,6}){0,6}".prop_map(String::into_bytes),
            "\\{(\"[A-Za-z]{1,8}\": ?(\"[a-z]{0,4}\"|[0-9]{1,3}|\\[\\]|\\{\\}|null),?){0,4}\\}?"
                .prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..256),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_request_is_read_or_refused_with_a_4xx(
            authorization in proptest::option::of(authorization()),
            date in proptest::option::of(prop_oneof![Just("20250101T000000Z".to_owned()), "\\PC{0,20}"]),
            target in proptest::option::of(prop_oneof![
                Just("AWSHealth_20160804.DescribeEvents".to_owned()),
                Just("GraniteServiceVersion20100801.GetMetricData".to_owned()),
                "AWSHealth_20160804\\PC{0,12}",
                "GraniteServiceVersion20100801\\PC{0,12}",
                "\\PC{0,20}",
            ]),
            body in body(),
        ) {
            let mut headers = HeaderMap::new();
            for (name, value) in [("authorization", authorization), ("x-amz-date", date), ("x-amz-target", target)] {
                if let Some(value) = value.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
                    headers.insert(name, value);
                }
            }
            match read_request(&headers, &body) {
                Ok(parsed) => {
                    prop_assert!(Service::named(&parsed.call.service).is_some());
                    prop_assert_eq!(parsed.target.account_id.len(), 12);
                }
                Err(refusal) => prop_assert!(refusal.status().is_client_error(), "{}", refusal.status()),
            }
            // What an early error would be answered in never panics either.
            let _ = protocol_of(&headers);
        }
    }

    #[test]
    fn access_keys_name_accounts() {
        assert_eq!(account_of(&access_key_for("123456789012")), Some("123456789012"));
        assert_eq!(account_of("ASIA111111111111ABCD"), Some("111111111111"));
        assert_eq!(account_of("AKIAEXAMPLE"), None);
        assert_eq!(account_of("XKIA111111111111ABCD"), None);
    }
}
