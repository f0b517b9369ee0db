use serde_json::{Value, json};

use super::*;

fn demo_cloud() -> SimCloud {
    SimCloud::new(demo())
}

/// The simulator's answer, parsed.
trait Answer {
    fn answer_json(&self, target: &Target, call: &ApiCall) -> Result<Value, ApiError>;
}

impl Answer for SimCloud {
    fn answer_json(&self, target: &Target, call: &ApiCall) -> Result<Value, ApiError> {
        self.answer(target, call).map(|text| serde_json::from_str(&text).expect("the simulator answers JSON"))
    }
}

fn target(account: &str, region: &str) -> Target {
    Target { account_id: account.into(), account_name: String::new(), region: region.into() }
}

fn call(service: &str, operation: &str, params: Value) -> ApiCall {
    let Value::Object(params) = params else { panic!("params must be an object") };
    ApiCall { service: service.into(), operation: operation.into(), params }
}

/// Follows `token_out` -> `token_in` until the end, returning every page.
fn all_pages(sim: &SimCloud, s: &Target, mut c: ApiCall, token_out: &str, token_in: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    loop {
        let page = sim.answer_json(s, &c).unwrap();
        let next = page.get(token_out).and_then(Value::as_str).map(str::to_owned);
        pages.push(page);
        match next {
            Some(t) if pages.last().unwrap().get("IsTruncated") != Some(&json!("false")) => {
                c.params.insert(token_in.into(), t.into());
            }
            _ => return pages,
        }
        assert!(pages.len() < 1000, "pagination does not end");
    }
}

fn ids(pages: &[Value], list: &str, id: &str) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.get(list).and_then(Value::as_array).cloned().unwrap_or_default())
        .map(|v| v[id].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn describe_volumes_pages_cover_every_volume_once() {
    let sim = demo_cloud();
    let s = target("222222222222", "eu-west-1");
    let everything = sim.answer_json(&s, &call("ec2", "DescribeVolumes", json!({}))).unwrap();
    assert!(everything.get("nextToken").is_none(), "no MaxResults means one page");
    let expected = ids(&[everything], "volumeSet", "volumeId");
    assert!(expected.len() > 5, "the demo should need several pages of 5");

    let pages = all_pages(&sim, &s, call("ec2", "DescribeVolumes", json!({"MaxResults": 5})), "nextToken", "NextToken");
    assert_eq!(pages.len(), expected.len().div_ceil(5));
    assert!(pages[..pages.len() - 1].iter().all(|p| p["volumeSet"].as_array().unwrap().len() == 5));
    assert_eq!(ids(&pages, "volumeSet", "volumeId"), expected);
}

#[test]
fn describe_volumes_uses_wire_names_and_string_leaves() {
    let sim = demo_cloud();
    let page =
        sim.answer_json(&target("111111111111", "us-east-1"), &call("ec2", "DescribeVolumes", json!({}))).unwrap();
    let v = &page["volumeSet"][0];
    for key in ["volumeId", "size", "availabilityZone", "status", "createTime", "volumeType", "encrypted"] {
        assert!(v[key].is_string(), "{key} should be a string leaf: {v}");
    }
    let in_use = page["volumeSet"].as_array().unwrap().iter().find(|v| v["status"] == "in-use").unwrap();
    assert_eq!(in_use["attachmentSet"][0]["status"], "attached");
}

#[test]
fn status_filter_and_max_results_bounds() {
    let sim = demo_cloud();
    let s = target("333333333333", "us-east-1");
    let filter = json!({"Filter": [{"Name": "status", "Value": ["available"]}], "MaxResults": "500"});
    let page = sim.answer_json(&s, &call("ec2", "DescribeVolumes", filter)).unwrap();
    let statuses: Vec<&Value> = page["volumeSet"].as_array().unwrap().iter().map(|v| &v["status"]).collect();
    assert!(!statuses.is_empty() && statuses.iter().all(|s| *s == "available"));

    for bad in [json!({"MaxResults": 4}), json!({"MaxResults": 501}), json!({"MaxResults": "x"})] {
        let e = sim.answer_json(&s, &call("ec2", "DescribeVolumes", bad)).unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("InvalidParameterValue", 400));
    }
    let e = sim
        .answer_json(&s, &call("ec2", "DescribeVolumes", json!({"Filter": [{"Name": "colour", "Value": ["red"]}]})))
        .unwrap_err();
    assert!(e.message.contains("colour"), "{e}");
}

#[test]
fn a_token_from_another_operation_is_refused() {
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    let roles = sim.answer_json(&s, &call("iam", "ListRoles", json!({"MaxItems": 2}))).unwrap();
    let marker = roles["Marker"].as_str().unwrap();
    let e = sim
        .answer_json(&s, &call("ec2", "DescribeVolumes", json!({"MaxResults": 5, "NextToken": marker})))
        .unwrap_err();
    assert_eq!(e.code, "InvalidParameterValue");
}

