"""EBS volumes: one record per unattached (`available`) volume, with the
per-target totals `total` and `unused`; the Python twin of plugins/ebs."""

from trawl_sdk import Collection, PluginInfo, Scope, export, paginate, wire


class Ebs:
    def info(self):
        return PluginInfo(
            "ebs-py", "0.1.0", Scope.REGIONAL,
            description="EBS volumes per account and region; unattached ones listed",
            permissions=["ec2:DescribeVolumes"],
            columns=["volume_id", "size_gib", "volume_type", "availability_zone", "created"],
            key=["volume_id"],
        )

    def collect(self, target):
        out, total = Collection(), 0
        for page in paginate("ec2", "DescribeVolumes", {"MaxResults": 500}):
            for v in page.get("volumeSet", []):
                total += 1
                if v["status"] == "available":
                    out.push({
                        "volume_id": v["volumeId"],
                        "size_gib": wire.number(v["size"]),
                        "volume_type": v["volumeType"],
                        "availability_zone": v["availabilityZone"],
                        "created": v["createTime"],
                        "tags": {t["key"]: t.get("value", "") for t in v.get("tagSet", [])},
                    })
        return out.total("total", total).total("unused", len(out))


Plugin, Details = export(Ebs)
