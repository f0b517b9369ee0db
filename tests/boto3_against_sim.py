"""boto3, an AWS client nobody here wrote, against `host sim serve`.

Run by tests/aws_clients.rs with the server's URL. Every assertion is about
wire compatibility: SigV4, the query/EC2/JSON protocols, pagination tokens,
filters, errors in each protocol's form.
"""
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = sys.argv[1]


def client(service, account, region="eu-west-1"):
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name=region,
        aws_access_key_id=f"AKIA{account}DEMO",
        aws_secret_access_key="any-secret",
        config=Config(retries={"max_attempts": 1}),
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

print(f"boto3 ok: {len(paged)} volumes in pages of 5, {len(roles)} roles, {len(events)} events")
