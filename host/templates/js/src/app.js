// {{name}}: unencrypted EBS volumes, one record each, with per-target totals.
//
// A starting point: change info() and collect(), keep the last line.

import { Collection, PluginInfo, Scope, Setting, exportCollector, paginate, setting, wire } from 'trawl-sdk';

export class Collector {
  info() {
    return new PluginInfo({
      name: '{{name}}',
      version: '0.1.0',
      scope: Scope.{{scope_upper}},
      description: 'Unencrypted EBS volumes per account and region',
      permissions: ['ec2:DescribeVolumes'],
      columns: ['volume_id', 'size_gib', 'state', 'availability_zone'],
      key: ['volume_id'],
      settings: [Setting.integer('min_size_gib', 1, { range: [1, 16384], help: 'ignore smaller volumes' })],
    });
  }

  collect(target) {
    const smallest = setting('min_size_gib');
    const out = new Collection();
    let seen = 0;
    // paginate() follows nextToken for you; always set a page size.
    for (const page of paginate('ec2', 'DescribeVolumes', { MaxResults: 100 })) {
      for (const volume of page.volumeSet ?? []) { // empty lists are left out
        seen += 1;
        const size = wire.number(volume.size); // XML leaves are strings: "100"
        if (!wire.boolean(volume.encrypted) && size >= smallest) {
          out.push({
            volume_id: volume.volumeId,
            size_gib: size,
            state: volume.status,
            availability_zone: volume.availabilityZone,
          });
        }
      }
    }
    return out.total('volumes', seen).total('unencrypted', out.length);
  }
}

export const { plugin, details } = exportCollector(Collector);
