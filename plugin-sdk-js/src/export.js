// The glue componentize-js needs, behind one line:
//
//     export const { plugin, details } = exportCollector(MyCollector);
//
// componentize-js looks, in the entry module, for one exported object per
// exported interface, named after it (`plugin` with `info` and `collect`,
// `details` with `details`), and calls them with the bindings' shapes:
// camelCase records, enums as strings, variants and results as
// `{tag, val}`. `exportCollector` makes both objects around a plain
// collector class and converts between those shapes and the SDK's.

import { CollectError, Failed, describe } from './errors.js';
import * as host from './host.js';
import { PluginInfo, Scope, target as makeTarget } from './info.js';
import * as run from './run.js';

/** Text the component model can carry (UTF-8: no lone surrogates). */
function clean(text) {
  return String(text).toWellFormed ? String(text).toWellFormed() : String(text);
}

class Exported {
  constructor(collector) {
    this.collector = collector;
    this.info = undefined;
    this.error = undefined;
    try {
      this.info = run.readInfo(collector);
    } catch (e) {
      this.error = e;
    }
  }

  reportInfoError() {
    const e = this.error;
    console.error(e instanceof Error && e.stack ? `info() threw ${describe(e)}\n${e.stack}` : `info() threw ${describe(e)}`);
  }

  witInfo() {
    let info = this.info;
    if (info === undefined) {
      // info() threw: the plugin still loads, under a name made from the
      // class, and every target fails with the exception.
      this.reportInfoError();
      const name = String(this.collector?.name ?? 'plugin').toLowerCase().replace(/[^a-z0-9_-]/g, '') || 'plugin';
      info = new PluginInfo({ name, version: '0.0.0', scope: Scope.REGIONAL, description: clean(`info() threw ${describe(this.error)}`) });
    }
    return {
      name: info.name,
      version: info.version,
      description: info.description,
      scope: info.scope,
      homeRegion: info.homeRegion,
      permissions: [...info.permissions],
      columns: [...info.columns],
    };
  }

  witDetails() {
    if (this.info === undefined) return { key: [], settings: [] };
    return {
      key: [...this.info.key],
      settings: this.info.settings.map((s) => ({
        name: s.name,
        kind: s.kind,
        default: s.default === undefined ? undefined : { tag: s.kind, val: s.kind === 'integer' ? BigInt(s.default) : s.default },
        help: s.help,
        minimum: s.minimum,
        maximum: s.maximum,
        choices: [...s.choices],
      })),
    };
  }

  witCollect(target) {
    try {
      if (this.info === undefined) throw new Failed('trawl.PluginException', describe(this.error));
      host.setCurrentInfo(this.info);
      const out = run.collect(this.collector, makeTarget(target.accountId, target.accountName, target.region), true);
      return {
        tag: 'ok',
        val: { records: out.records, totals: out.totals.map(([name, value]) => ({ name, value: BigInt(value) })) },
      };
    } catch (e) {
      const reason = e instanceof CollectError ? e : new Failed('trawl.PluginException', describe(e));
      return { tag: 'err', val: { tag: reason.kind, val: { code: clean(reason.code), message: clean(reason.message) } } };
    }
  }
}

/** Exports a collector: a class (constructed with no arguments for each
 * call) with `info()` returning a PluginInfo (or the plain object for one)
 * and `collect(target)` returning a Collection. Use it once, in the entry
 * module:
 *
 *     export const { plugin, details } = exportCollector(Ebs);
 *
 * `info()` is read once, here: inside a component that is at build time, so
 * its result is part of the component. */
export function exportCollector(collector) {
  const probe = typeof collector === 'function' ? collector.prototype : collector;
  if (!probe || typeof probe.info !== 'function' || typeof probe.collect !== 'function') {
    throw new TypeError('exportCollector() takes a class with info() and collect(target)');
  }
  const exported = new Exported(collector);
  return {
    plugin: Object.freeze({
      info: () => exported.witInfo(),
      collect: (target) => exported.witCollect(target),
      exported,
    }),
    details: Object.freeze({ details: () => exported.witDetails(), exported }),
  };
}
