"""boto3, an AWS client nobody here wrote, against `host sim serve`.

Run by tests/aws_clients.rs with the server's URL and the demo organisation
it serves (`host sim export`). Every assertion is about wire compatibility:
SigV4, the query/EC2/JSON protocols, pagination tokens, filters, errors in
each protocol's form. boto3 validates each request against its service
model and parses each answer with it, so what it parsed being what the
organisation holds proves the simulator's shapes.
"""
import json
import sys
from datetime import datetime

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = sys.argv[1]
with open(sys.argv[2]) as f:
    ORG = json.load(f)
ACCOUNTS = {a["id"]: a for a in ORG["accounts"]}


def client(service, account, region="eu-west-1"):
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name=region,
        aws_access_key_id=f"AKIA{account}DEMO",
        aws_secret_access_key="any-secret",
        config=Config(retries={"max_attempts": 1}),
    )


def patient(service, account, region="eu-west-1"):
    """A client that retries throttling, as AWS's SDKs do by default: the
    simulator's server-side buckets (IAM 20 burst, Health 10) run dry
    within these checks."""
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name=region,
        aws_access_key_id=f"AKIA{account}DEMO",
        aws_secret_access_key="any-secret",
        config=Config(retries={"mode": "standard", "max_attempts": 10}),
    )


def error_code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an error")


ec2 = client("ec2", "222222222222")
everything = ec2.describe_volumes()["Volumes"]
paged = [v for page in ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": 5}) for v in page["Volumes"]]
assert len(everything) > 5, len(everything)
assert [v["VolumeId"] for v in paged] == [v["VolumeId"] for v in everything], "paging covers every volume once"
assert all(isinstance(v["Size"], int) for v in paged), "boto3 parsed sizes from the XML"
available = ec2.describe_volumes(Filters=[{"Name": "status", "Values": ["available"]}])["Volumes"]
assert available and {v["State"] for v in available} == {"available"}
assert sorted(r["RegionName"] for r in ec2.describe_regions()["Regions"]) == ["ap-northeast-2", "eu-west-1", "us-east-1"]

iam = client("iam", "111111111111")
roles = [r for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 5}) for r in page["Roles"]]
assert len(roles) == 12 and roles[0]["Arn"].startswith("arn:aws:iam::111111111111:role/"), roles[0]

assert client("sts", "333333333333").get_caller_identity()["Account"] == "333333333333"
events = client("health", "111111111111", "us-east-1").describe_events()["events"]
assert len(events) >= 1
quota = client("service-quotas", "111111111111").get_service_quota(ServiceCode="ec2", QuotaCode="L-1216C47A")["Quota"]
assert quota["QuotaCode"] == "L-1216C47A" and quota["Value"] > 0

assert error_code(lambda: client("ec2", "444444444444", "ap-northeast-2").describe_volumes()) == ("UnauthorizedOperation", 403)
assert error_code(lambda: client("health", "333333333333", "us-east-1").describe_events())[0] == "SubscriptionRequiredException"
assert error_code(lambda: client("sts", "999999999999").get_caller_identity()) == ("InvalidClientTokenId", 403)