#[test]
fn access_denied_where_the_org_denies_it_in_each_protocol() {
    let sim = demo_cloud();
    let denied = target("444444444444", "ap-northeast-2");
    let e = sim.answer_json(&denied, &call("ec2", "DescribeVolumes", json!({}))).unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("UnauthorizedOperation", 403));
    assert!(e.request_id.is_some());
    let e = sim
        .answer_json(&denied, &call("servicequotas", "ListServiceQuotas", json!({"ServiceCode": "ec2"})))
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    // The same account elsewhere, and other accounts there, are fine.
    assert!(sim.answer_json(&target("444444444444", "eu-west-1"), &call("ec2", "DescribeVolumes", json!({}))).is_ok());
    assert!(
        sim.answer_json(&target("111111111111", "ap-northeast-2"), &call("ec2", "DescribeVolumes", json!({}))).is_ok()
    );
}

#[test]
fn regions_not_enabled_and_unknown_accounts() {
    let sim = demo_cloud();
    let e =
        sim.answer_json(&target("111111111111", "sa-east-1"), &call("ec2", "DescribeVolumes", json!({}))).unwrap_err();
    assert_eq!(e.code, "OptInRequired");
    let e = sim
        .answer_json(&target("999999999999", "us-east-1"), &call("sts", "GetCallerIdentity", json!({})))
        .unwrap_err();
    assert_eq!(e.code, "InvalidClientTokenId");
    let regions =
        sim.answer_json(&target("111111111111", "us-east-1"), &call("ec2", "DescribeRegions", json!({}))).unwrap();
    assert_eq!(regions["regionInfo"].as_array().unwrap().len(), 3);
}

#[test]
fn iam_marker_pagination_for_roles_and_users() {
    let sim = demo_cloud();
    let s = target("222222222222", "us-east-1");
    let pages = all_pages(&sim, &s, call("iam", "ListRoles", json!({"MaxItems": 5})), "Marker", "Marker");
    let roles = ids(&pages, "Roles", "RoleName");
    assert_eq!(roles.len(), sim.organization().accounts[1].iam.roles.len());
    assert_eq!(pages.last().unwrap()["IsTruncated"], "false");
    assert_eq!(pages[0]["IsTruncated"], "true");
    assert!(pages[0]["Roles"][0]["Arn"].as_str().unwrap().starts_with("arn:aws:iam::222222222222:role/"));

    let users = all_pages(&sim, &s, call("iam", "ListUsers", json!({"MaxItems": 4})), "Marker", "Marker");
    assert_eq!(ids(&users, "Users", "UserName").len(), sim.organization().accounts[1].iam.users.len());
}

#[test]
fn health_needs_a_support_plan_and_paginates() {
    let sim = demo_cloud();
    let e = sim
        .answer_json(&target("333333333333", "us-east-1"), &call("health", "DescribeEvents", json!({})))
        .unwrap_err();
    assert_eq!(e.code, "SubscriptionRequiredException");
    let mut org = demo();
    let events = &mut org.accounts[0].health_events;
    let template = events.first().cloned().expect("the management account has events");
    events.extend((0..25).map(|n| org::HealthEvent { arn: format!("{}-{n}", template.arn), ..template.clone() }));
    let expected = events.len();
    let sim = SimCloud::new(org);
    let pages = all_pages(
        &sim,
        &target("111111111111", "us-east-1"),
        call("health", "DescribeEvents", json!({"maxResults": 10})),
        "nextToken",
        "nextToken",
    );
    assert_eq!(ids(&pages, "events", "arn").len(), expected);
    assert!(pages.len() >= 3);
}

#[test]
fn service_quotas_get_and_list() {
    let sim = demo_cloud();
    let s = target("111111111111", "eu-west-1");
    let q = sim
        .answer_json(
            &s,
            &call("servicequotas", "GetServiceQuota", json!({"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"})),
        )
        .unwrap();
    assert_eq!(q["Quota"]["QuotaCode"], "L-1216C47A");
    assert!(q["Quota"]["Value"].is_number(), "JSON services keep their native types");
    let pages = all_pages(
        &sim,
        &s,
        call("servicequotas", "ListServiceQuotas", json!({"ServiceCode": "ec2", "MaxResults": 1})),
        "NextToken",
        "NextToken",
    );
    assert_eq!(ids(&pages, "Quotas", "QuotaCode"), ["L-1216C47A", "L-34B43A08", "L-DB2E81BA", "L-417A185B"]);
    let e = sim
        .answer_json(
            &s,
            &call("servicequotas", "GetServiceQuota", json!({"ServiceCode": "ec2", "QuotaCode": "L-NOPE"})),
        )
        .unwrap_err();
    assert_eq!(e.code, "NoSuchResourceException");
}

#[test]
fn unknown_operations_and_services_say_what_is_missing() {
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    assert_eq!(sim.answer_json(&s, &call("ec2", "RunInstances", json!({}))).unwrap_err().code, "InvalidAction");
    assert_eq!(sim.answer_json(&s, &call("health", "Nope", json!({}))).unwrap_err().code, "UnknownOperationException");
    let e = sim.answer_json(&s, &call("s3", "ListBuckets", json!({}))).unwrap_err();
    assert!(e.message.contains("s3"), "{e}");
}

