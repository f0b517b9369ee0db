// Following pagination tokens, whatever the service calls them.
//
// Services page in three styles: EC2 answers `nextToken` and takes
// `NextToken`; JSON services answer and take the same name (`NextToken`, or
// `nextToken` for Health); IAM-style query services answer `Marker` with
// `IsTruncated` and take `Marker`. `TokenStyle.AUTO` recognises all three;
// `TokenStyle.named(response, request)` sets another pair explicitly.

import { callRaw, dumps, loads } from './cloud.js';
import { ApiError } from './errors.js';

/** How to find the next-page token in a response and where to put it in the
 * next request. */
export class TokenStyle {
  constructor(response, request) {
    this.response = response;
    this.request = request;
    Object.freeze(this);
  }

  /** Read the token from response key `response`, send it as `request`. */
  static named(response, request) {
    if (typeof response !== 'string' || typeof request !== 'string') {
      throw new TypeError('TokenStyle.named takes two key names');
    }
    return new TokenStyle(response, request);
  }
}

/** Recognise `nextToken`/`NextToken`, `Marker` + `IsTruncated` and
 * `NextMarker`, and send the token back the way the service expects. */
TokenStyle.AUTO = new TokenStyle(undefined, undefined);

function shown(value) {
  return String(JSON.stringify(value)).slice(0, 40);
}

function token(page, key) {
  const value = page[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiError('trawl.UnexpectedShape', `\`${key}\` is ${shown(value)}, not a string`);
  return value || undefined;
}

function auto(page, service) {
  const truncated = page.IsTruncated;
  const marker = token(page, 'Marker');
  const nextMarker = token(page, 'NextMarker');
  const lower = token(page, 'nextToken');
  const upper = token(page, 'NextToken');
  if (truncated !== undefined && truncated !== null) {
    const more = truncated === true || truncated === 'true';
    return more && marker ? ['Marker', marker] : undefined;
  }
  if (nextMarker) return ['Marker', nextMarker];
  // EC2 answers in lowerCamel but takes the token as NextToken.
  if (lower) return [service === 'ec2' ? 'NextToken' : 'nextToken', lower];
  if (upper) return ['NextToken', upper];
  return undefined;
}

function named(page, style) {
  const value = page[style.response];
  return typeof value === 'string' && value ? [style.request, value] : undefined;
}

/** Yields each page (the parsed response) of `service:operation`, starting
 * from `params` (an object; it is copied, not changed). Put the page size in
 * `params` (`MaxResults`, `MaxItems`, ...): AWS recommends always paginating
 * explicitly. An API error is thrown from the page it hit; a token the
 * service repeats throws ApiError `trawl.PaginationLoop`.
 *
 * `options.style` is `TokenStyle.AUTO`, `TokenStyle.named('Next', 'PageToken')`
 * or a `[responseKey, requestKey]` pair; `options.fetch(service, operation,
 * paramsJson)` replaces the call itself (tests page through canned answers). */
export function* paginate(service, operation, params = {}, { style = TokenStyle.AUTO, fetch = callRaw } = {}) {
  if (Array.isArray(style)) style = TokenStyle.named(...style);
  if (!(style instanceof TokenStyle)) throw new TypeError('style must be TokenStyle.AUTO or TokenStyle.named(...)');
  params = params ?? {};
  const isObject = typeof params === 'object' && !Array.isArray(params);
  if (isObject) params = { ...params };
  let lastToken;
  for (;;) {
    const page = loads(fetch(service, operation, dumps(params)));
    if (page === null || typeof page !== 'object' || Array.isArray(page)) {
      throw new ApiError('trawl.UnexpectedShape', `${service}:${operation} answered ${shown(page)}, not an object`);
    }
    const next = style.response === undefined ? auto(page, service) : named(page, style);
    if (next === undefined) {
      yield page;
      return;
    }
    const [requestKey, tok] = next;
    if (tok === lastToken) {
      throw new ApiError('trawl.PaginationLoop', `${service}:${operation} returned the same token twice`);
    }
    if (!isObject) throw new ApiError('trawl.BadParams', 'paginate needs params that are a JSON object');
    params[requestKey] = tok;
    lastToken = tok;
    yield page;
  }
}
