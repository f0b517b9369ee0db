// Log lines into the host's log, tagged there with plugin and target.
// Plain `console.log` / `console.error` also reach the host log, untagged by
// level.

import * as host from './host.js';

/** Logs at trace level. */
export const trace = (message) => host.log('trace', String(message));
/** Logs at debug level. */
export const debug = (message) => host.log('debug', String(message));
/** Logs at info level. */
export const info = (message) => host.log('info', String(message));
/** Logs at warn level. */
export const warn = (message) => host.log('warn', String(message));
/** Logs at error level. */
export const error = (message) => host.log('error', String(message));