#[test]
fn query_protocol_answers_survive_the_wire_unchanged() {
    // The simulator answers in the JSON the AWS backend makes of AWS's XML:
    // turned into that XML and read back, every answer must come out equal.
    use crate::cloud::wire::{Protocol, xml};
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    let calls = [
        ("ec2", "DescribeVolumes", json!({"MaxResults": 5})),
        ("ec2", "DescribeVolumes", json!({})),
        ("ec2", "DescribeRegions", json!({})),
        ("ec2", "DescribeRegions", json!({"RegionName": ["nowhere-1"]})),
        ("iam", "ListRoles", json!({"MaxItems": 3})),
        ("iam", "ListUsers", json!({})),
        ("iam", "ListMFADevices", json!({"UserName": "user-000"})),
        ("iam", "ListMFADevices", json!({"UserName": "user-001"})),
        ("iam", "ListAccessKeys", json!({"UserName": "user-003", "MaxItems": 1})),
        ("iam", "GetAccessKeyLastUsed", json!({"AccessKeyId": "AKIADEMO0USER000KEY1"})),
        ("iam", "GetAccessKeyLastUsed", json!({"AccessKeyId": "AKIADEMO0USER002KEY1"})),
        ("sts", "GetCallerIdentity", json!({})),
        ("monitoring", "GetMetricData", metric_query(&vcpus("Standard/OnDemand"), "Maximum")),
        ("monitoring", "GetMetricData", metric_query(&vcpus("G/OnDemand"), "Maximum")),
        (
            "monitoring",
            "GetMetricData",
            json!({
                "MetricDataQueries": [
                    {"Id": "a", "MetricStat": {"Metric": lambda_metric(), "Period": 60, "Stat": "Maximum"}, "Label": "x < y & z"},
                    {"Id": "b", "MetricStat": {"Metric": lambda_metric(), "Period": 60, "Stat": "Sum"}, "ReturnData": false},
                    {"Id": "c", "MetricStat": {"Metric": vcpus("Standard/Spot"), "Period": 300, "Stat": "Maximum"}},
                ],
                "StartTime": "2026-01-01T00:00:00Z",
                "EndTime": "2026-01-02T00:00:00Z",
                "MaxDatapoints": 1,
            }),
        ),
    ];
    for (service, operation, params) in calls {
        let answer = sim.answer_json(&s, &call(service, operation, params)).unwrap();
        let protocol = Protocol::of(service).unwrap();
        let wire = xml::json_to_response(&answer, protocol, operation, "req-1");
        let back = xml::response_to_json(&wire, protocol, operation).unwrap();
        assert_eq!(back, answer, "{service}:{operation} changed crossing the wire:\n{wire}");
    }
}

#[test]
fn organizations_lists_accounts_to_the_management_account_only() {
    let mut org = demo();
    org.accounts[2].status = "SUSPENDED".into();
    let sim = SimCloud::new(org);
    let pages = all_pages(
        &sim,
        &target("111111111111", "us-east-1"),
        call("organizations", "ListAccounts", json!({"MaxResults": 3})),
        "NextToken",
        "NextToken",
    );
    assert_eq!(pages.len(), 2);
    assert_eq!(ids(&pages, "Accounts", "Id").len(), 4);
    assert_eq!(pages[0]["Accounts"][2]["Status"], "SUSPENDED");
    let e = sim
        .answer(&target("222222222222", "us-east-1"), &call("organizations", "ListAccounts", json!({})))
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
}

#[test]
fn iam_lists_mfa_devices_and_access_keys_with_markers() {
    let sim = demo_cloud();
    let s = target("111111111111", "eu-west-1");
    let devices = sim.answer_json(&s, &call("iam", "ListMFADevices", json!({"UserName": "user-000"}))).unwrap();
    assert_eq!(devices["IsTruncated"], "false");
    assert_eq!(devices["MFADevices"][0]["UserName"], "user-000");
    assert_eq!(devices["MFADevices"][0]["SerialNumber"], "arn:aws:iam::111111111111:mfa/user-000");
    assert!(devices["MFADevices"][0]["EnableDate"].is_string());
    // No devices: the list is dropped (an empty element), IsTruncated stays.
    let none = sim.answer_json(&s, &call("iam", "ListMFADevices", json!({"UserName": "user-001"}))).unwrap();
    assert_eq!(none, json!({"IsTruncated": "false"}));

    let pages = all_pages(
        &sim,
        &s,
        call("iam", "ListAccessKeys", json!({"UserName": "user-003", "MaxItems": 1})),
        "Marker",
        "Marker",
    );
    assert_eq!(pages.len(), 2);
    assert_eq!(ids(&pages, "AccessKeyMetadata", "AccessKeyId"), ["AKIADEMO0USER003KEY1", "AKIADEMO0USER003KEY2"]);
    assert_eq!(pages[0]["AccessKeyMetadata"][0]["Status"], "Inactive");
    assert_eq!(pages[1]["AccessKeyMetadata"][0]["UserName"], "user-003");

    let users = sim.answer_json(&s, &call("iam", "ListUsers", json!({}))).unwrap();
    let users = users["Users"].as_array().unwrap();
    assert!(users[0]["PasswordLastUsed"].is_string(), "{}", users[0]);
    assert!(users[2].get("PasswordLastUsed").is_none(), "user-002 never signed in: {}", users[2]);
}

