//! XML responses to JSON and back, by one documented rule set:
//!
//! - the response wrapper (`{Operation}Response`) is removed, and for query
//!   services also `{Operation}Result`; `ResponseMetadata` and `requestId`
//!   are dropped;
//! - elements keep their wire names (`volumeSet`, `volumeId`, `nextToken`);
//! - an element whose children are all `item` or `member` becomes an array
//!   (also for a single child); a name repeated among siblings (flattened
//!   lists) becomes an array too;
//! - leaf values are strings, as on the wire; empty elements are dropped;
//!   attributes (namespaces) are ignored.
//!
//! `to_xml` is the inverse the simulator's HTTP server uses, so the same
//! document crosses the wire and comes back equal.

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::Protocol;

/// XML that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed XML response: {0}")]
pub struct XmlError(pub String);

/// A parsed element: its name, text and children in order.
#[derive(Debug, Default)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

/// Parses `xml` into its root element.
fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let event = reader.read_event().map_err(|e| XmlError(e.to_string()))?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push(Element { name, ..Element::default() });
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.last_mut().expect("the document element").children.push(Element { name, ..Element::default() });
            }
            Event::End(_) => {
                let done = stack.pop().expect("balanced by the reader");
                stack.last_mut().ok_or_else(|| XmlError("unbalanced end tag".into()))?.children.push(done);
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| XmlError(e.to_string()))?;
                stack.last_mut().expect("the document element").text.push_str(&text);
            }
            Event::CData(t) => {
                let text = t.decode().map_err(|e| XmlError(e.to_string()))?;
                stack.last_mut().expect("the document element").text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| XmlError(e.to_string()))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| XmlError(e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError(format!("unknown entity &{name};")))?
                            .to_owned()
                    }
                };
                stack.last_mut().expect("the document element").text.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut document = stack.pop().filter(|_| stack.is_empty()).ok_or_else(|| XmlError("unclosed element".into()))?;
    match document.children.len() {
        1 => Ok(document.children.remove(0)),
        n => Err(XmlError(format!("expected one root element, found {n}"))),
    }
}

/// Converts a successful response body to the JSON the plugins see.
pub fn response_to_json(xml: &str, protocol: Protocol, operation: &str) -> Result<Value, XmlError> {
    let root = parse(xml)?;
    let mut body = root;
    if protocol == Protocol::Query {
        let result = format!("{operation}Result");
        match body.children.iter().position(|c| c.name == result) {
            Some(i) => body = body.children.swap_remove(i),
            // Some query operations (e.g. deletes) have no Result element.
            None => body.children.clear(),
        }
    }
    body.children.retain(|c| c.name != "ResponseMetadata" && c.name != "requestId");
    Ok(match convert(&body) {
        Some(Value::Object(map)) => Value::Object(map),
        _ => Value::Object(Map::new()),
    })
}

