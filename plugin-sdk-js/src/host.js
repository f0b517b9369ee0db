// The host's imports as the rest of the SDK calls them: the component's own
// (installed by component-host.js, which the build puts first in the
// bundle), or the `testing` harness's in plain Node.
//
// Every function here speaks JSON strings and plain values; the bindings'
// shapes never leave this module.

import { ApiError } from './errors.js';

let component = null;
let test = null;
let currentInfo = null;

/** Called by component-host.js with the `trawl:collector/*` imports. */
export function installComponentHost(imports) {
  component = imports;
}

/** Called by the test harness around one collect (null to end it). */
export function setTestBackend(backend) {
  test = backend;
}

/** The PluginInfo of the collector being run, or null. */
export function getCurrentInfo() {
  return currentInfo;
}

export function setCurrentInfo(info) {
  currentInfo = info;
}

export function inComponent() {
  return component !== null;
}

function backend() {
  if (test) return test;
  if (component) return componentBackend;
  throw new Error(
    'outside a component, trawl-sdk reaches the cloud only inside new TestCloud()...collect(...) (trawl-sdk/testing)',
  );
}

export function call(service, operation, paramsJson) {
  return backend().call(service, operation, paramsJson);
}

/** `requests` is a list of [service, operation, paramsJson]; each result is
 * a JSON string or an ApiError (returned, not thrown). */
export function callMany(requests) {
  return backend().callMany(requests);
}

export function log(level, message) {
  backend().log(level, message);
}

/** The setting's value as a plain value, or undefined. */
export function setting(name) {
  return backend().setting(name);
}

function apiError(e) {
  return new ApiError(e.code, e.message, e.status, e.requestId ?? undefined);
}

const componentBackend = {
  call(service, operation, paramsJson) {
    try {
      return component.cloud.call(service, operation, paramsJson);
    } catch (e) {
      if (e && Object.prototype.hasOwnProperty.call(e, 'payload')) throw apiError(e.payload);
      throw e;
    }
  },
  callMany(requests) {
    const answers = component.cloud.callMany(requests.map(([service, operation, params]) => ({ service, operation, params })));
    return answers.map((a) => (a.tag === 'err' ? apiError(a.val) : a.val));
  },
  log(level, message) {
    component.log.log(level, message);
  },
  setting(name) {
    const value = component.settings.get(name);
    if (value === undefined || value === null) return undefined;
    if (value.tag === 'integer') {
      const n = Number(value.val);
      return Number.isSafeInteger(n) ? n : value.val;
    }
    return value.val;
  },
};