def when(text):
    """An ISO 8601 date of the fixture as boto3 parses it."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def pages(client, operation, key, **kwargs):
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


# IAM: users, MFA devices, access keys and their last use, in pages of one
# or two, as the management account holds them.
management = ACCOUNTS["111111111111"]
iam = patient("iam", "111111111111")
users = pages(iam, "list_users", "Users", PaginationConfig={"PageSize": 2})
assert [u["UserName"] for u in users] == [u["name"] for u in management["iam"]["users"]]
checked_keys = 0
for listed, held in zip(users, management["iam"]["users"]):
    if "password_last_used" in held:
        assert listed["PasswordLastUsed"] == when(held["password_last_used"]), (listed, held)
    else:
        assert "PasswordLastUsed" not in listed, listed
    name = held["name"]
    devices = pages(iam, "list_mfa_devices", "MFADevices", UserName=name, PaginationConfig={"PageSize": 1})
    assert [(d["UserName"], d["SerialNumber"], d["EnableDate"]) for d in devices] == [
        (name, m["serial_number"], when(m["enable_date"])) for m in held.get("mfa_devices", [])
    ], (devices, held)
    keys = pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name, PaginationConfig={"PageSize": 1})
    assert [(k["UserName"], k["AccessKeyId"], k["Status"], k["CreateDate"]) for k in keys] == [
        (name, k["id"], k["status"], when(k["create_date"])) for k in held.get("access_keys", [])
    ], (keys, held)
    for key in held.get("access_keys", []):
        answer = iam.get_access_key_last_used(AccessKeyId=key["id"])
        assert answer["UserName"] == name
        used = key.get("last_used")
        expected = (
            {"LastUsedDate": when(used["date"]), "ServiceName": used["service"], "Region": used["region"]}
            if used
            else {"ServiceName": "N/A", "Region": "N/A"}
        )
        assert answer["AccessKeyLastUsed"] == expected, (answer, key)
        checked_keys += 1
assert checked_keys == 5, checked_keys
assert error_code(lambda: iam.list_access_keys(UserName="nobody")) == ("NoSuchEntity", 404)
assert error_code(lambda: iam.list_mfa_devices()) == ("ValidationError", 400)
assert error_code(lambda: iam.get_access_key_last_used(AccessKeyId="AKIAXXXXXXXXXXXXXXXX")) == ("AccessDenied", 403)

# AWS Health: events, entities and aggregates of the account, and the
# organisational view from the management account.
health = patient("health", "111111111111", "us-east-1")
held = {e["arn"]: e for e in management["health_events"]}
events = pages(health, "describe_events", "events", PaginationConfig={"PageSize": 2})
assert sorted(e["arn"] for e in events) == sorted(held)
for e in events:
    h = held[e["arn"]]
    assert (e["statusCode"], e["eventScopeCode"], e["region"]) == (h["status"], h["scope"], h["region"]), e
    assert e["startTime"].timestamp() == h["start_time"], e
    assert ("endTime" in e) == (h["status"] == "closed"), e
arns = list(held)
aggregates = health.describe_entity_aggregates(eventArns=arns)["entityAggregates"]
assert [(a["eventArn"], a["count"]) for a in aggregates] == [(arn, len(held[arn].get("entities", []))) for arn in arns]
for a in aggregates:
    statuses = {}
    for entity in held[a["eventArn"]].get("entities", []):
        statuses[entity["status"]] = statuses.get(entity["status"], 0) + 1
    assert a["statuses"] == statuses, a
entities = pages(health, "describe_affected_entities", "entities", filter={"eventArns": arns[:10]}, PaginationConfig={"PageSize": 2})
assert [(e["eventArn"], e["entityValue"], e["statusCode"], e["awsAccountId"]) for e in entities] == [
    (arn, entity["value"], entity["status"], "111111111111") for arn in arns for entity in held[arn].get("entities", [])
]
everywhere = {e["arn"] for a in ORG["accounts"] for e in a.get("health_events", [])}
org_events = pages(health, "describe_events_for_organization", "events", PaginationConfig={"PageSize": 3})
assert sorted(e["arn"] for e in org_events) == sorted(everywhere), "one per ARN across the organisation"
open_events = pages(health, "describe_events_for_organization", "events", filter={"eventStatusCodes": ["open"]})
assert open_events and all(e["statusCode"] == "open" for e in open_events)
shared = next(arn for arn in arns if sum(arn in {e["arn"] for e in a.get("health_events", [])} for a in ORG["accounts"]) > 1)
affected = health.get_paginator("describe_affected_accounts_for_organization").paginate(eventArn=shared, PaginationConfig={"PageSize": 10})
affected = [account for page in affected for account in page["affectedAccounts"]]
assert affected == [a["id"] for a in ORG["accounts"] if shared in {e["arn"] for e in a.get("health_events", [])}], affected
member = patient("health", "222222222222", "us-east-1")
assert error_code(lambda: member.describe_events_for_organization()) == ("AccessDeniedException", 400)
assert len(member.describe_events()["events"]) == len(ACCOUNTS["222222222222"]["health_events"])

# Service Quotas with usage metrics, and CloudWatch's datapoints for them.
region = management["regions"]["us-east-1"]
quotas = patient("service-quotas", "111111111111", "us-east-1")
listed = pages(quotas, "list_service_quotas", "Quotas", ServiceCode="ec2", PaginationConfig={"PageSize": 1})
ec2_held = [q for q in region["quotas"] if q["service_code"] == "ec2"]
assert [q["QuotaCode"] for q in listed] == [q["code"] for q in ec2_held]
for q, h in zip(listed, ec2_held):
    metric = h["usage_metric"]
    assert q["UsageMetric"] == {
        "MetricNamespace": metric["namespace"],
        "MetricName": metric["name"],
        "MetricDimensions": metric["dimensions"],
        "MetricStatisticRecommendation": metric["statistic"],
    }, q
lambda_quota = quotas.get_service_quota(ServiceCode="lambda", QuotaCode="L-B99A9384")["Quota"]
assert lambda_quota["UsageMetric"]["MetricDimensions"] == {} and lambda_quota["Value"] == 1000.0
assert "UsageMetric" not in quotas.get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]

cloudwatch = patient("cloudwatch", "111111111111", "us-east-1")
metered = [q for q in region["quotas"] if "usage_metric" in q]
start, end = datetime.fromisoformat("2026-03-01T00:00:00+00:00"), datetime.fromisoformat("2026-03-01T06:00:00+00:00")
queries = [
    {
        "Id": f"q{i}",
        "MetricStat": {
            "Metric": {
                "Namespace": q["usage_metric"]["namespace"],
                "MetricName": q["usage_metric"]["name"],
                "Dimensions": [{"Name": k, "Value": v} for k, v in q["usage_metric"]["dimensions"].items()],
            },
            "Period": 300,
            "Stat": q["usage_metric"]["statistic"],
        },
        "ReturnData": True,
    }
    for i, q in enumerate(metered)
]
results = {}
for page in cloudwatch.get_paginator("get_metric_data").paginate(
    MetricDataQueries=queries, StartTime=start, EndTime=end, PaginationConfig={"PageSize": 2}
):
    for r in page["MetricDataResults"]:
        results.setdefault(r["Id"], []).extend(zip(r["Timestamps"], r["Values"]))
for i, q in enumerate(metered):
    points = results[f"q{i}"]
    if q.get("usage") is None:
        assert points == [], (q, points)
    else:
        assert [v for _, v in points] == [q["usage"]], (q, points)
        assert all(start <= t < end for t, _ in points), points
with_usage = sum(q.get("usage") is not None for q in metered)
assert with_usage >= 4, with_usage
bad = [dict(queries[0], Id="Upper")]
assert error_code(lambda: cloudwatch.get_metric_data(MetricDataQueries=bad, StartTime=start, EndTime=end)) == ("ValidationError", 400)
assert error_code(lambda: cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=end, EndTime=start)) == ("ValidationError", 400)

print(
    f"boto3 ok: {len(paged)} volumes in pages of 5, {len(roles)} roles, {len(events)} events, "
    f"{len(users)} users with {checked_keys} keys, {len(entities)} entities, {len(org_events)} organisation events, "
    f"{len(listed)} EC2 quotas, {with_usage} usage datapoints"
)
