"""Tests of {{name}}, natively: `python3 -m unittest` (or `python3 -m pytest`)."""

import unittest

from trawl_sdk import Skipped
from trawl_sdk.testing import TestCloud, target

from app import Collector


def volume(volume_id, size, encrypted):
    return {
        "volumeId": volume_id,
        "size": str(size),
        "encrypted": "true" if encrypted else "false",
        "status": "available",
        "availabilityZone": "eu-west-1a",
    }


class CollectorTest(unittest.TestCase):
    here = target("111111111111", "demo", "eu-west-1")

    def cloud(self):
        return (
            TestCloud()
            .answer("ec2:DescribeVolumes", {"volumeSet": [volume("vol-1", 8, False), volume("vol-2", 8, True)], "nextToken": "t"})
            .answer("ec2:DescribeVolumes", {"volumeSet": [volume("vol-3", 500, False)]})
        )

    def test_unencrypted_volumes_are_records_over_all_pages(self):
        out = self.cloud().collect(Collector, self.here)
        self.assertEqual([r["volume_id"] for r in out.records], ["vol-1", "vol-3"])
        self.assertEqual(out.totals, {"volumes": 3, "unencrypted": 2})
        self.assertEqual(out.calls[1].params, {"MaxResults": 100, "NextToken": "t"})

    def test_min_size_setting(self):
        out = self.cloud().set("min_size_gib", 100).collect(Collector, self.here)
        self.assertEqual([r["volume_id"] for r in out.records], ["vol-3"])

    def test_no_access_is_skipped(self):
        with self.assertRaises(Skipped):
            TestCloud().error("ec2:DescribeVolumes", "UnauthorizedOperation", "no").collect(Collector, self.here)


if __name__ == "__main__":
    unittest.main()
