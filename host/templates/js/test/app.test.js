// Tests of {{name}}, natively: `npm test` (node --test).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Skipped } from 'trawl-sdk';
import { TestCloud, target } from 'trawl-sdk/testing';
import { Collector } from '../src/app.js';

const here = target('111111111111', 'demo', 'eu-west-1');
const volume = (volumeId, size, encrypted) => ({
  volumeId,
  size: String(size),
  encrypted: String(encrypted),
  status: 'available',
  availabilityZone: 'eu-west-1a',
});
const cloud = () =>
  new TestCloud()
    .answer('ec2:DescribeVolumes', { volumeSet: [volume('vol-1', 8, false), volume('vol-2', 8, true)], nextToken: 't' })
    .answer('ec2:DescribeVolumes', { volumeSet: [volume('vol-3', 500, false)] });

test('unencrypted volumes are records, over all pages', () => {
  const out = cloud().collect(Collector, here);
  assert.deepEqual(out.records.map((r) => r.volume_id), ['vol-1', 'vol-3']);
  assert.deepEqual(out.totals, { volumes: 3, unencrypted: 2 });
  assert.deepEqual(out.calls[1].params, { MaxResults: 100, NextToken: 't' });
});

test('the min_size_gib setting', () => {
  const out = cloud().set('min_size_gib', 100).collect(Collector, here);
  assert.deepEqual(out.records.map((r) => r.volume_id), ['vol-3']);
});

test('no access is skipped', () => {
  assert.throws(() => new TestCloud().error('ec2:DescribeVolumes', 'UnauthorizedOperation', 'no').collect(Collector, here), Skipped);
});