#[test]
fn access_key_last_used_says_when_where_and_never() {
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    let last_used = |id: &str| sim.answer_json(&s, &call("iam", "GetAccessKeyLastUsed", json!({"AccessKeyId": id})));
    let used = last_used("AKIADEMO0USER000KEY1").unwrap();
    assert_eq!(used["UserName"], "user-000");
    assert_eq!(
        (&used["AccessKeyLastUsed"]["ServiceName"], &used["AccessKeyLastUsed"]["Region"]),
        (&json!("s3"), &json!("eu-west-1"))
    );
    let date = clock::parse(used["AccessKeyLastUsed"]["LastUsedDate"].as_str().unwrap()).unwrap() as i64;
    assert_eq!(clock::today() - date.div_euclid(clock::DAY), 2);
    let never = last_used("AKIADEMO0USER002KEY1").unwrap();
    assert_eq!(never, json!({"UserName": "user-002", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}));

    // Another account's key, or none at all: AccessDenied on the key.
    let e = sim
        .answer_json(
            &target("222222222222", "us-east-1"),
            &call("iam", "GetAccessKeyLastUsed", json!({"AccessKeyId": "AKIADEMO0USER000KEY1"})),
        )
        .unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("AccessDenied", 403));
    assert!(e.message.contains("AKIADEMO0USER000KEY1"), "{e}");
    assert_eq!(last_used("AKIAXXXXXXXXXXXXXXXX").unwrap_err().code, "AccessDenied");
    for bad in [json!({}), json!({"AccessKeyId": "AKIA"}), json!({"AccessKeyId": "AKIA-XXXXXXXXXXXXXXX"})] {
        let e = sim.answer_json(&s, &call("iam", "GetAccessKeyLastUsed", bad)).unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("ValidationError", 400));
    }
}

#[test]
fn iam_users_must_be_named_and_exist() {
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    for operation in ["ListMFADevices", "ListAccessKeys"] {
        let e = sim.answer_json(&s, &call("iam", operation, json!({"UserName": "nobody"}))).unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("NoSuchEntity", 404));
        assert!(e.message.contains("nobody"), "{e}");
        let e = sim.answer_json(&s, &call("iam", operation, json!({}))).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(e.message.contains("non-User credentials"), "{e}");
        let e = sim.answer_json(&s, &call("iam", operation, json!({"UserName": "a b"}))).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e =
            sim.answer_json(&s, &call("iam", operation, json!({"UserName": "user-000", "MaxItems": 0}))).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let marker = page::token("ListRoles", 1);
        let e = sim
            .answer_json(&s, &call("iam", operation, json!({"UserName": "user-000", "Marker": marker})))
            .unwrap_err();
        assert_eq!(e.code, "ValidationError", "a token of another operation");
    }
}

#[test]
fn health_events_carry_scope_update_and_end_times() {
    let sim = demo_cloud();
    let s = target("111111111111", "eu-west-1");
    let events = sim.answer_json(&s, &call("health", "DescribeEvents", json!({}))).unwrap();
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 5);
    let updated: Vec<f64> = events.iter().map(|e| e["lastUpdatedTime"].as_f64().unwrap()).collect();
    assert!(updated.windows(2).all(|w| w[0] >= w[1]), "most recently updated first: {updated:?}");
    for e in events {
        assert_eq!(e.get("endTime").is_some(), e["statusCode"] == "closed", "{e}");
        assert!(e["startTime"].is_number() && e["eventScopeCode"].is_string(), "{e}");
    }
    assert!(events.iter().any(|e| e["eventScopeCode"] == "PUBLIC"));
    let upcoming = sim
        .answer_json(&s, &call("health", "DescribeEvents", json!({"filter": {"eventStatusCodes": ["upcoming"]}})))
        .unwrap();
    assert_eq!(upcoming["events"].as_array().unwrap().len(), 2);
    for bad in [json!({"maxResults": 0}), json!({"maxResults": 101}), json!({"filter": "x"})] {
        let e = sim.answer_json(&s, &call("health", "DescribeEvents", bad)).unwrap_err();
        assert_eq!(e.code, "ValidationException");
    }
}

