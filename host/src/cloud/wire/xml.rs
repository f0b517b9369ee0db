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
//!   attributes (namespaces) are ignored;
//! - a document nested deeper than [`MAX_DEPTH`] elements is an error, so
//!   a hostile answer cannot exhaust the stack (the converter and the
//!   tree's drop both recurse) and the JSON stays within what serde_json
//!   reads back (128 levels).
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

/// The deepest element nesting accepted. AWS's deepest responses (EC2
/// `DescribeInstances`) nest about ten elements.
pub const MAX_DEPTH: usize = 100;

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
                // The stack holds the document node too: `MAX_DEPTH` elements.
                if stack.len() > MAX_DEPTH {
                    return Err(XmlError(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push(Element { name, ..Element::default() });
            }
            Event::Empty(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err(XmlError(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                innermost(&mut stack)?.children.push(Element { name, ..Element::default() });
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                innermost(&mut stack).map_err(|_| XmlError("unbalanced end tag".into()))?.children.push(done);
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| XmlError(e.to_string()))?;
                innermost(&mut stack)?.text.push_str(&text);
            }
            Event::CData(t) => {
                let text = t.decode().map_err(|e| XmlError(e.to_string()))?;
                innermost(&mut stack)?.text.push_str(&text);
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
                innermost(&mut stack)?.text.push_str(&resolved);
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

/// The element being read: an error, not a panic, if the reader ever let
/// an end tag close the document node itself.
fn innermost(stack: &mut [Element]) -> Result<&mut Element, XmlError> {
    stack.last_mut().ok_or_else(|| XmlError("content after the document closed".into()))
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
    // Names seen more than once: their value is the array built here. (A
    // count per child would make many siblings quadratic.)
    let mut repeated = std::collections::HashSet::new();
    for child in &e.children {
        let Some(value) = convert(child) else { continue };
        match map.get_mut(&child.name) {
            None => {
                map.insert(child.name.clone(), value);
            }
            Some(Value::Array(list)) if repeated.contains(child.name.as_str()) => list.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
                repeated.insert(child.name.as_str());
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
            (
                Protocol::Query,
                json!({
                    "MetricDataResults": [
                        {"Id": "a", "Label": "x <y>", "Timestamps": ["2026-03-01T00:55:00Z"], "Values": ["240.0"], "StatusCode": "Complete"},
                        {"Id": "b", "Label": "B", "StatusCode": "PartialData"},
                    ],
                    "NextToken": "6f70",
                }),
            ),
            (
                Protocol::Query,
                json!({
                    "UserName": "u",
                    "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"},
                }),
            ),
        ];
        for (protocol, doc) in docs {
            let xml = json_to_response(&doc, protocol, "Op", "req-1");
            assert_eq!(response_to_json(&xml, protocol, "Op").unwrap(), doc, "{xml}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep =
            |n: usize, name: &str| format!("{}{}", format!("<{name}>").repeat(n), format!("</{name}>").repeat(n));
        for name in ["a", "item"] {
            let e = response_to_json(&deep(100_000, name), Protocol::Ec2, "X").unwrap_err();
            assert!(e.0.contains("deeper than"), "{e}");
            // Unclosed, or closed by self-closing tags, the same.
            assert!(response_to_json(&format!("<{name}>").repeat(100_000), Protocol::Query, "X").is_err());
            let empty_at_the_bottom = format!("{}<b/>{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
            assert!(response_to_json(&empty_at_the_bottom, Protocol::Ec2, "X").is_err());
        }
        // The limit itself is accepted, and the JSON is no deeper.
        let at_limit = format!("{}x{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        let json = response_to_json(&at_limit, Protocol::Ec2, "X").unwrap();
        assert!(depth(&json) < MAX_DEPTH);
        assert!(serde_json::from_str::<Value>(&json.to_string()).is_ok(), "serde_json reads it back");
    }

    #[test]
    fn many_siblings_are_linear_not_quadratic() {
        let n = 50_000;
        let xml = format!("<R><list>{}</list><one>x</one></R>", "<v>1</v>".repeat(n));
        let started = std::time::Instant::now();
        let json = response_to_json(&xml, Protocol::Ec2, "X").unwrap();
        assert_eq!(json["list"]["v"].as_array().map(Vec::len), Some(n));
        assert_eq!(json["one"], "x");
        // Quadratic was 2.5e9 comparisons: minutes in a debug build.
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    #[test]
    fn a_repeated_name_whose_first_value_is_a_list_is_not_merged_into_it() {
        let xml = "<R><s><item>a</item></s><s><item>b</item></s><s>c</s></R>";
        assert_eq!(response_to_json(xml, Protocol::Ec2, "X").unwrap(), json!({"s": [["a"], ["b"], "c"]}));
    }

    fn depth(v: &Value) -> usize {
        match v {
            Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Something the converter must survive: `Ok` or `Err`, and an answer
    /// no bigger than a small multiple of the input (a control character
    /// becomes a six-character JSON escape) nor deeper than the limit.
    fn check_bounded(xml: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        for protocol in [Protocol::Ec2, Protocol::Query] {
            if let Ok(json) = response_to_json(xml, protocol, "Op") {
                proptest::prop_assert!(json.to_string().len() <= 6 * xml.len() + 2, "{xml:?} -> {json}");
                proptest::prop_assert!(depth(&json) <= MAX_DEPTH);
            }
        }
        Ok(())
    }

    /// A generated element tree, rendered to well-formed XML.
    #[derive(Debug, Clone)]
    enum Node {
        Text(String),
        Element(String, Vec<Node>),
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("item".to_owned()),
            Just("member".to_owned()),
            Just("requestId".to_owned()),
            Just("ResponseMetadata".to_owned()),
            Just("OpResult".to_owned()),
            "[a-z]{1,4}",
            "[a-z]{1,3}:[a-z]{1,3}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9 \t\n]{0,8}".prop_map(|t| escape(&t).into_owned()),
            "\\PC{0,6}".prop_map(|t| escape(&t).into_owned()),
            Just("&amp;&lt;&#65;&#x1F600;".to_owned()),
            "[a-z<>&]{0,6}".prop_map(|t| format!("<![CDATA[{}]]>", t.replace("]]>", ""))),
        ]
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![text().prop_map(Node::Text), name().prop_map(|n| Node::Element(n, Vec::new()))];
        leaf.prop_recursive(8, 96, 6, |inner| {
            (name(), proptest::collection::vec(inner, 0..6)).prop_map(|(n, children)| Node::Element(n, children))
        })
    }

    fn render(node: &Node, out: &mut String) {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Element(name, children) if children.is_empty() => out.push_str(&format!("<{name}/>")),
            Node::Element(name, children) => {
                out.push_str(&format!("<{name} xmlns:x=\"urn:x\" a=\"1\">"));
                children.iter().for_each(|c| render(c, out));
                out.push_str(&format!("</{name}>"));
            }
        }
    }

    fn document() -> impl Strategy<Value = String> {
        proptest::collection::vec(node(), 0..6).prop_map(|children| {
            let mut out = r#"<?xml version="1.0" encoding="UTF-8"?>"#.to_owned();
            render(&Node::Element("OpResponse".into(), vec![Node::Element("OpResult".into(), children)]), &mut out);
            out
        })
    }

    /// A byte-level edit of a document: insert, delete or overwrite.
    fn mutate(doc: &str, edits: &[(usize, u8, u8)]) -> String {
        let mut bytes = doc.as_bytes().to_vec();
        for &(at, op, byte) in edits {
            let at = at % (bytes.len() + 1);
            match op % 3 {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => {}
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,200}") {
            check_bounded(&s)?;
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            check_bounded(&String::from_utf8_lossy(&bytes))?;
        }

        #[test]
        fn tag_soup_never_panics(parts in proptest::collection::vec("(<[a-z]{1,3}>|</[a-z]{1,3}>|<[a-z]{1,3}/>|[a-z &;<>]{0,5}|<!\\[CDATA\\[|\\]\\]>|<\\?x|<!--|-->|&#[0-9x]{0,8};|<!DOCTYPE a \\[<!ENTITY e \"x\">\\]>)", 0..30)) {
            check_bounded(&parts.concat())?;
        }

        #[test]
        fn well_formed_documents_convert(doc in document()) {
            for protocol in [Protocol::Ec2, Protocol::Query] {
                let json = response_to_json(&doc, protocol, "Op");
                prop_assert!(json.is_ok(), "{doc}: {json:?}");
            }
            check_bounded(&doc)?;
        }

        #[test]
        fn damaged_documents_never_panic(
            doc in document(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8),
        ) {
            check_bounded(&mutate(&doc, &edits))?;
        }
    }
}
