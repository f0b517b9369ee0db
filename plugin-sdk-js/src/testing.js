// Test a collector natively, in plain Node (`node --test`), against the
// answers you give it: no host, no WebAssembly build, no cloud.
//
// A `TestCloud` holds answers per `service:Operation`, handed out in the
// order they were queued (so pages come back one after another), and the
// operator's settings. `TestCloud.collect` runs the collector's `collect`
// once and returns its records, totals, the calls it made and what it
// logged. Calls are held to the plugin's declared permissions as the host
// holds them, and settings start from the declared defaults, so a test
// catches an undeclared call or setting the host would refuse.
//
//     import { TestCloud, target } from 'trawl-sdk/testing';
//
//     const out = new TestCloud()
//       .answer('ec2:DescribeVolumes', { volumeSet: [{ volumeId: 'vol-1' }], nextToken: 't' })
//       .answer('ec2:DescribeVolumes', { volumeSet: [{ volumeId: 'vol-2' }] })
//       .collect(Ebs, target('111111111111', 'demo', 'us-east-1'));
//     assert.equal(out.records.length, 2);
//     assert.equal(out.calls[1].params.NextToken, 't');
//
// A target that ends without records throws what the host would record:
// `Skipped` or `Failed` (anything else the collector let escape is `Failed`
// with code `trawl.PluginException`, its `cause` the original).

import { ApiError } from './errors.js';
import * as host from './host.js';
import { Scope, target } from './info.js';
import * as run from './run.js';

export { target };

/** `ec2:Describe*` matches `ec2:DescribeVolumes`, as the host's check does. */
export function permitted(patterns, name) {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
}

/** Answers and settings for one collector test. */
export class TestCloud {
  #answers = new Map();
  #settings = new Map();

  #queue(call, answer) {
    if (!this.#answers.has(call)) this.#answers.set(call, []);
    this.#answers.get(call).push(answer);
    return this;
  }

  /** Queues `response` (an object, or a JSON string) for the next call of
   * `call` (`service:Operation`). */
  answer(call, response) {
    return this.#queue(call, typeof response === 'string' ? response : JSON.stringify(response));
  }

  /** Queues an error for the next call of `call`, as the host would hand it
   * on (e.g. `UnauthorizedOperation`). */
  error(call, code, message = '', status = 400, requestId = undefined) {
    return this.#queue(call, new ApiError(code, message, status, requestId));
  }

  /** Sets a setting, as `--set NAME.SETTING=VALUE` would. */
  set(name, value) {
    this.#settings.set(name, value);
    return this;
  }

  /** Runs `collector`'s `collect` for `tgt` (by default account
   * 111111111111 in the plugin's home region, or us-east-1) against these
   * answers: returns `{records, totals, calls, logs}`, or throws Skipped or
   * Failed when the target ends without records. An exception from
   * `info()` propagates as it is. */
  collect(collector, tgt = undefined) {
    const info = run.readInfo(collector);
    if (tgt === undefined) {
      const region = info.scope !== Scope.REGIONAL && info.homeRegion ? info.homeRegion : 'us-east-1';
      tgt = target('111111111111', 'demo', region);
    }
    const settings = new Map(info.settings.filter((s) => s.default !== undefined).map((s) => [s.name, s.default]));
    for (const [name, value] of this.#settings) {
      const declared = info.declared(name);
      if (!declared) throw new TypeError(`the test sets \`${name}\`, which the plugin does not declare`);
      settings.set(name, declared.check(value));
    }
    const answers = new Map([...this.#answers].map(([k, v]) => [k, [...v]]));
    const state = new State(info, answers, settings);
    const previous = host.getCurrentInfo();
    host.setTestBackend(state);
    host.setCurrentInfo(info);
    let out;
    try {
      out = run.collect(collector, tgt, false);
    } finally {
      host.setTestBackend(null);
      host.setCurrentInfo(previous);
    }
    return {
      records: out.records.map((r) => JSON.parse(r)),
      totals: Object.fromEntries(out.totals),
      calls: state.calls,
      logs: state.logs,
    };
  }
}

/** The host's imports, for the collect under test. */
class State {
  constructor(info, answers, settings) {
    this.permissions = [...info.permissions];
    this.answers = answers;
    this.settings = settings;
    this.calls = [];
    this.logs = [];
  }

  call(service, operation, paramsJson) {
    const name = `${service}:${operation}`;
    let params;
    try {
      params = JSON.parse(paramsJson);
    } catch (e) {
      throw new ApiError('trawl.BadParams', `parameters are not JSON: ${e.message}`);
    }
    this.calls.push({ service, operation, params });
    if (!permitted(this.permissions, name)) {
      throw new ApiError('trawl.PermissionDenied', `${name} is not among the declared permissions`);
    }
    const queue = this.answers.get(name);
    if (!queue || queue.length === 0) {
      throw new ApiError('trawl.TestUnanswered', `the test queued no (more) answers for ${name}`);
    }
    const answer = queue.shift();
    if (answer instanceof ApiError) throw answer;
    return answer;
  }

  callMany(requests) {
    return requests.map(([service, operation, params]) => {
      try {
        return this.call(service, operation, params);
      } catch (e) {
        if (e instanceof ApiError) return e;
        throw e;
      }
    });
  }

  log(level, message) {
    this.logs.push(`${level.toUpperCase()} ${message}`);
  }

  setting(name) {
    const value = this.settings.get(name);
    return Array.isArray(value) ? [...value] : value;
  }
}
