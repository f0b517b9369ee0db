// The JavaScript SDK's own tests, in plain Node: `node --test plugin-sdk-js/test/`.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  ACCESS_DENIED,
  ApiError,
  Collection,
  Failed,
  PluginInfo,
  Scope,
  Setting,
  SettingKind,
  Skipped,
  TokenStyle,
  call,
  callMany,
  exportCollector,
  log,
  paginate,
  setting,
  wire,
} from '../src/index.js';
import { TestCloud, target } from '../src/testing.js';

const SDK = dirname(dirname(fileURLToPath(import.meta.url)));
const REPO = dirname(SDK);

/** A fake service with `pages` pages, recording each request it saw. */
function fake(pages, seen) {
  const queue = [...pages];
  return (_service, _operation, params) => {
    seen.push(JSON.parse(params));
    return JSON.stringify(queue.shift());
  };
}

describe('paginate', () => {
  test('EC2 nextToken is sent back as NextToken', () => {
    const seen = [];
    const params = { MaxResults: 5 };
    const pages = [
      { volumeSet: [{ volumeId: 'a' }], nextToken: 't1' },
      { volumeSet: [{ volumeId: 'b' }], nextToken: 't2' },
      { volumeSet: [{ volumeId: 'c' }] },
    ];
    assert.equal([...paginate('ec2', 'DescribeVolumes', params, { fetch: fake(pages, seen) })].length, 3);
    assert.deepEqual(seen, [{ MaxResults: 5 }, { MaxResults: 5, NextToken: 't1' }, { MaxResults: 5, NextToken: 't2' }]);
    assert.deepEqual(params, { MaxResults: 5 }, "the caller's params are not changed");
  });

  test('Marker pages until IsTruncated is false', () => {
    for (const [yes, no] of [['true', 'false'], [true, false]]) {
      const seen = [];
      const pages = [{ Roles: [1], IsTruncated: yes, Marker: 'm1' }, { Roles: [2], IsTruncated: no, Marker: 'ignored' }];
      assert.equal([...paginate('iam', 'ListRoles', {}, { fetch: fake(pages, seen) })].length, 2);
      assert.deepEqual(seen[1], { Marker: 'm1' });
    }
  });

  test('NextMarker goes back as Marker', () => {
    const seen = [];
    assert.equal([...paginate('x', 'List', {}, { fetch: fake([{ NextMarker: 'n1' }, {}], seen) })].length, 2);
    assert.deepEqual(seen[1], { Marker: 'n1' });
  });

  test('JSON services send back the same name', () => {
    let seen = [];
    assert.equal([...paginate('health', 'DescribeEvents', {}, { fetch: fake([{ events: [], nextToken: 'h1' }, { events: [] }], seen) })].length, 2);
    assert.deepEqual(seen[1], { nextToken: 'h1' });
    seen = [];
    const pages = [{ Quotas: [], NextToken: 'q1' }, { Quotas: [], NextToken: '' }];
    assert.equal([...paginate('servicequotas', 'ListServiceQuotas', {}, { fetch: fake(pages, seen) })].length, 2);
    assert.deepEqual(seen[1], { NextToken: 'q1' });
  });

  test('an explicit style, and an empty token ends', () => {
    for (const style of [TokenStyle.named('Next', 'PageToken'), ['Next', 'PageToken']]) {
      const seen = [];
      assert.equal([...paginate('x', 'List', {}, { style, fetch: fake([{ Next: 'p2' }, { Next: '' }], seen) })].length, 2);
      assert.deepEqual(seen[1], { PageToken: 'p2' });
    }
  });

  test('a repeated token is an error, not an endless loop', () => {
    const pages = paginate('x', 'List', {}, { fetch: fake([{ NextToken: 'same' }, { NextToken: 'same' }], []) });
    pages.next();
    assert.throws(
      () => pages.next(),
      (e) => e instanceof ApiError && e.code === 'trawl.PaginationLoop' && e.message === 'x:List returned the same token twice',
    );
  });

  test('an API error stops the iteration', () => {
    let calls = 0;
    const fetch = () => {
      calls += 1;
      throw new ApiError('UnauthorizedOperation', 'no');
    };
    assert.throws(() => [...paginate('ec2', 'DescribeVolumes', {}, { fetch })], ApiError);
    assert.equal(calls, 1);
  });
});

