// Calls into the cloud through the host.
//
// Every call is bound to the target the host is collecting: the plugin names
// a service and an operation, never an account, a region or a key.
// Parameters use the service's wire names; arrays become `Key.N` (EC2) or
// `Key.member.N` (query services) form fields. Responses of EC2 and query
// services are their XML converted to JSON with wire names kept, lists as
// arrays and leaf values as strings (see `wire` for typed reads); JSON
// services answer with their own documents.

import * as host from './host.js';
import { ApiError } from './errors.js';

export function dumps(params) {
  let text;
  try {
    text = JSON.stringify(params ?? {});
  } catch (e) {
    throw new ApiError('trawl.BadParams', `parameters are not JSON: ${e.message}`);
  }
  if (text === undefined) throw new ApiError('trawl.BadParams', 'parameters are not JSON');
  return text;
}

export function loads(body) {
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new ApiError('trawl.UnexpectedShape', `the response is not JSON: ${e.message}`);
  }
}

/** Calls `service:operation` with `params` (an object of wire names) and
 * returns the parsed response; throws ApiError. */
export function call(service, operation, params = {}) {
  return loads(host.call(service, operation, dumps(params)));
}

/** Calls `service:operation` with a JSON string and returns the JSON string
 * the host produced: no parsing on either side. */
export function callRaw(service, operation, paramsJson) {
  return host.call(service, operation, paramsJson);
}

/** Calls several operations concurrently (the host bounds the concurrency
 * and applies the same limits as for `call`). `requests` holds
 * `[service, operation, params]` arrays (or `{service, operation, params}`
 * objects); the results come back in their order, each the parsed response
 * or an `ApiError` (returned, not thrown). */
export function callMany(requests) {
  const wire = requests.map((r) =>
    Array.isArray(r) ? [r[0], r[1], dumps(r[2])] : [r.service, r.operation, dumps(r.params)],
  );
  return host.callMany(wire).map((answer) => {
    if (answer instanceof ApiError) return answer;
    try {
      return loads(answer);
    } catch (e) {
      return e;
    }
  });
}