#[test]
fn health_entities_and_their_aggregates() {
    let sim = demo_cloud();
    let s = target("222222222222", "us-east-1");
    let arns: Vec<String> = sim.organization().accounts[1].health_events.iter().map(|e| e.arn.clone()).collect();
    let aggregates =
        sim.answer_json(&s, &call("health", "DescribeEntityAggregates", json!({"eventArns": arns.clone()}))).unwrap();
    assert_eq!(
        aggregates["entityAggregates"][0],
        json!({"eventArn": arns[0], "count": 3, "statuses": {"IMPAIRED": 2, "UNKNOWN": 1}})
    );
    assert_eq!(aggregates["entityAggregates"].as_array().unwrap().len(), 3);
    let unknown = "arn:aws:health:us-east-1::event/EC2/X/X_nope";
    let none =
        sim.answer_json(&s, &call("health", "DescribeEntityAggregates", json!({"eventArns": [unknown]}))).unwrap();
    assert_eq!(none, json!({"entityAggregates": []}));
    let e = sim
        .answer_json(&s, &call("health", "DescribeEntityAggregates", json!({"eventArns": vec![unknown; 51]})))
        .unwrap_err();
    assert_eq!(e.code, "ValidationException");

    let pages = all_pages(
        &sim,
        &s,
        call("health", "DescribeAffectedEntities", json!({"filter": {"eventArns": arns.clone()}, "maxResults": 2})),
        "nextToken",
        "nextToken",
    );
    assert_eq!(pages.len(), 3);
    let entities: Vec<Value> = pages.iter().flat_map(|p| p["entities"].as_array().unwrap().clone()).collect();
    assert_eq!(entities.len(), 6);
    let first = &entities[0];
    assert_eq!(
        (&first["eventArn"], &first["awsAccountId"], &first["statusCode"]),
        (&json!(arns[0]), &json!("222222222222"), &json!("IMPAIRED"))
    );
    assert!(
        first["entityArn"].as_str().unwrap().starts_with("arn:aws:health:") && first["lastUpdatedTime"].is_number()
    );
    let impaired = sim
        .answer_json(
            &s,
            &call(
                "health",
                "DescribeAffectedEntities",
                json!({"filter": {"eventArns": arns, "statusCodes": ["IMPAIRED"]}}),
            ),
        )
        .unwrap();
    assert_eq!(impaired["entities"].as_array().unwrap().len(), 3);
    for bad in
        [json!({}), json!({"filter": {}}), json!({"filter": {"eventArns": []}}), json!({"filter": {"eventArns": [1]}})]
    {
        let e = sim.answer_json(&s, &call("health", "DescribeAffectedEntities", bad)).unwrap_err();
        assert_eq!(e.code, "ValidationException");
    }
}

#[test]
fn the_organizational_view_joins_events_and_answers_the_management_account_only() {
    let sim = demo_cloud();
    let management = target("111111111111", "us-east-1");
    let org = sim.organization();
    let all: std::collections::BTreeSet<&str> =
        org.accounts.iter().flat_map(|a| &a.health_events).map(|e| e.arn.as_str()).collect();
    let pages = all_pages(
        &sim,
        &management,
        call("health", "DescribeEventsForOrganization", json!({"maxResults": 3})),
        "nextToken",
        "nextToken",
    );
    let listed = ids(&pages, "events", "arn");
    assert_eq!(listed.len(), all.len(), "one per ARN: {listed:?}");
    let shared = org.accounts[0].health_events[3].arn.clone();
    let accounts = sim
        .answer_json(
            &management,
            &call("health", "DescribeAffectedAccountsForOrganization", json!({"eventArn": shared})),
        )
        .unwrap();
    assert_eq!(
        accounts,
        json!({"affectedAccounts": ["111111111111", "222222222222"], "eventScopeCode": "ACCOUNT_SPECIFIC"})
    );
    let public = org.accounts[0].health_events[4].arn.clone();
    let accounts = sim
        .answer_json(
            &management,
            &call("health", "DescribeAffectedAccountsForOrganization", json!({"eventArn": public})),
        )
        .unwrap();
    assert_eq!(accounts, json!({"affectedAccounts": [], "eventScopeCode": "PUBLIC"}));
    let open = sim
        .answer_json(
            &management,
            &call(
                "health",
                "DescribeEventsForOrganization",
                json!({"filter": {"eventStatusCodes": ["open"], "awsAccountIds": ["222222222222"]}}),
            ),
        )
        .unwrap();
    assert_eq!(open["events"].as_array().unwrap().len(), 1);

    // A member account with Health is refused (skipped by trawl), one
    // without Health is told so first.
    let e = sim
        .answer_json(&target("222222222222", "us-east-1"), &call("health", "DescribeEventsForOrganization", json!({})))
        .unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("AccessDeniedException", 400));
    let e = sim
        .answer_json(
            &target("333333333333", "us-east-1"),
            &call("health", "DescribeAffectedAccountsForOrganization", json!({"eventArn": "x"})),
        )
        .unwrap_err();
    assert_eq!(e.code, "SubscriptionRequiredException");
    for bad in [json!({}), json!({"eventArn": "a", "maxResults": 9}), json!({"eventArn": "a", "maxResults": 101})] {
        let e =
            sim.answer_json(&management, &call("health", "DescribeAffectedAccountsForOrganization", bad)).unwrap_err();
        assert_eq!(e.code, "ValidationException");
    }
}