describe('records and errors', () => {
  test('records must be objects and totals replace', () => {
    const c = new Collection();
    c.push({ id: 1, name: 'é' });
    assert.throws(() => c.push(42), (e) => e instanceof Failed && e.code === 'trawl.RecordNotObject');
    assert.throws(() => c.push([1]), (e) => e.code === 'trawl.RecordNotObject');
    c.total('total', 1).total('unused', 2).total('total', 3);
    assert.deepEqual(c.records, ['{"id":1,"name":"é"}']);
    assert.deepEqual(c.totals, [['total', 3], ['unused', 2]]);
    assert.equal(c.length, 1);
    for (const bad of [-1, 2n ** 64n, 1.5, true, '3']) assert.throws(() => c.total('x', bad));
  });

  test('the AccessDenied family is skipped and keeps its code', () => {
    assert.equal(ACCESS_DENIED[0], 'AccessDenied');
    for (const code of ['AccessDenied', 'UnauthorizedOperation', 'OptInRequired', 'SubscriptionRequiredException']) {
      const e = new ApiError(code, 'no').toCollectError();
      assert.ok(e instanceof Skipped);
      assert.deepEqual([e.code, e.message], [code, 'no']);
    }
  });

  test('other errors fail with their code and request id', () => {
    const e = new ApiError('InvalidParameterValue', 'bad MaxResults', 400, 'req-1').toCollectError();
    assert.ok(e instanceof Failed);
    assert.deepEqual([e.code, e.message], ['InvalidParameterValue', 'bad MaxResults (request id req-1)']);
    assert.ok(new ApiError('trawl.PermissionDenied', 'undeclared').toCollectError() instanceof Failed);
  });

  test('the error codes module is generated from the Rust list', () => {
    const run = spawnSync(process.execPath, [join(SDK, 'generate_error_codes.mjs'), '--check']);
    assert.equal(run.status, 0, String(run.stderr));
    const first = readFileSync(join(SDK, 'src', '_error_codes.js'), 'utf8').split('\n')[0];
    assert.match(first, /error-codes\/src\/lib\.rs/);
  });

  test("the WIT is the repository's", () => {
    assert.ok(readFileSync(join(SDK, 'wit', 'collector.wit')).equals(readFileSync(join(REPO, 'wit', 'collector.wit'))));
  });
});

describe('wire', () => {
  test('reads string and native forms', () => {
    assert.deepEqual(['-3', '1.5', ' 100 ', 7, 2.5].map(wire.number), [-3, 1.5, 100, 7, 2.5]);
    assert.deepEqual(['true', 'false', true, false].map(wire.boolean), [true, false, true, false]);
  });

  test('rejects garbage with a shape error', () => {
    for (const [reader, bad] of [[wire.number, 'x'], [wire.number, ''], [wire.number, '0x10'], [wire.number, undefined], [wire.number, true], [wire.boolean, 'yes'], [wire.boolean, 1]]) {
      assert.throws(() => reader(bad), (e) => e instanceof ApiError && e.code === 'trawl.UnexpectedShape');
    }
  });
});

describe('declarations', () => {
  test('settings are checked as the host checks them', () => {
    assert.equal(Setting.optional('tag', SettingKind.TEXT).kind, 'text');
    const bad = [
      () => Setting.integer('Bad-Name', 1),
      () => Setting.integer('n', 1.5),
      () => Setting.boolean('b', 'true'),
      () => Setting.text('t', 'x', { choices: ['a', 'b'] }),
      () => Setting.integer('n', 0, { range: [1, 10] }),
      () => Setting.optional('t', 'text', { range: [1, 2] }),
      () => Setting.optional('n', 'integer', { choices: ['a'] }),
      () => Setting.textList('l', ['a', 1]),
      () => new PluginInfo({ name: 'p', version: '1', scope: 'regional', settings: [Setting.boolean('b', true), Setting.boolean('b', false)] }),
      () => new PluginInfo({ name: 'p', version: '1', scope: 'sometimes' }),
      () => new PluginInfo({ name: 'p', version: '1', scope: 'regional', permissions: 'ec2:DescribeVolumes' }),
      () => new PluginInfo({ name: 'p', version: '1', scope: 'regional', home_region: 'eu-west-1' }),
    ];
    for (const make of bad) assert.throws(make, /./, String(make));
  });
});

