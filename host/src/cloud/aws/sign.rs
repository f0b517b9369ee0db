//! SigV4: signing a request with `aws-sigv4`, and reading who signed one.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign as sigv4_sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// Credentials to sign with (aws-config's type: its `Debug` hides the
/// secret). They stay in the host: plugins never see them.
pub use aws_credential_types::Credentials;

/// A request that could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign the request: {0}")]
pub struct SignError(String);

/// A request about to be signed.
#[derive(Debug, Clone, Copy)]
pub struct Unsigned<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Full URI, already encoded.
    pub uri: &'a str,
    /// Headers the request already carries (host and content-type at least).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

/// The headers to add to `request` so it is signed for `service` in
/// `region` at `time`: `authorization`, `x-amz-date` and, for temporary
/// credentials, `x-amz-security-token`.
pub fn sign(
    credentials: &Credentials,
    region: &str,
    service: &str,
    request: Unsigned<'_>,
    time: SystemTime,
) -> Result<Vec<(String, String)>, SignError> {
    let identity: Identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SignError(e.to_string()))?
        .into();
    let request = SignableRequest::new(
        request.method,
        request.uri,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| SignError(e.to_string()))?;
    let (instructions, _signature) = sigv4_sign(request, &params).map_err(|e| SignError(e.to_string()))?.into_parts();
    Ok(instructions.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
}

/// Who signed a request, read from its `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBy {
    /// The access key id.
    pub access_key_id: String,
    /// The region of the credential scope.
    pub region: String,
    /// The signing name of the credential scope.
    pub service: String,
}

/// A request whose signature is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignatureError(pub String);

