// Reading the operator's settings.
//
// Declare a setting in `new PluginInfo({ settings: [...] })`; the operator
// gives it with `host run --set NAME.SETTING=VALUE` or `[plugins.NAME]` in a
// run config; `setting(name)` reads it as the declared kind says: a number
// (integers past 2**53 as a BigInt), a string, a boolean or an array of
// strings; undefined for an optional setting the operator left out. The
// host checks every value against the declaration before the run starts.

import * as host from './host.js';
import { Failed } from './errors.js';

/** The value of setting `name`: the operator's, else the declared default.
 * Throws Failed `trawl.MissingSetting` for a name the plugin did not declare. */
export function setting(name) {
  const value = host.setting(name);
  if (value === undefined) {
    const info = host.getCurrentInfo();
    if (info && info.declared(name) === undefined) {
      throw new Failed(
        'trawl.MissingSetting',
        `setting \`${name}\` is not declared: add it to new PluginInfo({ settings: [...] })`,
      );
    }
  }
  return value;
}