class Volumes {
  info() {
    return new PluginInfo({
      name: 'volumes',
      version: '0.1.0',
      scope: Scope.REGIONAL,
      permissions: ['ec2:DescribeVolumes'],
      settings: [
        Setting.integer('min_size', 0, { range: [0, 16384] }),
        Setting.optional('owner', SettingKind.TEXT),
        Setting.textList('types', ['gp2', 'gp3']),
      ],
    });
  }

  collect(tgt) {
    const minimum = setting('min_size');
    const out = new Collection();
    for (const page of paginate('ec2', 'DescribeVolumes', { MaxResults: 500 })) {
      for (const v of page.volumeSet ?? []) if (wire.number(v.size) >= minimum) out.push(v);
    }
    log.info(`done in ${tgt.region}, owner ${setting('owner')}, types ${setting('types')}`);
    return out.total('volumes', out.length);
  }
}

const twoPages = () =>
  new TestCloud()
    .answer('ec2:DescribeVolumes', { volumeSet: [{ volumeId: 'a', size: '8' }], nextToken: 't' })
    .answer('ec2:DescribeVolumes', { volumeSet: [{ volumeId: 'b', size: '100' }] });

describe('the test harness', () => {
  const here = target('111111111111', 'demo', 'eu-west-1');

  test('pages, settings, totals and calls are seen', () => {
    const all = twoPages().collect(Volumes, here);
    assert.equal(all.records.length, 2);
    assert.deepEqual(all.totals, { volumes: 2 });
    assert.deepEqual(all.calls[1].params, { MaxResults: 500, NextToken: 't' });
    assert.deepEqual(all.logs, ['INFO done in eu-west-1, owner undefined, types gp2,gp3']);
    const big = twoPages().set('min_size', 50).set('owner', 'ops').collect(Volumes, here);
    assert.deepEqual(big.records, [{ volumeId: 'b', size: '100' }]);
    assert.deepEqual(big.logs, ['INFO done in eu-west-1, owner ops, types gp2,gp3']);
  });

  test('settings the host would refuse are refused', () => {
    assert.throws(() => twoPages().set('max_size', 5).collect(Volumes, here), /does not declare/);
    assert.throws(() => twoPages().set('min_size', -1).collect(Volumes, here), RangeError);
    assert.throws(() => twoPages().set('min_size', '5').collect(Volumes, here), TypeError);
  });

  test('denials skip and missing answers fail', () => {
    assert.throws(
      () => new TestCloud().error('ec2:DescribeVolumes', 'UnauthorizedOperation', 'no').collect(Volumes, here),
      (e) => e instanceof Skipped && e.code === 'UnauthorizedOperation',
    );
    assert.throws(() => new TestCloud().collect(Volumes, here), (e) => e instanceof Failed && e.code === 'trawl.TestUnanswered');
  });

  test('undeclared calls are refused as the host refuses them', () => {
    const seen = [];
    class Sneaky {
      info() {
        return { name: 'sneaky', version: '0.1.0', scope: Scope.REGIONAL, permissions: ['ec2:Describe*'] };
      }

      collect() {
        seen.push(...callMany([['ec2', 'DescribeVolumes', {}], { service: 'ec2', operation: 'TerminateInstances', params: {} }]));
        call('ec2', 'TerminateInstances', {});
        return new Collection();
      }
    }
    const cloud = new TestCloud().answer('ec2:DescribeVolumes', {}).answer('ec2:TerminateInstances', {});
    assert.throws(() => cloud.collect(Sneaky, here), (e) => e instanceof Failed && e.code === 'trawl.PermissionDenied');
    assert.deepEqual(seen[0], {});
    assert.equal(seen[1].code, 'trawl.PermissionDenied');
  });

  test('exceptions fail the target with their type and message', () => {
    class Broken {
      info() {
        return new PluginInfo({ name: 'broken', version: '0.1.0', scope: Scope.ACCOUNT, homeRegion: 'eu-central-1' });
      }

      collect() {
        return undefined.volumeSet;
      }
    }
    assert.throws(
      () => new TestCloud().collect(Broken),
      (e) => e instanceof Failed && e.code === 'trawl.PluginException' && /^TypeError: /.test(e.message) && e.cause instanceof TypeError,
    );
    class Thrower extends Broken {
      collect() {
        throw new RangeError('too far');
      }
    }
    assert.throws(() => new TestCloud().collect(Thrower), (e) => e.message === 'RangeError: too far');
    class NoCollection extends Broken {
      collect(tgt) {
        return [tgt.region];
      }
    }
    assert.throws(() => new TestCloud().collect(NoCollection), (e) => e.message === 'TypeError: collect returned Array, not a Collection');
    class Async extends Broken {
      async collect() {
        return new Collection();
      }
    }
    assert.throws(() => new TestCloud().collect(Async), /collect returned a Promise/);
  });

  test('undeclared settings fail when read', () => {
    class Typo extends Volumes {
      collect() {
        setting('min_sise');
      }
    }
    assert.throws(() => new TestCloud().collect(Typo), (e) => e.code === 'trawl.MissingSetting');
  });

  test('outside a TestCloud calls say where they work', () => {
    assert.throws(() => call('ec2', 'DescribeVolumes', {}), /TestCloud/);
  });
});