#[test]
fn affected_accounts_of_a_widely_shared_event_come_in_pages() {
    let org = OrgSpec { accounts: 90, ..OrgSpec::default() }.generate();
    let shared = org
        .accounts
        .iter()
        .flat_map(|a| &a.health_events)
        .find(|e| e.event_type_code == "AWS_EC2_MAINTENANCE_SCHEDULED")
        .unwrap()
        .arn
        .clone();
    let holding = org.accounts.iter().filter(|a| a.health_events.iter().any(|e| e.arn == shared)).count();
    assert!(holding > 10, "{holding}");
    let management = org.accounts[0].id.clone();
    let sim = SimCloud::new(org);
    let pages = all_pages(
        &sim,
        &target(&management, "us-east-1"),
        call("health", "DescribeAffectedAccountsForOrganization", json!({"eventArn": shared, "maxResults": 10})),
        "nextToken",
        "nextToken",
    );
    let accounts: Vec<&Value> = pages.iter().flat_map(|p| p["affectedAccounts"].as_array().unwrap()).collect();
    assert_eq!(accounts.len(), holding);
    assert_eq!(pages.len(), holding.div_ceil(10));
}

#[test]
fn quotas_name_their_usage_metric() {
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    let get = |service: &str, code: &str| {
        sim.answer_json(
            &s,
            &call("servicequotas", "GetServiceQuota", json!({"ServiceCode": service, "QuotaCode": code})),
        )
        .unwrap()
    };
    assert_eq!(
        get("ec2", "L-1216C47A")["Quota"]["UsageMetric"],
        json!({
            "MetricNamespace": "AWS/Usage",
            "MetricName": "ResourceCount",
            "MetricDimensions": {"Class": "Standard/OnDemand", "Resource": "vCPU", "Service": "EC2", "Type": "Resource"},
            "MetricStatisticRecommendation": "Maximum",
        })
    );
    assert_eq!(get("lambda", "L-B99A9384")["Quota"]["UsageMetric"]["MetricDimensions"], json!({}));
    assert!(get("vpc", "L-F678F1CE")["Quota"].get("UsageMetric").is_none());
    let listed =
        sim.answer_json(&s, &call("servicequotas", "ListServiceQuotas", json!({"ServiceCode": "ec2"}))).unwrap();
    assert!(listed["Quotas"].as_array().unwrap().iter().all(|q| q["UsageMetric"].is_object()));
}

/// The metric of an EC2 vCPU quota of `class`, as a GetMetricData query
/// names it (dimensions in any order).
fn vcpus(class: &str) -> Value {
    json!({
        "Namespace": "AWS/Usage",
        "MetricName": "ResourceCount",
        "Dimensions": [
            {"Name": "Type", "Value": "Resource"},
            {"Name": "Service", "Value": "EC2"},
            {"Name": "Resource", "Value": "vCPU"},
            {"Name": "Class", "Value": class},
        ],
    })
}

fn lambda_metric() -> Value {
    json!({"Namespace": "AWS/Lambda", "MetricName": "ConcurrentExecutions"})
}

/// GetMetricData parameters for one metric over a day of 2026.
fn metric_query(metric: &Value, stat: &str) -> Value {
    json!({
        "MetricDataQueries": [{"Id": "usage", "MetricStat": {"Metric": metric, "Period": 300, "Stat": stat}}],
        "StartTime": "2026-03-01T00:00:00Z",
        "EndTime": "2026-03-02T00:00:00Z",
    })
}

#[test]
fn get_metric_data_answers_quota_usage() {
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    let answer = sim
        .answer_json(&s, &call("monitoring", "GetMetricData", metric_query(&vcpus("Standard/OnDemand"), "Maximum")))
        .unwrap();
    let result = &answer["MetricDataResults"][0];
    assert_eq!(result["Id"], "usage");
    assert_eq!(result["Label"], "ResourceCount");
    assert_eq!(result["Values"], json!(["240.0"]));
    assert_eq!(result["StatusCode"], "Complete");
    let at = clock::parse(result["Timestamps"][0].as_str().unwrap()).unwrap();
    let (start, end) = (clock::parse("2026-03-01T00:00:00Z").unwrap(), clock::parse("2026-03-02T00:00:00Z").unwrap());
    assert!(start <= at && at < end, "{at}");
    assert!(answer.get("NextToken").is_none() && answer.get("Messages").is_none());

    // No datapoint: a quota without usage, a dimension missing, another
    // region or account, an unknown metric.
    let empty = |t: &Target, metric: Value| {
        let a = sim.answer_json(t, &call("monitoring", "GetMetricData", metric_query(&metric, "Maximum"))).unwrap();
        let label = metric["MetricName"].clone();
        assert_eq!(a["MetricDataResults"][0], json!({"Id": "usage", "Label": label, "StatusCode": "Complete"}));
    };
    empty(&s, vcpus("G/OnDemand"));
    let mut three = vcpus("Standard/OnDemand");
    three["Dimensions"].as_array_mut().unwrap().pop();
    empty(&s, three);
    empty(&target("333333333333", "us-east-1"), json!({"Namespace": "AWS/Usage", "MetricName": "Nope"}));
    let eu = sim
        .answer_json(
            &target("111111111111", "eu-west-1"),
            &call("monitoring", "GetMetricData", metric_query(&vcpus("Standard/OnDemand"), "Maximum")),
        )
        .unwrap();
    assert_eq!(eu["MetricDataResults"][0]["Values"], json!(["64.0"]));
    let count = sim
        .answer_json(&s, &call("monitoring", "GetMetricData", metric_query(&vcpus("Standard/OnDemand"), "SampleCount")))
        .unwrap();
    assert_eq!(count["MetricDataResults"][0]["Values"], json!(["1.0"]));
}

