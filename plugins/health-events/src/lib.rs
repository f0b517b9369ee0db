//! What the `health` and `health-org` collectors share: the `statuses`
//! setting, reading AWS Health events page by page, the record every event
//! becomes (with each collector's own fields flattened in), the per-target
//! totals, and fetching many paginated operations at once through
//! `call_many`.
//!
//! AWS Health answers in awsJson1_1: lowerCamel names, times as seconds
//! since the epoch (numbers), pages by `nextToken` and `maxResults`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use trawl_plugin_sdk::{ApiError, Collection, Error, PluginInfo, Scope, Setting, call_many, paginate, setting};

/// The event status codes AWS Health knows.
pub const STATUSES: [&str; 3] = ["open", "upcoming", "closed"];

/// Most requests one `call_many` carries: bounds what one round holds in
/// memory; the host runs 8 of them at a time anyway.
pub const BATCH: usize = 100;

/// The plugin info both collectors start from: scope, home region (Health
/// is served from us-east-1), the `statuses` setting and the record key.
pub fn info(name: &str, version: &str, scope: Scope) -> PluginInfo {
    PluginInfo::new(name, version, scope)
        .home_region("us-east-1")
        .setting(
            Setting::text_list("statuses", ["open", "upcoming"])
                .choices(STATUSES)
                .help("event status codes to list: open, upcoming, closed (an empty list lists every status)"),
        )
        .key(["arn"])
}

/// The operator's `statuses`, each once, in the order given.
pub fn statuses() -> Result<Vec<String>, Error> {
    let given: Vec<String> = setting("statuses")?;
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for s in given {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// An `Event` (or `OrganizationEvent`) as Health answers it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The event ARN.
    pub arn: String,
    /// e.g. `EC2`.
    #[serde(default)]
    pub service: String,
    /// e.g. `AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED`.
    #[serde(default)]
    pub event_type_code: String,
    /// `issue`, `accountNotification`, `scheduledChange` or `investigation`.
    #[serde(default)]
    pub event_type_category: String,
    /// The affected region.
    #[serde(default)]
    pub region: String,
    /// `open`, `upcoming` or `closed`.
    #[serde(default)]
    pub status_code: String,
    /// Seconds since the epoch.
    #[serde(default)]
    pub start_time: Option<f64>,
    /// Seconds since the epoch; closed events only.
    #[serde(default)]
    pub end_time: Option<f64>,
}

#[derive(Deserialize)]
struct EventPage {
    #[serde(default)]
    events: Vec<Event>,
}

/// Every event `operation` (`DescribeEvents` or
/// `DescribeEventsForOrganization`) lists with these statuses, every page.
pub fn describe_events(operation: &str, statuses: &[String]) -> Result<Vec<Event>, ApiError> {
    let mut params = json!({"maxResults": 100});
    if !statuses.is_empty() {
        params["filter"] = json!({ "eventStatusCodes": statuses });
    }
    let mut events = Vec::new();
    for page in paginate::<EventPage>("health", operation, params) {
        events.extend(page?.events);
    }
    Ok(events)
}

/// One record per event: the fields both collectors give, then `extra`'s
/// fields (flattened), in this order.
#[derive(Debug, Serialize)]
pub struct EventRecord<X: Serialize> {
    /// The event ARN (the record key).
    pub arn: String,
    /// e.g. `EC2`.
    pub service: String,
    /// e.g. `AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED`.
    pub event_type_code: String,
    /// `issue`, `accountNotification`, `scheduledChange`, ...
    pub category: String,
    /// The affected region.
    pub region: String,
    /// `open`, `upcoming` or `closed`.
    pub status: String,
    /// RFC 3339, whole seconds, UTC.
    pub start_time: Option<String>,
    /// RFC 3339; closed events only.
    pub end_time: Option<String>,
    /// The collector's own fields.
    #[serde(flatten)]
    pub extra: X,
}

impl Event {
    /// This event's record, with `extra`'s fields.
    pub fn record<X: Serialize>(self, extra: X) -> EventRecord<X> {
        EventRecord {
            start_time: self.start_time.and_then(rfc3339),
            end_time: self.end_time.and_then(rfc3339),
            arn: self.arn,
            service: self.service,
            event_type_code: self.event_type_code,
            category: self.event_type_category,
            region: self.region,
            status: self.status_code,
            extra,
        }
    }
}

/// Seconds since the epoch as RFC 3339 text in UTC, whole seconds
/// (`2024-11-02T08:00:00Z`); None for a time out of range.
pub fn rfc3339(seconds: f64) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    OffsetDateTime::from_unix_timestamp(seconds.floor() as i64).ok()?.format(&Rfc3339).ok()
}

