//! AWS error responses in their three forms, to [`ApiError`].

use serde_json::Value;

use super::Protocol;
use crate::cloud::ApiError;

/// Reads the error in an HTTP error response. `error_type_header` is
/// `X-Amzn-Errortype`, when present.
pub fn parse(protocol: Protocol, status: u16, body: &str, error_type_header: Option<&str>) -> ApiError {
    let parsed = match protocol {
        Protocol::Json => from_json(body, error_type_header),
        Protocol::Ec2 | Protocol::Query => from_xml(body),
    };
    let (code, message, request_id) = parsed.unwrap_or_else(|| {
        // Not an AWS error document (a proxy, an HTML page): keep the status.
        let snippet: String = body.chars().take(200).collect();
        (format!("Http{status}"), snippet, None)
    });
    ApiError { code, message, status, request_id }
}

/// `{"__type": "ns#Code", "message": ...}`, `code` or the header.
fn from_json(body: &str, header: Option<&str>) -> Option<(String, String, Option<String>)> {
    let doc: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let raw = doc
        .get("__type")
        .or_else(|| doc.get("code"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| header.map(str::to_owned))?;
    let message = ["message", "Message", "errorMessage"]
        .iter()
        .find_map(|k| doc.get(*k).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    Some((sanitize_code(&raw), message, None))
}

/// AWS error codes may carry a namespace (`ns#Code`) and a suffix after
/// `:`; the code is what remains.
pub fn sanitize_code(raw: &str) -> String {
    let no_suffix = raw.split(':').next().unwrap_or(raw);
    no_suffix.rsplit('#').next().unwrap_or(no_suffix).trim().to_owned()
}

/// `<Response><Errors><Error>...` (EC2) or `<ErrorResponse><Error>...`
/// (awsQuery): the first `Code`, `Message` and request id found.
fn from_xml(body: &str) -> Option<(String, String, Option<String>)> {
    let find = |tag: &str| -> Option<String> {
        let open = format!("<{tag}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{tag}>"))? + start;
        let raw = &body[start..end];
        Some(quick_xml::escape::unescape(raw).map(|s| s.into_owned()).unwrap_or_else(|_| raw.to_owned()))
    };
    let code = find("Code")?;
    let request_id = find("RequestID").or_else(|| find("RequestId"));
    Some((sanitize_code(&code), find("Message").unwrap_or_default(), request_id))
}

/// The body AWS sends for `error` in `protocol` (the inverse of [`parse`]),
/// and its content type.
pub fn encode(protocol: Protocol, error: &ApiError) -> (String, &'static str) {
    let escape = |s: &str| quick_xml::escape::escape(s).into_owned();
    let id = error.request_id.as_deref().unwrap_or_default();
    match protocol {
        Protocol::Ec2 => (
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
                escape(&error.code),
                escape(&error.message),
                escape(id)
            ),
            "text/xml",
        ),
        Protocol::Query => (
            format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
                if error.status >= 500 { "Receiver" } else { "Sender" },
                escape(&error.code),
                escape(&error.message),
                escape(id)
            ),
            "text/xml",
        ),
        Protocol::Json => (
            serde_json::json!({"__type": error.code, "message": error.message}).to_string(),
            "application/x-amz-json-1.1",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_errors() {
        let body = "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized &amp; such.</Message></Error></Errors><RequestID>req-9</RequestID></Response>";
        let e = parse(Protocol::Ec2, 403, body, None);
        assert_eq!(
            e,
            ApiError {
                code: "UnauthorizedOperation".into(),
                message: "You are not authorized & such.".into(),
                status: 403,
                request_id: Some("req-9".into())
            }
        );
    }

    #[test]
    fn query_errors() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>";
        let e = parse(Protocol::Query, 400, body, None);
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            ("Throttling", "Rate exceeded", Some("r-1"))
        );
    }

    #[test]
    fn json_errors_from_type_code_or_header() {
        let e = parse(
            Protocol::Json,
            400,
            r#"{"__type":"com.amazonaws.health#SubscriptionRequiredException","message":"no"}"#,
            None,
        );
        assert_eq!((e.code.as_str(), e.message.as_str()), ("SubscriptionRequiredException", "no"));
        let e = parse(Protocol::Json, 400, r#"{"code":"ThrottlingException","Message":"slow"}"#, None);
        assert_eq!((e.code.as_str(), e.message.as_str()), ("ThrottlingException", "slow"));
        let e = parse(Protocol::Json, 400, "", Some("AccessDeniedException:http://internal.amazon.com/"));
        assert_eq!(e.code, "AccessDeniedException");
    }

    #[test]
    fn encode_and_parse_agree_in_every_protocol() {
        let error = ApiError {
            code: "RequestLimitExceeded".into(),
            message: "Request limit exceeded <&>".into(),
            status: 503,
            request_id: Some("r-7".into()),
        };
        for protocol in [Protocol::Ec2, Protocol::Query, Protocol::Json] {
            let (body, _) = encode(protocol, &error);
            let mut back = parse(protocol, 503, &body, None);
            if protocol == Protocol::Json {
                // JSON errors carry the request id in a header, not the body.
                back.request_id = error.request_id.clone();
            }
            assert_eq!(back, error, "{protocol:?}: {body}");
        }
    }

    #[test]
    fn non_aws_bodies_keep_the_status() {
        let e = parse(Protocol::Ec2, 500, "<html>Internal Server Error</html>", None);
        assert_eq!((e.code.as_str(), e.status), ("Http500", 500));
    }
}
