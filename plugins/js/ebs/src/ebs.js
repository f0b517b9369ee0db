// EBS volumes: one record per unattached (`available`) volume, with the
// per-target totals `total` and `unused`; the JavaScript twin of plugins/ebs.

import { Collection, PluginInfo, Scope, exportCollector, paginate, wire } from 'trawl-sdk';

export class Ebs {
  info() {
    return new PluginInfo({
      name: 'ebs-js',
      version: '0.1.0',
      scope: Scope.REGIONAL,
      description: 'EBS volumes per account and region; unattached ones listed',
      permissions: ['ec2:DescribeVolumes'],
      columns: ['volume_id', 'size_gib', 'volume_type', 'availability_zone', 'created'],
      key: ['volume_id'],
    });
  }

  collect(target) {
    const out = new Collection();
    let total = 0;
    for (const page of paginate('ec2', 'DescribeVolumes', { MaxResults: 500 })) {
      for (const v of page.volumeSet ?? []) {
        total += 1;
        if (v.status !== 'available') continue;
        out.push({
          volume_id: v.volumeId,
          size_gib: wire.number(v.size),
          volume_type: v.volumeType,
          availability_zone: v.availabilityZone,
          created: v.createTime,
          tags: Object.fromEntries((v.tagSet ?? []).map((t) => [t.key, t.value ?? ''])),
        });
      }
    }
    return out.total('total', total).total('unused', out.length);
  }
}

export const { plugin, details } = exportCollector(Ebs);
