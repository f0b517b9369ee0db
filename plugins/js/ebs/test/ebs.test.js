import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Skipped } from 'trawl-sdk';
import { TestCloud, target } from 'trawl-sdk/testing';
import { Ebs } from '../src/ebs.js';

const volume = (id, status, extra = {}) => ({
  volumeId: id,
  size: '100',
  volumeType: 'gp3',
  status,
  createTime: '2024-01-02T03:04:05.000Z',
  availabilityZone: 'eu-west-1a',
  ...extra,
});

test('available volumes become records; all are counted; pages are followed', () => {
  const out = new TestCloud()
    .answer('ec2:DescribeVolumes', { volumeSet: [volume('vol-1', 'available', { tagSet: [{ key: 'Name', value: 'db' }, { key: 'empty' }] })], nextToken: 't' })
    .answer('ec2:DescribeVolumes', { volumeSet: [volume('vol-2', 'in-use')] })
    .collect(Ebs, target('111111111111', 'demo', 'eu-west-1'));
  assert.deepEqual(out.records, [
    {
      volume_id: 'vol-1',
      size_gib: 100,
      volume_type: 'gp3',
      availability_zone: 'eu-west-1a',
      created: '2024-01-02T03:04:05.000Z',
      tags: { Name: 'db', empty: '' },
    },
  ]);
  assert.deepEqual(out.totals, { total: 2, unused: 1 });
  assert.deepEqual(out.calls.map((c) => c.params), [{ MaxResults: 500 }, { MaxResults: 500, NextToken: 't' }]);
});

test('an account without EC2 access is skipped', () => {
  assert.throws(
    () => new TestCloud().error('ec2:DescribeVolumes', 'UnauthorizedOperation', 'no').collect(Ebs),
    (e) => e instanceof Skipped && e.code === 'UnauthorizedOperation',
  );
});
