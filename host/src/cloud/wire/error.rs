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
        // Not an AWS error document (a proxy, an HTML page): keep the
        // status and one line of the page; the page itself at -vv.
        tracing::debug!(status, body, "the answer is not an AWS error document");
        (format!("Http{status}"), summary(status, body), None)
    });
    ApiError { code, message, status, request_id }
}

/// The most characters of a page `summary` keeps.
pub const SUMMARY_CHARS: usize = 160;

/// One line for a page that is not an AWS error: `HTTP 502: ` and the
/// page's `<title>`, else its first non-empty line (of text, for markup),
/// whitespace collapsed, control characters removed, cut to
/// [`SUMMARY_CHARS`] with an ellipsis. Error messages end up in one-line
/// reports and logs, where a whole page would not fit.
fn summary(status: u16, body: &str) -> String {
    let line = title(body).unwrap_or_else(|| {
        let text = if body.trim_start().starts_with('<') { strip_tags(body) } else { body.to_owned() };
        text.lines().map(one_line).find(|l| !l.is_empty()).unwrap_or_default()
    });
    let line = one_line(&line);
    if line.is_empty() {
        return format!("HTTP {status} with an empty body");
    }
    let mut message = format!("HTTP {status}: ");
    if line.chars().nth(SUMMARY_CHARS).is_some() {
        message.extend(line.chars().take(SUMMARY_CHARS - 1));
        message.push('…');
    } else {
        message.push_str(&line);
    }
    message
}

/// The text of the first `<title>` element, entities decoded, if any.
fn title(body: &str) -> Option<String> {
    // ASCII lowercasing keeps every byte offset.
    let lower = body.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let raw = &body[start..end];
    let title = quick_xml::escape::unescape(raw).map(|s| s.into_owned()).unwrap_or_else(|_| raw.to_owned());
    let title = one_line(&title);
    (!title.is_empty()).then_some(title)
}

/// `text` without its tags, each tag a line break.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match (in_tag, c) {
            (false, '<') => in_tag = true,
            (true, '>') => {
                in_tag = false;
                out.push('\n');
            }
            (false, c) => out.push(c),
            (true, _) => {}
        }
    }
    out
}

/// Whitespace runs as one space, control characters dropped.
fn one_line(text: &str) -> String {
    let words = text.split_whitespace().map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>());
    words.filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
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
        assert_eq!(e.message, "HTTP 500: Internal Server Error");
    }

    #[test]
    fn an_html_page_becomes_its_title_on_one_line() {
        // moto's answer to an operation it does not implement, roughly.
        let page = "<!doctype html>\n<html lang=en>\n<head>\n  <TITLE>501 Not\n   Implemented &amp; \u{7}such</TITLE>\n</head>\n\
                    <body><h1>Not Implemented</h1>\n<p>The server does not support the action requested.</p></body></html>\n";
        for protocol in [Protocol::Ec2, Protocol::Query, Protocol::Json] {
            let e = parse(protocol, 501, page, None);
            assert_eq!((e.code.as_str(), e.message.as_str()), ("Http501", "HTTP 501: 501 Not Implemented & such"));
        }
        let untitled = "\n\n<html><body>\n\t<h1>502   Bad\tGateway</h1><hr><center>nginx</center></body></html>";
        assert_eq!(parse(Protocol::Query, 502, untitled, None).message, "HTTP 502: 502 Bad Gateway");
    }

    #[test]
    fn a_long_plain_body_becomes_its_first_line_cut_short() {
        let body = format!("\n  \r\n\tupstream\x1b[31m   connect error\n{}", "details ".repeat(1_000));
        let e = parse(Protocol::Ec2, 503, &body, None);
        assert_eq!(e.message, "HTTP 503: upstream[31m connect error");

        let one_long_line = "word ".repeat(2_000);
        let e = parse(Protocol::Json, 500, &one_long_line, None);
        let summary = e.message.strip_prefix("HTTP 500: ").unwrap();
        assert_eq!(summary.chars().count(), SUMMARY_CHARS);
        assert!(summary.ends_with('…') && summary.starts_with("word word"), "{summary}");
    }

    #[test]
    fn an_empty_body_says_so() {
        for body in ["", "  \n\t\r\n", "<html></html>", "\u{0}\u{1}"] {
            let e = parse(Protocol::Query, 500, body, None);
            assert_eq!((e.code.as_str(), e.message.as_str()), ("Http500", "HTTP 500 with an empty body"), "{body:?}");
        }
    }

    use proptest::prelude::*;

    /// What every answer must satisfy: the status kept, and a message on one
    /// bounded line whenever the body was not an AWS error.
    fn check(protocol: Protocol, status: u16, body: &str, header: Option<&str>) -> Result<(), TestCaseError> {
        let e = parse(protocol, status, body, header);
        prop_assert_eq!(e.status, status);
        if e.code == format!("Http{status}") {
            prop_assert!(!e.message.contains(|c: char| c.is_control()), "{:?}", e.message);
            prop_assert!(e.message.chars().count() <= SUMMARY_CHARS + "HTTP 65535: ".len(), "{:?}", e.message);
        }
        prop_assert!(e.code.len() <= body.len().max(header.map_or(0, str::len)) + "Http65535".len());
        Ok(())
    }

    /// Fragments of AWS error documents, HTML pages and JSON, to be glued.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("<Response><Errors><Error>".to_owned()),
            Just("<ErrorResponse><Error>".to_owned()),
            Just("<Code>".to_owned()),
            Just("</Code>".to_owned()),
            Just("<Message>".to_owned()),
            Just("</Message>".to_owned()),
            Just("<RequestId>".to_owned()),
            Just("</RequestID>".to_owned()),
            Just("<title>".to_owned()),
            Just("</TITLE>".to_owned()),
            Just("<html>".to_owned()),
            Just("{\"__type\":".to_owned()),
            Just("\"code\":\"a#B:c\"".to_owned()),
            Just("\"message\":".to_owned()),
            "\\PC{0,8}",
            "[a-z#:&;<>/\"{} \n\t]{0,8}",
            proptest::collection::vec(any::<char>(), 0..4).prop_map(String::from_iter),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bodies_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            status in any::<u16>(),
            header in proptest::option::of("\\PC{0,20}"),
        ) {
            let body = String::from_utf8_lossy(&bytes);
            for protocol in [Protocol::Ec2, Protocol::Query, Protocol::Json] {
                check(protocol, status, &body, header.as_deref())?;
            }
        }

        #[test]
        fn glued_fragments_never_panic(parts in proptest::collection::vec(fragment(), 0..16), status in 400u16..600) {
            let body = parts.concat();
            for protocol in [Protocol::Ec2, Protocol::Query, Protocol::Json] {
                check(protocol, status, &body, None)?;
            }
        }

        #[test]
        fn any_error_round_trips_its_code(code in "[A-Za-z][A-Za-z0-9.]{0,20}", message in "\\PC{0,40}", status in 400u16..600) {
            let error = ApiError { code, message, status, request_id: None };
            for protocol in [Protocol::Ec2, Protocol::Query, Protocol::Json] {
                let (body, _) = encode(protocol, &error);
                let back = parse(protocol, status, &body, None);
                prop_assert_eq!(&back.code, &error.code);
                if protocol != Protocol::Json {
                    // JSON keeps the message as is; XML as its text.
                    prop_assert_eq!(back.message.trim(), error.message.trim());
                }
            }
        }
    }
}
