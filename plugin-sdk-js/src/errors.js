// Why `collect` produced no records, and how API errors map onto it.
//
// Throw `new Skipped(code, message)` when there is nothing to collect here
// and that is fine, `new Failed(code, message)` when something went wrong.
// An `ApiError` that escapes `collect` maps as the Rust SDK's `?` does: the
// AccessDenied family makes the target skipped, anything else failed with the
// AWS code. Any other exception makes it failed with `trawl.PluginException`.

import { ACCESS_DENIED } from './_error_codes.js';

export { ACCESS_DENIED };

/** An error the cloud answered with, or one the host produced on its way
 * (host codes start with `trawl.`). Throttling and transient errors have
 * already been retried by the host when a plugin sees one. */
export class ApiError extends Error {
  constructor(code, message = '', status = 0, requestId = undefined) {
    // `message` is the service's message, as in the WIT `api-error`.
    super(message);
    this.name = 'ApiError';
    /** The AWS error code, e.g. `UnauthorizedOperation`. */
    this.code = code;
    /** HTTP status, or 0 when no response was received. */
    this.status = status;
    /** The service's request id, when it gave one. */
    this.requestId = requestId;
  }

  /** `code: message (request id ...)`. */
  toString() {
    const text = `${this.code}: ${this.message}`;
    return this.requestId === undefined || this.requestId === null ? text : `${text} (request id ${this.requestId})`;
  }

  /** True for the AccessDenied family: the target should be skipped. */
  isAccessDenied() {
    return ACCESS_DENIED.includes(this.code);
  }

  /** What this error makes of the target when it escapes `collect`. */
  toCollectError() {
    const message =
      this.requestId === undefined || this.requestId === null
        ? this.message
        : `${this.message} (request id ${this.requestId})`;
    return this.isAccessDenied() ? new Skipped(this.code, message) : new Failed(this.code, message);
  }
}

/** A target that ended without records: `Skipped` or `Failed`. */
export class CollectError extends Error {
  constructor(code, message = '') {
    super(message);
    this.name = 'CollectError';
    /** A short machine-readable code, e.g. `AccessDenied`. */
    this.code = code;
  }

  get kind() {
    return 'failed';
  }

  toString() {
    return `${this.kind}: ${this.code}: ${this.message}`;
  }
}

/** Nothing to collect here, and that is fine (not counted as a failure). */
export class Skipped extends CollectError {
  constructor(code, message = '') {
    super(code, message);
    this.name = 'Skipped';
  }

  get kind() {
    return 'skipped';
  }
}

/** The target failed; counted in the run's error summary by `code`. */
export class Failed extends CollectError {
  constructor(code, message = '') {
    super(code, message);
    this.name = 'Failed';
  }
}

/** `ErrorName: message` for anything thrown. */
export function describe(thrown) {
  if (thrown instanceof Error) {
    const name = thrown.name || thrown.constructor?.name || 'Error';
    return thrown.message ? `${name}: ${thrown.message}` : name;
  }
  const type = thrown === null ? 'null' : thrown === undefined ? 'undefined' : thrown.constructor?.name ?? typeof thrown;
  let text;
  try {
    text = typeof thrown === 'string' ? thrown : JSON.stringify(thrown);
  } catch {
    text = undefined;
  }
  return text === undefined ? type : `${type}: ${text}`;
}
