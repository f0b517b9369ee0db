//! Following pagination tokens, whatever the service calls them.
//!
//! Services page in three styles: EC2 answers `nextToken` and takes
//! `NextToken`; JSON services answer and take the same name (`NextToken`,
//! or `nextToken` for Health); IAM-style query services answer `Marker`
//! with `IsTruncated` and take `Marker`. [`TokenStyle::Auto`] recognises all
//! three; [`Pages::style`] sets another pair explicitly.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::cloud::{ApiError, call_raw};

/// How to find the next-page token in a response and where to put it in
/// the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStyle {
    /// Recognise `nextToken`/`NextToken`, `Marker` + `IsTruncated` and
    /// `NextMarker`, and send the token the way the service expects.
    Auto,
    /// Read the token from `response` and send it as `request`.
    Named {
        /// The response key holding the token.
        response: &'static str,
        /// The request key the token goes into.
        request: &'static str,
    },
}

/// An iterator over the pages of one operation; each item is one page,
/// deserialised as `T`. Stops after the last page or the first error.
pub struct Pages<T, F = fn(&str, &str, &str) -> Result<String, ApiError>> {
    service: String,
    operation: String,
    params: Value,
    style: TokenStyle,
    fetch: F,
    last_token: Option<String>,
    done: bool,
    _page: std::marker::PhantomData<fn() -> T>,
}

/// Pages through `service:operation`, starting from `params` (a JSON
/// object). Put the page size in `params` (`MaxResults`, `MaxItems`, ...):
/// AWS recommends always paginating explicitly.
pub fn paginate<T: DeserializeOwned>(service: &str, operation: &str, params: Value) -> Pages<T> {
    Pages::with_fetch(service, operation, params, call_raw)
}

impl<T, F> Pages<T, F>
where
    T: DeserializeOwned,
    F: FnMut(&str, &str, &str) -> Result<String, ApiError>,
{
    /// Like [`paginate`], with the function that performs one call given
    /// explicitly (tests use this to page through canned responses).
    pub fn with_fetch(service: &str, operation: &str, params: Value, fetch: F) -> Self {
        Self {
            service: service.to_owned(),
            operation: operation.to_owned(),
            params,
            style: TokenStyle::Auto,
            fetch,
            last_token: None,
            done: false,
            _page: std::marker::PhantomData,
        }
    }

    /// Uses an explicit token style instead of [`TokenStyle::Auto`].
    pub fn style(mut self, style: TokenStyle) -> Self {
        self.style = style;
        self
    }

    fn next_page(&mut self) -> Result<T, ApiError> {
        let body = (self.fetch)(&self.service, &self.operation, &self.params.to_string())?;
        // The page is parsed once into `T`; the token comes from a second,
        // skimming parse that allocates nothing but the token itself.
        let next = match self.style {
            TokenStyle::Auto => serde_json::from_str::<AutoTokens>(&body)?.next(&self.service),
            TokenStyle::Named { response, request } => {
                serde_json::from_str::<Map<String, Value>>(&body)?.remove(response).and_then(|v| match v {
                    Value::String(s) if !s.is_empty() => Some((request, s)),
                    _ => None,
                })
            }
        };
        match next {
            Some((request_key, token)) => {
                if self.last_token.as_deref() == Some(token.as_str()) {
                    return Err(ApiError::new(
                        "trawl.PaginationLoop",
                        format!("{}:{} returned the same token twice", self.service, self.operation),
                    ));
                }
                let Value::Object(map) = &mut self.params else {
                    return Err(ApiError::new("trawl.BadParams", "paginate needs params that are a JSON object"));
                };
                map.insert(request_key.to_owned(), Value::String(token.clone()));
                self.last_token = Some(token);
            }
            None => self.done = true,
        }
        Ok(serde_json::from_str(&body)?)
    }
}

impl<T, F> Iterator for Pages<T, F>
where
    T: DeserializeOwned,
    F: FnMut(&str, &str, &str) -> Result<String, ApiError>,
{
    type Item = Result<T, ApiError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let page = self.next_page();
        if page.is_err() {
            self.done = true;
        }
        Some(page)
    }
}

/// The token fields [`TokenStyle::Auto`] knows, read without building the
/// rest of the page.
#[derive(Deserialize)]
struct AutoTokens {
    #[serde(rename = "IsTruncated")]
    is_truncated: Option<Value>,
    #[serde(rename = "Marker")]
    marker: Option<String>,
    #[serde(rename = "NextMarker")]
    next_marker: Option<String>,
    #[serde(rename = "nextToken")]
    next_token_lower: Option<String>,
    #[serde(rename = "NextToken")]
    next_token: Option<String>,
}

