"""Tests of the Python EBS collector, natively:
`python3 -m unittest discover -s plugins/python/ebs` (trawl_sdk installed, or
PYTHONPATH=plugin-sdk-python)."""

import unittest

from trawl_sdk import Skipped
from trawl_sdk.testing import TestCloud, target

from ebs import Ebs


def volume(volume_id, status, **extra):
    return {
        "volumeId": volume_id,
        "size": "100",
        "volumeType": "gp3",
        "status": status,
        "createTime": "2024-01-02T03:04:05.000Z",
        "availabilityZone": "eu-west-1a",
        **extra,
    }


class EbsTest(unittest.TestCase):
    def test_available_volumes_become_records_all_are_counted_pages_are_followed(self):
        tags = [{"key": "Name", "value": "db"}, {"key": "empty"}]
        out = (
            TestCloud()
            .answer("ec2:DescribeVolumes", {"volumeSet": [volume("vol-1", "available", tagSet=tags)], "nextToken": "t"})
            .answer("ec2:DescribeVolumes", {"volumeSet": [volume("vol-2", "in-use")]})
            .collect(Ebs, target("111111111111", "demo", "eu-west-1"))
        )
        self.assertEqual(
            out.records,
            [
                {
                    "volume_id": "vol-1",
                    "size_gib": 100,
                    "volume_type": "gp3",
                    "availability_zone": "eu-west-1a",
                    "created": "2024-01-02T03:04:05.000Z",
                    "tags": {"Name": "db", "empty": ""},
                }
            ],
        )
        self.assertEqual(out.totals, {"total": 2, "unused": 1})
        self.assertEqual([c.params for c in out.calls], [{"MaxResults": 500}, {"MaxResults": 500, "NextToken": "t"}])

    def test_an_account_without_ec2_access_is_skipped(self):
        with self.assertRaises(Skipped) as e:
            TestCloud().error("ec2:DescribeVolumes", "UnauthorizedOperation", "no").collect(Ebs)
        self.assertEqual(e.exception.code, "UnauthorizedOperation")


if __name__ == "__main__":
    unittest.main()