#[test]
fn get_metric_data_pages_by_datapoints() {
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    let queries: Vec<Value> = ["Standard/OnDemand", "G/OnDemand", "Standard/Spot", "P/OnDemand"]
        .iter()
        .enumerate()
        .map(|(i, class)| json!({"Id": format!("q{i}"), "MetricStat": {"Metric": vcpus(class), "Period": 60, "Stat": "Maximum"}}))
        .collect();
    let params = json!({
        "MetricDataQueries": queries,
        "StartTime": 1_772_323_200,
        "EndTime": 1_772_326_800.0,
        "MaxDatapoints": 2,
        "ScanBy": "TimestampAscending",
    });
    let pages = all_pages(&sim, &s, call("monitoring", "GetMetricData", params), "NextToken", "NextToken");
    assert_eq!(pages.len(), 2, "three datapoints in pages of two");
    let values = |p: &Value| -> Vec<(String, Value, Value)> {
        p["MetricDataResults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["Id"].as_str().unwrap().to_owned(), r["Values"].clone(), r["StatusCode"].clone()))
            .collect()
    };
    assert_eq!(
        values(&pages[0]),
        [
            ("q0".into(), json!(["240.0"]), json!("Complete")),
            ("q1".into(), Value::Null, json!("Complete")),
            ("q2".into(), json!(["540.0"]), json!("Complete")),
            ("q3".into(), Value::Null, json!("PartialData")),
        ]
    );
    assert_eq!(values(&pages[1])[3], ("q3".into(), json!(["12.0"]), json!("Complete")));
    let e = sim
        .answer_json(&s, &call("monitoring", "GetMetricData", json!({"NextToken": page::token("ListRoles", 1), "MetricDataQueries": [{"Id": "a", "MetricStat": {"Metric": vcpus("P/OnDemand"), "Period": 60, "Stat": "Maximum"}}], "StartTime": 0, "EndTime": 60})))
        .unwrap_err();
    assert_eq!((e.code.as_str(), e.status), ("InvalidNextToken", 400));
}

#[test]
fn get_metric_data_refuses_what_cloudwatch_refuses() {
    let sim = demo_cloud();
    let s = target("111111111111", "us-east-1");
    let one = |q: Value| json!({"MetricDataQueries": [q], "StartTime": "2026-03-01T00:00:00Z", "EndTime": "2026-03-02T00:00:00Z"});
    let stat = |metric: Value| json!({"Metric": metric, "Period": 300, "Stat": "Maximum"});
    let good = || json!({"Id": "a", "MetricStat": stat(vcpus("P/OnDemand"))});
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"StartTime": "2026-03-01T00:00:00Z", "EndTime": "2026-03-02T00:00:00Z"}),
            "MissingParameter",
            "MetricDataQueries",
        ),
        (json!({"MetricDataQueries": [good()], "EndTime": "2026-03-02T00:00:00Z"}), "MissingParameter", "StartTime"),
        (json!({"MetricDataQueries": [], "StartTime": 0, "EndTime": 60}), "ValidationError", "empty"),
        (json!({"MetricDataQueries": vec![good(); 501], "StartTime": 0, "EndTime": 60}), "ValidationError", "500"),
        (
            one(json!({"Id": "Upper", "MetricStat": stat(vcpus("P/OnDemand"))})),
            "ValidationError",
            "^[a-z][a-zA-Z0-9_]*$",
        ),
        (one(json!({"Id": "a-b", "MetricStat": stat(vcpus("P/OnDemand"))})), "ValidationError", "member.1.Id"),
        (
            json!({"MetricDataQueries": [good(), good()], "StartTime": 0, "EndTime": 60}),
            "ValidationError",
            "more than once",
        ),
        (one(json!({"MetricStat": stat(vcpus("P/OnDemand"))})), "MissingParameter", "member.1.Id"),
        (one(json!({"Id": "a"})), "ValidationError", "MetricStat"),
        (one(json!({"Id": "a", "Expression": "SUM(METRICS())"})), "InvalidParameterValue", "Expression"),
        (
            one(json!({"Id": "a", "MetricStat": {"Metric": vcpus("P/OnDemand"), "Stat": "Maximum"}})),
            "MissingParameter",
            "Period",
        ),
        (
            one(json!({"Id": "a", "MetricStat": {"Metric": vcpus("P/OnDemand"), "Period": 7, "Stat": "Maximum"}})),
            "ValidationError",
            "Period",
        ),
        (
            one(json!({"Id": "a", "MetricStat": {"Metric": vcpus("P/OnDemand"), "Period": 60, "Stat": "Mean"}})),
            "InvalidParameterValue",
            "Stat",
        ),
        (one(json!({"Id": "a", "MetricStat": stat(json!({"MetricName": "x"}))})), "MissingParameter", "Namespace"),
        (
            one(
                json!({"Id": "a", "MetricStat": stat(json!({"Namespace": "n", "MetricName": "x", "Dimensions": [{"Name": "a"}]}))}),
            ),
            "MissingParameter",
            "Value",
        ),
        (
            json!({"MetricDataQueries": [good()], "StartTime": "yesterday", "EndTime": 60}),
            "InvalidParameterValue",
            "StartTime",
        ),
        (json!({"MetricDataQueries": [good()], "StartTime": 60, "EndTime": 60}), "ValidationError", "must not equal"),
        (
            json!({"MetricDataQueries": [good()], "StartTime": "2026-03-02T00:00:00Z", "EndTime": "2026-03-01T00:00:00Z"}),
            "ValidationError",
            "less than",
        ),
        (
            json!({"MetricDataQueries": [good()], "StartTime": 0, "EndTime": 60, "ScanBy": "Sideways"}),
            "ValidationError",
            "scanBy",
        ),
        (
            json!({"MetricDataQueries": [good()], "StartTime": 0, "EndTime": 60, "MaxDatapoints": 0}),
            "ValidationError",
            "MaxDatapoints",
        ),
    ];
    for (params, code, says) in cases {
        let e = sim.answer_json(&s, &call("monitoring", "GetMetricData", params.clone())).unwrap_err();
        assert_eq!((e.code.as_str(), e.status), (code, 400), "{params}: {e}");
        assert!(e.message.contains(says), "{params}: {e}");
    }
    let e = sim.answer_json(&s, &call("monitoring", "PutMetricData", json!({}))).unwrap_err();
    assert_eq!(e.code, "InvalidAction");
}