/// One element's value, or None for an empty element.
fn convert(e: &Element) -> Option<Value> {
    if e.children.is_empty() {
        let text = e.text.trim();
        return (!text.is_empty()).then(|| Value::String(e.text.clone()));
    }
    if e.children.iter().all(|c| c.name == "item" || c.name == "member") {
        return Some(Value::Array(
            e.children.iter().map(|c| convert(c).unwrap_or(Value::String(String::new()))).collect(),
        ));
    }
    let mut map = Map::new();
    for child in &e.children {
        let Some(value) = convert(child) else { continue };
        match map.get_mut(&child.name) {
            None => {
                map.insert(child.name.clone(), value);
            }
            Some(Value::Array(list)) if e.children.iter().filter(|c| c.name == child.name).count() > 1 => {
                list.push(value)
            }
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

/// The XML AWS would send for `body` (the inverse of [`response_to_json`]).
pub fn json_to_response(body: &Value, protocol: Protocol, operation: &str, request_id: &str) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let list_item = if protocol == Protocol::Ec2 { "item" } else { "member" };
    match protocol {
        Protocol::Ec2 => {
            out.push_str(&format!(r#"<{operation}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">"#));
            out.push_str(&format!("<requestId>{request_id}</requestId>"));
            write_fields(&mut out, body, list_item);
            out.push_str(&format!("</{operation}Response>"));
        }
        Protocol::Query | Protocol::Json => {
            out.push_str(&format!("<{operation}Response><{operation}Result>"));
            write_fields(&mut out, body, list_item);
            out.push_str(&format!(
                "</{operation}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>"
            ));
        }
    }
    out
}

fn write_fields(out: &mut String, value: &Value, list_item: &str) {
    if let Value::Object(map) = value {
        for (key, v) in map {
            write_element(out, key, v, list_item);
        }
    }
}

fn write_element(out: &mut String, name: &str, value: &Value, list_item: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Object(_) => write_fields(out, value, list_item),
        Value::Array(items) => {
            for item in items {
                write_element(out, list_item, item, list_item);
            }
        }
        Value::String(s) => out.push_str(&escape(s.as_str())),
        Value::Null => {}
        other => out.push_str(&other.to_string()),
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ec2_lists_become_arrays_even_of_one_and_empty_elements_vanish() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
            <DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
              <requestId>abc</requestId>
              <volumeSet>
                <item>
                  <volumeId>vol-1</volumeId><size>8</size><snapshotId/>
                  <attachmentSet><item><instanceId>i-1</instanceId></item></attachmentSet>
                  <tagSet/>
                </item>
              </volumeSet>
              <nextToken>t&amp;1</nextToken>
            </DescribeVolumesResponse>"#;
        let json = response_to_json(xml, Protocol::Ec2, "DescribeVolumes").unwrap();
        assert_eq!(
            json,
            json!({"volumeSet": [{"volumeId": "vol-1", "size": "8", "attachmentSet": [{"instanceId": "i-1"}]}], "nextToken": "t&1"})
        );
    }

    #[test]
    fn query_results_are_unwrapped_and_metadata_dropped() {
        let xml = "<ListRolesResponse><ListRolesResult><IsTruncated>false</IsTruncated><Roles><member>\
            <RoleName>a</RoleName></member><member><RoleName>b</RoleName></member></Roles></ListRolesResult>\
            <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListRolesResponse>";
        let json = response_to_json(xml, Protocol::Query, "ListRoles").unwrap();
        assert_eq!(json, json!({"IsTruncated": "false", "Roles": [{"RoleName": "a"}, {"RoleName": "b"}]}));
        let empty = "<ListRolesResponse><ListRolesResult><Roles/><IsTruncated>false</IsTruncated></ListRolesResult></ListRolesResponse>";
        assert_eq!(response_to_json(empty, Protocol::Query, "ListRoles").unwrap(), json!({"IsTruncated": "false"}));
    }

    #[test]
    fn malformed_xml_is_an_error_not_a_panic() {
        for bad in ["", "<a>", "<a></b>", "<a/><b/>", "<a>&nope;</a>", "not xml"] {
            assert!(response_to_json(bad, Protocol::Ec2, "X").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_to_xml_and_back_is_the_identity_on_wire_shapes() {
        let docs = [
            (
                Protocol::Ec2,
                json!({"volumeSet": [{"volumeId": "vol-<1>", "tagSet": [{"key": "a&b", "value": "c"}]}], "nextToken": "t"}),
            ),
            (Protocol::Query, json!({"Roles": [{"RoleName": "r", "Path": "/"}], "IsTruncated": "true", "Marker": "m"})),
            (Protocol::Query, json!({"Account": "111111111111", "Arn": "arn:aws:sts::1:assumed-role/x/y"})),
        ];
        for (protocol, doc) in docs {
            let xml = json_to_response(&doc, protocol, "Op", "req-1");
            assert_eq!(response_to_json(&xml, protocol, "Op").unwrap(), doc, "{xml}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,200}") {
            let _ = response_to_json(&s, Protocol::Ec2, "X");
            let _ = response_to_json(&s, Protocol::Query, "X");
        }

        #[test]
        fn tag_soup_never_panics(parts in proptest::collection::vec("(<[a-z]{1,3}>|</[a-z]{1,3}>|<[a-z]{1,3}/>|[a-z &;<>]{0,5})", 0..30)) {
            let _ = response_to_json(&parts.concat(), Protocol::Query, "a");
        }
    }
}
