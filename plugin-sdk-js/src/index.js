// Write trawl collector plugins in JavaScript.
//
// A collector is a plain class with `info()` and `collect(target)`, exported
// with one line and built into a WebAssembly component with
// `node node_modules/trawl-sdk/build.mjs src/roles.js -o roles.wasm`:
//
//     import { Collection, PluginInfo, Scope, exportCollector, paginate } from 'trawl-sdk';
//
//     class Roles {
//       info() {
//         return new PluginInfo({ name: 'roles', version: '0.1.0', scope: Scope.ACCOUNT,
//                                 permissions: ['iam:ListRoles'], columns: ['RoleName', 'Arn'] });
//       }
//       collect(target) {
//         const out = new Collection();
//         for (const page of paginate('iam', 'ListRoles', { MaxItems: 100 })) {
//           for (const role of page.Roles ?? []) out.push(role);
//         }
//         return out;
//       }
//     }
//
//     export const { plugin, details } = exportCollector(Roles);
//
// The host calls `collect` once per target in a fresh sandbox; the plugin
// reaches the cloud only through `call` and its relatives, which the host
// signs, rate-limits and retries. `trawl-sdk/testing` runs a collector in
// plain Node against canned answers.

export { callMany, call, callRaw } from './cloud.js';
export { Collection } from './collection.js';
export { ACCESS_DENIED, ApiError, CollectError, Failed, Skipped } from './errors.js';
export { exportCollector } from './export.js';
export { PluginInfo, Scope, Setting, SettingKind, target } from './info.js';
export { TokenStyle, paginate } from './paginate.js';
export { setting } from './settings.js';
export * as log from './log.js';
export * as wire from './wire.js';

export const VERSION = '0.1.1';