describe('export', () => {
  test('exportCollector makes the objects componentize-js looks for, in its shapes', () => {
    const { plugin, details } = exportCollector(Volumes);
    assert.equal(typeof plugin.info, 'function');
    assert.equal(typeof plugin.collect, 'function');
    assert.equal(typeof details.details, 'function');
    assert.deepEqual(plugin.info(), {
      name: 'volumes',
      version: '0.1.0',
      description: '',
      scope: 'regional',
      homeRegion: undefined,
      permissions: ['ec2:DescribeVolumes'],
      columns: [],
    });
    assert.deepEqual(details.details().settings[0], {
      name: 'min_size',
      kind: 'integer',
      default: { tag: 'integer', val: 0n },
      help: '',
      minimum: 0,
      maximum: 16384,
      choices: [],
    });
    assert.equal(details.details().settings[1].default, undefined);
  });

  test('collect answers {tag, val} results, never throws', () => {
    const { plugin } = exportCollector(Volumes);
    const tgt = { accountId: '1', accountName: 'a', region: 'r' };
    // Outside a component and a TestCloud, the call fails: a failed target, not a throw.
    const result = plugin.collect(tgt);
    assert.equal(result.tag, 'err');
    assert.equal(result.val.tag, 'failed');
    assert.equal(result.val.val.code, 'trawl.PluginException');
  });

  test('an info() that throws is kept for the build to report', () => {
    class Bad {
      info() {
        throw new Error('no name');
      }

      collect() {
        return new Collection();
      }
    }
    assert.ok(exportCollector(Bad).plugin.exported.error instanceof Error);
    assert.throws(() => exportCollector({}), TypeError);
  });

  test('the build checks the entry natively first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-sdk-test-'));
    try {
      writeFileSync(join(dir, 'noexport.js'), 'export const x = 1;\n');
      let run = spawnSync(process.execPath, [join(SDK, 'build.mjs'), join(dir, 'noexport.js')], { encoding: 'utf8' });
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /exportCollector\(YourCollector\)/);
      writeFileSync(
        join(dir, 'badinfo.js'),
        `import { exportCollector } from 'trawl-sdk';
         class C { info() { return { name: 'c', version: '0.1.0', scope: 'regional', permissions: 'ec2:*' }; } collect() {} }
         export const { plugin, details } = exportCollector(C);\n`,
      );
      run = spawnSync(process.execPath, [join(SDK, 'build.mjs'), join(dir, 'badinfo.js')], { encoding: 'utf8' });
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /PluginInfo.permissions must be a list of texts/);
      assert.match(run.stderr, /info\(\) threw/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