/// Checks the structure of a SigV4 `Authorization` header (algorithm,
/// credential scope, signed headers including host and x-amz-date, a
/// 64-hex-digit signature) against the request's `X-Amz-Date`.
pub fn read_authorization(authorization: &str, amz_date: Option<&str>) -> Result<SignedBy, SignatureError> {
    let bad = |why: &str| SignatureError(format!("malformed SigV4 Authorization header: {why}"));
    let rest =
        authorization.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| bad("algorithm must be AWS4-HMAC-SHA256"))?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return Err(bad(&format!("unexpected component {part:?}"))),
        }
    }
    let credential = credential.ok_or_else(|| bad("no Credential"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(bad("Credential must be KEY/DATE/REGION/SERVICE/aws4_request"));
    };
    let signed: Vec<&str> = signed_headers.ok_or_else(|| bad("no SignedHeaders"))?.split(';').collect();
    if !signed.contains(&"host") || !signed.contains(&"x-amz-date") {
        return Err(bad("SignedHeaders must include host and x-amz-date"));
    }
    let signature = signature.ok_or_else(|| bad("no Signature"))?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("Signature must be 64 hex digits"));
    }
    let amz_date = amz_date.ok_or_else(|| bad("no X-Amz-Date header"))?;
    if !amz_date.starts_with(date) || amz_date.len() != 16 {
        return Err(bad("X-Amz-Date does not match the credential scope date"));
    }
    Ok(SignedBy { access_key_id: access_key_id.to_owned(), region: region.to_owned(), service: service.to_owned() })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn example() -> Credentials {
        Credentials::from_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)
    }

    /// 2015-08-30T12:36:00Z, the time of the AWS SigV4 test suite.
    fn suite_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    #[test]
    fn matches_the_aws_sigv4_test_suite_get_vanilla() {
        // aws-sig-v4-test-suite/get-vanilla: GET / on example.amazonaws.com,
        // service "service", us-east-1.
        let request = Unsigned {
            method: "GET",
            uri: "https://example.amazonaws.com/",
            headers: &[("host", "example.amazonaws.com")],
            body: b"",
        };
        let headers = sign(&example(), "us-east-1", "service", request, suite_time()).unwrap();
        let auth = headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.as_str()).unwrap();
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert!(headers.contains(&("x-amz-date".to_owned(), "20150830T123600Z".to_owned())));
    }

    #[test]
    fn temporary_credentials_add_the_security_token_and_the_form_body_is_signed() {
        let creds = Credentials::from_keys("AKIDEXAMPLE", "secret", Some("token".into()));
        let form = [
            ("host", "ec2.eu-west-1.amazonaws.com"),
            ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ];
        let post = |body: &'static [u8]| Unsigned {
            method: "POST",
            uri: "https://ec2.eu-west-1.amazonaws.com/",
            headers: &form,
            body,
        };
        let a = sign(&creds, "eu-west-1", "ec2", post(b"Action=A"), suite_time()).unwrap();
        let b = sign(&creds, "eu-west-1", "ec2", post(b"Action=B"), suite_time()).unwrap();
        assert!(a.contains(&("x-amz-security-token".to_owned(), "token".to_owned())));
        assert_ne!(a, b, "the body is part of the signature");
        let auth = &a.iter().find(|(k, _)| k == "authorization").unwrap().1;
        let by = read_authorization(auth, Some("20150830T123600Z")).unwrap();
        assert_eq!(
            by,
            SignedBy { access_key_id: "AKIDEXAMPLE".into(), region: "eu-west-1".into(), service: "ec2".into() }
        );
    }

    #[test]
    fn malformed_authorization_headers_are_named() {
        let good = "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=".to_owned() + &"a".repeat(64);
        assert!(read_authorization(&good, Some("20150830T123600Z")).is_ok());
        for (header, date) in [
            ("Basic abc", Some("20150830T123600Z")),
            (&good.replace("/aws4_request", ""), Some("20150830T123600Z")),
            (&good.replace("host;", ""), Some("20150830T123600Z")),
            (&good.replace(&"a".repeat(64), "xyz"), Some("20150830T123600Z")),
            (good.as_str(), None),
            (good.as_str(), Some("20200101T000000Z")),
        ] {
            assert!(read_authorization(header, date).is_err(), "{header} / {date:?}");
        }
    }

    use proptest::prelude::*;

    /// Ok or Err; an Ok names only what the header said.
    fn check(header: &str, date: Option<&str>) -> Result<(), TestCaseError> {
        if let Ok(by) = read_authorization(header, date) {
            for part in [&by.access_key_id, &by.region, &by.service] {
                prop_assert!(header.contains(part.as_str()), "{header}: {by:?}");
            }
        }
        Ok(())
    }

    /// The pieces of a header, each well formed or not.
    fn component() -> impl Strategy<Value = String> {
        let scope = proptest::collection::vec(
            prop_oneof!["[A-Z0-9]{0,20}", "[0-9]{8}", Just("aws4_request".to_owned()), "\\PC{0,6}"],
            0..7,
        );
        prop_oneof![
            scope.prop_map(|parts| format!("Credential={}", parts.join("/"))),
            proptest::collection::vec(prop_oneof![Just("host"), Just("x-amz-date"), Just(""), Just("=")], 0..4)
                .prop_map(|h| format!("SignedHeaders={}", h.join(";"))),
            "[0-9a-fA-F]{62,66}".prop_map(|s| format!("Signature={s}")),
            "\\PC{0,12}",
            Just("=".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_headers_never_panic(header in "\\PC{0,200}", date in proptest::option::of("\\PC{0,20}")) {
            check(&header, date.as_deref())?;
            check(&format!("AWS4-HMAC-SHA256 {header}"), date.as_deref())?;
        }

        #[test]
        fn structured_headers_never_panic(
            parts in proptest::collection::vec(component(), 0..6),
            separator in prop_oneof![Just(", "), Just(","), Just(" ,"), Just(",,")],
            date in proptest::option::of(prop_oneof!["[0-9]{8}T[0-9]{6}Z", "\\PC{0,20}"]),
        ) {
            check(&format!("AWS4-HMAC-SHA256 {}", parts.join(separator)), date.as_deref())?;
        }

        #[test]
        fn signed_headers_are_read_back(
            key in "[A-Z0-9]{16,20}",
            region in "[a-z]{2}-[a-z]{4,9}-[1-9]",
            service in "[a-z]{2,12}",
            body in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let creds = Credentials::from_keys(key.clone(), "secret", None);
            let uri = format!("https://{service}.{region}.amazonaws.com/");
            let host = format!("{service}.{region}.amazonaws.com");
            let request = Unsigned { method: "POST", uri: &uri, headers: &[("host", &host)], body: &body };
            let headers = sign(&creds, &region, &service, request, suite_time()).unwrap();
            let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            let by = read_authorization(header("authorization").unwrap(), header("x-amz-date")).unwrap();
            prop_assert_eq!(by, SignedBy { access_key_id: key, region, service });
        }
    }
}