impl AutoTokens {
    /// The request key and token for the next page, or None on the last.
    fn next(self, service: &str) -> Option<(&'static str, String)> {
        let given = |t: Option<String>| t.filter(|t| !t.is_empty());
        if let Some(truncated) = self.is_truncated {
            let more = matches!(truncated, Value::Bool(true)) || matches!(&truncated, Value::String(s) if s == "true");
            return if more { given(self.marker).map(|t| ("Marker", t)) } else { None };
        }
        if let Some(t) = given(self.next_marker) {
            return Some(("Marker", t));
        }
        if let Some(t) = given(self.next_token_lower) {
            // EC2 answers in lowerCamel but takes the token as NextToken.
            let key = if service == "ec2" { "NextToken" } else { "nextToken" };
            return Some((key, t));
        }
        given(self.next_token).map(|t| ("NextToken", t))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A fake service with `pages` pages, recording each request it saw.
    fn fake(pages: Vec<Value>, seen: &mut Vec<Value>) -> impl FnMut(&str, &str, &str) -> Result<String, ApiError> + '_ {
        let mut pages = pages.into_iter();
        move |_, _, params| {
            seen.push(serde_json::from_str(params).unwrap());
            Ok(pages.next().expect("asked past the last page").to_string())
        }
    }

    #[test]
    fn ec2_next_token_is_sent_back_as_next_token() {
        let mut seen = Vec::new();
        let pages = vec![
            json!({"volumeSet": [{"volumeId": "a"}], "nextToken": "t1"}),
            json!({"volumeSet": [{"volumeId": "b"}], "nextToken": "t2"}),
            json!({"volumeSet": [{"volumeId": "c"}]}),
        ];
        let got: Vec<Value> =
            Pages::with_fetch("ec2", "DescribeVolumes", json!({"MaxResults": 5}), fake(pages, &mut seen))
                .collect::<Result<_, _>>()
                .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(
            seen,
            vec![
                json!({"MaxResults": 5}),
                json!({"MaxResults": 5, "NextToken": "t1"}),
                json!({"MaxResults": 5, "NextToken": "t2"}),
            ]
        );
    }

    #[test]
    fn marker_pages_until_is_truncated_is_false() {
        let mut seen = Vec::new();
        let pages = vec![
            json!({"Roles": [1], "IsTruncated": "true", "Marker": "m1"}),
            json!({"Roles": [2], "IsTruncated": "false", "Marker": "ignored"}),
        ];
        let n = Pages::<Value, _>::with_fetch("iam", "ListRoles", json!({}), fake(pages, &mut seen)).count();
        assert_eq!(n, 2);
        assert_eq!(seen[1], json!({"Marker": "m1"}));
    }

    #[test]
    fn json_services_send_back_the_same_name() {
        let mut seen = Vec::new();
        let pages = vec![json!({"events": [], "nextToken": "h1"}), json!({"events": []})];
        let n = Pages::<Value, _>::with_fetch("health", "DescribeEvents", json!({}), fake(pages, &mut seen)).count();
        assert_eq!(n, 2);
        assert_eq!(seen[1], json!({"nextToken": "h1"}));
    }

    #[test]
    fn explicit_style_and_empty_token_ends() {
        let mut seen = Vec::new();
        let pages = vec![json!({"Next": "p2"}), json!({"Next": ""})];
        let style = TokenStyle::Named { response: "Next", request: "PageToken" };
        let n = Pages::<Value, _>::with_fetch("x", "List", json!({}), fake(pages, &mut seen)).style(style).count();
        assert_eq!(n, 2);
        assert_eq!(seen[1], json!({"PageToken": "p2"}));
    }

    #[test]
    fn a_repeated_token_is_an_error_not_an_endless_loop() {
        let mut seen = Vec::new();
        let pages = vec![json!({"NextToken": "same"}), json!({"NextToken": "same"})];
        let results: Vec<_> = Pages::<Value, _>::with_fetch("x", "List", json!({}), fake(pages, &mut seen)).collect();
        assert_eq!(results.len(), 2);
        assert_eq!(results[1].as_ref().unwrap_err().code, "trawl.PaginationLoop");
    }

    #[test]
    fn an_api_error_stops_the_iteration() {
        let mut calls = 0;
        let fetch = |_: &str, _: &str, _: &str| {
            calls += 1;
            Err(ApiError::new("UnauthorizedOperation", "no"))
        };
        let results: Vec<_> = Pages::<Value, _>::with_fetch("ec2", "DescribeVolumes", json!({}), fetch).collect();
        assert_eq!(results.len(), 1);
        assert_eq!(calls, 1);
    }
}
