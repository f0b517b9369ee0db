"""Seeds a running moto_server for tests/moto.rs: volumes in two member
accounts (reached by assume-role, as trawl reaches them) and two regions,
and IAM roles in one account. Prints what it created as JSON."""
import json
import sys

import boto3

URL = sys.argv[1]
ACCOUNTS = ["111122223333", "444455556666"]
REGIONS = ["us-east-1", "eu-west-1"]


def session_for(account):
    sts = boto3.client("sts", endpoint_url=URL, region_name="us-east-1",
                       aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                            RoleSessionName="seed")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


created = {}
for i, account in enumerate(ACCOUNTS):
    session = session_for(account)
    for j, region in enumerate(REGIONS):
        ec2 = session.client("ec2", endpoint_url=URL, region_name=region)
        count = 2 + i * 2 + j
        for n in range(count):
            ec2.create_volume(AvailabilityZone=f"{region}a", Size=8 + n, VolumeType="gp3",
                              TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "team", "Value": f"t{n}"}]}])
        created[f"{account}/{region}"] = count
    if i == 0:
        iam = session.client("iam", endpoint_url=URL, region_name="us-east-1")
        for n in range(7):
            iam.create_role(RoleName=f"seeded-{n}", AssumeRolePolicyDocument="{}")
print(json.dumps(created))