/// The per-target counts: events, and events per status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Every event listed.
    pub events: u64,
    /// Open ones.
    pub open: u64,
    /// Upcoming ones.
    pub upcoming: u64,
    /// Closed ones.
    pub closed: u64,
}

impl Tally {
    /// Counts one event of `status`.
    pub fn count(&mut self, status: &str) {
        self.events += 1;
        match status {
            "open" => self.open += 1,
            "upcoming" => self.upcoming += 1,
            "closed" => self.closed += 1,
            _ => {}
        }
    }

    /// Writes `events`, `open`, `upcoming`, and `closed` when closed events
    /// were asked for (`statuses` has it, or is empty: every status).
    pub fn write(&self, out: &mut Collection, statuses: &[String]) {
        out.total("events", self.events).total("open", self.open).total("upcoming", self.upcoming);
        if statuses.is_empty() || statuses.iter().any(|s| s == "closed") {
            out.total("closed", self.closed);
        }
    }
}

/// Every page of several calls of one paginated Health operation, fetched
/// together: the first pages of all of them through `call_many` (at most
/// [`BATCH`] per round), then the next pages of those that have more, and
/// so on. Returns each request's pages, in request order, or its error.
pub fn pages_many(operation: &str, requests: Vec<Value>) -> Result<Vec<Result<Vec<Value>, ApiError>>, ApiError> {
    let mut outcomes: Vec<Result<Vec<Value>, ApiError>> = requests.iter().map(|_| Ok(Vec::new())).collect();
    // (index, parameters of its next page)
    let mut pending: Vec<(usize, Value)> = requests.into_iter().enumerate().collect();
    while !pending.is_empty() {
        let mut next = Vec::new();
        for chunk in pending.chunks(BATCH) {
            let calls: Vec<(&str, &str, &Value)> = chunk.iter().map(|(_, p)| ("health", operation, p)).collect();
            for ((i, params), answer) in chunk.iter().zip(call_many(&calls)?) {
                match answer {
                    Ok(page) => {
                        let token = page.get("nextToken").and_then(Value::as_str).filter(|t| !t.is_empty());
                        if let Some(token) = token {
                            if params.get("nextToken").and_then(Value::as_str) == Some(token) {
                                outcomes[*i] = Err(ApiError::new(
                                    "trawl.PaginationLoop",
                                    format!("health:{operation} returned the same token twice"),
                                ));
                                continue;
                            }
                            let mut params = params.clone();
                            params["nextToken"] = token.into();
                            next.push((*i, params));
                        }
                        if let Ok(pages) = &mut outcomes[*i] {
                            pages.push(page);
                        }
                    }
                    Err(e) => outcomes[*i] = Err(e),
                }
            }
        }
        pending = next;
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_whole_seconds() {
        assert_eq!(rfc3339(1_730_534_400.0).as_deref(), Some("2024-11-02T08:00:00Z"));
        assert_eq!(rfc3339(1_730_534_400.75).as_deref(), Some("2024-11-02T08:00:00Z"));
        assert_eq!(rfc3339(f64::NAN), None);
        assert_eq!(rfc3339(1e300), None);
    }

    #[test]
    fn records_keep_their_order_and_take_extra_fields() {
        let event: Event = serde_json::from_value(json!({
            "arn": "arn:1", "service": "EC2", "eventTypeCode": "X", "eventTypeCategory": "issue",
            "region": "us-east-1", "statusCode": "open", "startTime": 1_730_534_400.0,
        }))
        .unwrap();
        #[derive(Serialize)]
        struct Extra {
            affected_entities: u64,
        }
        let text = serde_json::to_string(&event.record(Extra { affected_entities: 2 })).unwrap();
        assert_eq!(
            text,
            r#"{"arn":"arn:1","service":"EC2","event_type_code":"X","category":"issue","region":"us-east-1","status":"open","start_time":"2024-11-02T08:00:00Z","end_time":null,"affected_entities":2}"#
        );
    }

    #[test]
    fn tallies_count_by_status() {
        let mut t = Tally::default();
        for s in ["open", "upcoming", "open", "closed"] {
            t.count(s);
        }
        assert_eq!(t, Tally { events: 4, open: 2, upcoming: 1, closed: 1 });
    }
}
