// What `collect` returns: records and per-target totals.

import { Failed } from './errors.js';

const MAX_U64 = 2n ** 64n - 1n;

/** Records of one target plus named totals the host sums over the run. */
export class Collection {
  #records = [];
  #totals = new Map();

  /** Adds one record, which must serialise to a JSON object; anything else
   * throws Failed `trawl.RecordNotObject`. */
  push(record) {
    const json = JSON.stringify(record);
    if (typeof json !== 'string' || !json.startsWith('{')) {
      throw new Failed('trawl.RecordNotObject', `a record must be a JSON object, got ${String(json).slice(0, 40)}`);
    }
    this.#records.push(json);
    return this;
  }

  /** Sets a named total for this target (replacing an earlier value): a
   * whole number from 0 to 2**64-1 (a Number, or a BigInt past 2**53). */
  total(name, value) {
    if (typeof name !== 'string') throw new TypeError(`a total's name must be text, got ${String(name)}`);
    const whole = (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint';
    if (!whole) throw new TypeError(`total \`${name}\` must be a whole number, got ${String(value)}`);
    if (value < 0 || BigInt(value) > MAX_U64) {
      throw new RangeError(`total \`${name}\` must be between 0 and 2**64-1, got ${String(value)}`);
    }
    this.#totals.set(name, value);
    return this;
  }

  /** Number of records so far. */
  get length() {
    return this.#records.length;
  }

  /** The records so far, as the JSON strings the host receives. */
  get records() {
    return [...this.#records];
  }

  /** The totals so far, as [name, value] pairs in the order first set. */
  get totals() {
    return [...this.#totals.entries()];
  }
}
