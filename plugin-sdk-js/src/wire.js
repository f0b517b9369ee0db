// Typed reads of wire values.
//
// EC2 and query services answer in XML, where every leaf is text: the host
// keeps those values as strings (`"size": "100"`, `"encrypted": "false"`).
// These readers take the string form and the native JSON form alike, so one
// collector reads both protocols:
//
//     wire.number('100') === 100, wire.number(7) === 7
//     wire.boolean('false') === false, wire.boolean(true) === true
//
// A value of another shape throws ApiError `trawl.UnexpectedShape`, which
// fails the target with that code if it escapes `collect`.

import { ApiError } from './errors.js';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function shape(what, value) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  return new ApiError('trawl.UnexpectedShape', `expected ${what}, got ${String(text ?? value).slice(0, 40)}`);
}

/** A number, from a JSON number or numeric text. */
export function number(value) {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (NUMBER.test(text)) {
      const n = Number(text);
      if (Number.isFinite(n)) return n;
    }
  }
  throw shape('a number', value);
}

/** true or false, from a JSON boolean or the text "true" / "false". */
export function boolean(value) {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw shape('a boolean', value);
}
