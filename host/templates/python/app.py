"""{{name}}: unencrypted EBS volumes, one record each, with per-target totals.

A starting point: change info() and collect(), keep the last line."""

from trawl_sdk import Collection, PluginInfo, Scope, Setting, export, paginate, setting, wire


class Collector:
    def info(self):
        return PluginInfo(
            "{{name}}", "0.1.0", Scope.{{scope_upper}},
            description="Unencrypted EBS volumes per account and region",
            permissions=["ec2:DescribeVolumes"],
            columns=["volume_id", "size_gib", "state", "availability_zone"],
            key=["volume_id"],
            settings=[Setting.integer("min_size_gib", 1, range=(1, 16384), help="ignore smaller volumes")],
        )

    def collect(self, target):
        smallest = setting("min_size_gib")
        out, seen = Collection(), 0
        # paginate() follows nextToken for you; always set a page size.
        for page in paginate("ec2", "DescribeVolumes", {"MaxResults": 100}):
            for volume in page.get("volumeSet", []):  # empty lists are left out
                seen += 1
                size = wire.number(volume["size"])  # XML leaves are strings: "100"
                if not wire.boolean(volume["encrypted"]) and size >= smallest:
                    out.push({
                        "volume_id": volume["volumeId"],
                        "size_gib": size,
                        "state": volume["status"],
                        "availability_zone": volume["availabilityZone"],
                    })
        return out.total("volumes", seen).total("unencrypted", len(out))


Plugin, Details = export(Collector)
