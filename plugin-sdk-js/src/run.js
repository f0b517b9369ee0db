// Running a collector's `collect` as the host sees it: shared by the
// component glue (`exportCollector`) and the test harness (`TestCloud`).

import { Collection } from './collection.js';
import { ApiError, CollectError, Failed, describe } from './errors.js';
import { PluginInfo } from './info.js';

/** A fresh instance of a collector class (the host gives every call a fresh
 * sandbox), or the object itself when it is not a class. */
export function instance(collector) {
  return typeof collector === 'function' ? new collector() : collector;
}

/** The collector's PluginInfo, checked. */
export function readInfo(collector) {
  return PluginInfo.from(instance(collector).info());
}

/** Runs `collect(target)`; returns its Collection or throws the
 * CollectError the host will record: an ApiError maps by its code (the
 * AccessDenied family skips), anything else thrown is `trawl.PluginException`
 * (its stack printed to stderr when `printStack`). */
export function collect(collector, target, printStack) {
  try {
    const out = instance(collector).collect(target);
    if (out && typeof out.then === 'function') {
      throw new TypeError('collect returned a Promise: collect runs synchronously (no async/await)');
    }
    if (!(out instanceof Collection)) {
      const type = out === null ? 'null' : out === undefined ? 'undefined' : out.constructor?.name ?? typeof out;
      throw new TypeError(`collect returned ${type}, not a Collection`);
    }
    return out;
  } catch (e) {
    if (e instanceof CollectError) throw e;
    if (e instanceof ApiError) throw e.toCollectError();
    if (printStack) console.error(e instanceof Error && e.stack ? `${describe(e)}\n${e.stack}` : describe(e));
    const failed = new Failed('trawl.PluginException', describe(e));
    failed.cause = e;
    throw failed;
  }
}
