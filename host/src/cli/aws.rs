//! The AWS side of `host run`'s flags (the accounts themselves are found
//! by [`crate::cloud::aws::discovery`]).

/// An endpoint URL the AWS backend can sign for: http(s)://HOST[:PORT][/PATH].
pub fn endpoint_url(s: &str) -> Result<String, String> {
    let uri: http::Uri = s.parse().map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(s.to_owned()),
        (None, _) | (_, None) => Err(format!("{s:?} needs a scheme and a host, e.g. http://{s}")),
        (Some(other), _) => Err(format!("{s:?}: the scheme must be http or https, not {other}")),
    }
}