mod never_panic {
    use proptest::prelude::*;

    use super::*;

    /// A parameter value: plausible for some operation, or not.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::from),
            Just(json!("user-000")),
            Just(json!("AKIADEMO0USER000KEY1")),
            Just(json!("2026-03-01T00:00:00Z")),
            Just(json!("Maximum")),
            Just(json!(60)),
            Just(json!(
                "arn:aws:health:eu-west-1::event/RDS/AWS_RDS_MAINTENANCE_SCHEDULED/AWS_RDS_MAINTENANCE_SCHEDULED_DEMO_4"
            )),
            Just(vcpus("Standard/OnDemand")),
        ];
        leaf.prop_recursive(4, 24, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map(key(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A parameter name of the new operations, or anything.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "UserName",
                "MaxItems",
                "Marker",
                "AccessKeyId",
                "PathPrefix",
                "filter",
                "eventArns",
                "eventArn",
                "maxResults",
                "nextToken",
                "statusCodes",
                "entityValues",
                "awsAccountIds",
                "eventStatusCodes",
                "MetricDataQueries",
                "Id",
                "MetricStat",
                "Metric",
                "Namespace",
                "MetricName",
                "Dimensions",
                "Name",
                "Value",
                "Period",
                "Stat",
                "ReturnData",
                "Label",
                "Expression",
                "StartTime",
                "EndTime",
                "ScanBy",
                "MaxDatapoints",
                "NextToken",
                "ServiceCode",
                "QuotaCode",
                "MaxResults",
            ])
            .prop_map(str::to_owned),
            "[A-Za-z]{1,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_parameters_to_any_new_operation_are_answered(
            operation in prop::sample::select(vec![
                ("iam", "ListUsers"), ("iam", "ListMFADevices"), ("iam", "ListAccessKeys"), ("iam", "GetAccessKeyLastUsed"),
                ("health", "DescribeEvents"), ("health", "DescribeEntityAggregates"), ("health", "DescribeAffectedEntities"),
                ("health", "DescribeEventsForOrganization"), ("health", "DescribeAffectedAccountsForOrganization"),
                ("servicequotas", "ListServiceQuotas"), ("servicequotas", "GetServiceQuota"), ("monitoring", "GetMetricData"),
            ]),
            params in proptest::collection::btree_map(key(), value(), 0..8),
            account in prop::sample::select(vec!["111111111111", "222222222222", "333333333333"]),
        ) {
            let sim = SimCloud::new(DEMO.clone());
            let params: serde_json::Map<String, Value> = params.into_iter().collect();
            let c = ApiCall { service: operation.0.into(), operation: operation.1.into(), params };
            match sim.answer(&target(account, "us-east-1"), &c) {
                Ok(text) => prop_assert!(serde_json::from_str::<Value>(&text).is_ok()),
                Err(e) => prop_assert!((400..500).contains(&e.status), "{e:?}"),
            }
        }
    }

    static DEMO: std::sync::LazyLock<org::Organization> = std::sync::LazyLock::new(demo);
}
