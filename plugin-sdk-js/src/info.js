// What a plugin tells the host about itself: `PluginInfo` and its settings.
//
// Declarations are checked here as the host checks them when it loads a
// plugin, so a bad one fails in a plain `node --test` (and in the build,
// before any WebAssembly is made).

/** How many times a plugin runs in one collection. */
export const Scope = Object.freeze({
  /** Once per (account, region) pair: EBS volumes, EC2 instances. */
  REGIONAL: 'regional',
  /** Once per account, in the plugin's home region: IAM, Health. */
  ACCOUNT: 'account',
  /** Once for the whole run; the first target that succeeds wins. */
  ORGANIZATION: 'organization',
});

/** The kind of value a setting takes. */
export const SettingKind = Object.freeze({
  TEXT: 'text',
  INTEGER: 'integer',
  NUMBER: 'number',
  BOOLEAN: 'boolean',
  TEXT_LIST: 'text-list',
});

const KINDS = Object.values(SettingKind);
const SCOPES = Object.values(Scope);
const NAME = /^[a-z0-9_]{1,64}$/;
const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;

/** One place a collector runs: an account in a region. */
export function target(accountId = '111111111111', accountName = 'demo', region = 'us-east-1') {
  return Object.freeze({ accountId, accountName, region });
}

function isText(v) {
  return typeof v === 'string';
}

function ofKind(kind, value) {
  switch (kind) {
    case 'text':
      return isText(value);
    case 'integer':
      return (
        (typeof value === 'number' && Number.isInteger(value)) ||
        (typeof value === 'bigint' && value >= MIN_I64 && value <= MAX_I64)
      );
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return Array.isArray(value) && value.every(isText);
  }
}

function shown(value) {
  try {
    return typeof value === 'bigint' ? String(value) : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function rangeWords(low, high) {
  if (low !== undefined && high !== undefined) return `between ${low} and ${high}`;
  if (low !== undefined) return `at least ${low}`;
  return `at most ${high}`;
}

/** One setting a plugin accepts: its name, kind, default, bounds, choices
 * and help. Build one with the constructor of its kind:
 *
 *     Setting.integer('stale_after_days', 90, { range: [1, 3650], help: 'days before a key is stale' })
 *     Setting.text('mode', 'fast', { choices: ['fast', 'full'] })
 *     Setting.optional('owner_tag', SettingKind.TEXT, { help: 'only volumes with this tag' })
 *
 * The host checks every operator value against the declaration (kind,
 * bounds, choices) before the run starts; `setting(name)` reads it. */
export class Setting {
  constructor(name, kind, defaultValue = undefined, { help = '', range = undefined, choices = [] } = {}) {
    if (!KINDS.includes(kind)) throw new TypeError(`setting kind must be one of ${KINDS.join(', ')}, got ${shown(kind)}`);
    if (!isText(name) || !NAME.test(name)) {
      throw new TypeError(`setting name ${shown(name)} must be 1-64 characters of a-z, 0-9 and _`);
    }
    if (!isText(help)) throw new TypeError(`setting \`${name}\`: help must be text`);
    let minimum;
    let maximum;
    if (range !== undefined && range !== null) {
      if (kind !== 'integer' && kind !== 'number') {
        throw new TypeError(`setting \`${name}\` is ${kind}: only numbers take a minimum or maximum`);
      }
      [minimum, maximum] = range;
      minimum = minimum ?? undefined;
      maximum = maximum ?? undefined;
      for (const bound of [minimum, maximum]) {
        if (bound !== undefined && !(typeof bound === 'number' && Number.isFinite(bound))) {
          throw new TypeError(`setting \`${name}\` has a bound that is not a finite number`);
        }
      }
    }
    if (!Array.isArray(choices) || !choices.every(isText)) {
      throw new TypeError(`setting \`${name}\`: choices must be a list of texts`);
    }
    if (choices.length > 0 && kind !== 'text' && kind !== 'text-list') {
      throw new TypeError(`setting \`${name}\` is ${kind}: only texts take choices`);
    }
    this.name = name;
    this.kind = kind;
    this.help = help;
    this.minimum = minimum;
    this.maximum = maximum;
    this.choices = [...choices];
    this.default =
      defaultValue === undefined || defaultValue === null
        ? undefined
        : this.check(defaultValue, `the default of setting \`${name}\``);
    Object.freeze(this);
  }

  /** A whole-number setting with a default; `range: [min, max]` inclusive. */
  static integer(name, defaultValue, { help, range } = {}) {
    return new Setting(name, 'integer', defaultValue, { help, range });
  }

  /** A number setting with a default; `range: [min, max]` inclusive. */
  static number(name, defaultValue, { help, range } = {}) {
    return new Setting(name, 'number', defaultValue, { help, range });
  }

  /** A text setting with a default; `choices` lists the values allowed. */
  static text(name, defaultValue, { help, choices } = {}) {
    return new Setting(name, 'text', defaultValue, { help, choices });
  }

  /** A true/false setting with a default. */
  static boolean(name, defaultValue, { help } = {}) {
    return new Setting(name, 'boolean', defaultValue, { help });
  }

  /** A list-of-texts setting with a default (`a,b,c` on the command line). */
  static textList(name, defaultValue, { help, choices } = {}) {
    return new Setting(name, 'text-list', defaultValue, { help, choices });
  }

  /** A setting with no default: `setting(name)` gives undefined unless the
   * operator sets it. */
  static optional(name, kind, { help, range, choices } = {}) {
    return new Setting(name, kind, undefined, { help, range, choices });
  }

  /** `value` as this setting holds it, or a TypeError/RangeError in the
   * host's words when the host would refuse it. */
  check(value, what = `setting \`${this.name}\``) {
    if (!ofKind(this.kind, value)) throw new TypeError(`${what}: ${shown(value)} is not ${this.kind}`);
    if (this.kind === 'integer' || this.kind === 'number') {
      const n = Number(value);
      if ((this.minimum !== undefined && n < this.minimum) || (this.maximum !== undefined && n > this.maximum)) {
        throw new RangeError(`${what}: must be ${rangeWords(this.minimum, this.maximum)}, got ${shown(value)}`);
      }
    }
    const texts = this.kind === 'text' ? [value] : this.kind === 'text-list' ? value : [];
    const bad = texts.find((t) => this.choices.length > 0 && !this.choices.includes(t));
    if (bad !== undefined) throw new RangeError(`${what}: ${shown(bad)} is not one of ${this.choices.join(', ')}`);
    return this.kind === 'text-list' ? [...value] : value;
  }
}

function texts(what, values) {
  if (!Array.isArray(values) || !values.every(isText)) {
    throw new TypeError(`PluginInfo.${what} must be a list of texts`);
  }
  return Object.freeze([...values]);
}

/** What a plugin tells the host: name, version, scope and the rest.
 *
 *     new PluginInfo({ name: 'ebs-js', version: '0.1.0', scope: Scope.REGIONAL,
 *                      permissions: ['ec2:DescribeVolumes'],
 *                      columns: ['volume_id', 'size_gib'], key: ['volume_id'] })
 *
 * `info()` may also return such a plain object: the SDK makes the
 * PluginInfo (and checks it) itself. */
export class PluginInfo {
  constructor({
    name,
    version,
    scope,
    description = '',
    homeRegion = undefined,
    permissions = [],
    columns = [],
    key = [],
    settings = [],
    ...rest
  } = {}) {
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new TypeError(`PluginInfo has no field ${unknown.join(', ')}`);
    for (const [what, value] of Object.entries({ name, version, description })) {
      if (!isText(value)) throw new TypeError(`PluginInfo.${what} must be text`);
    }
    if (!name) throw new TypeError('PluginInfo.name must not be empty');
    if (!SCOPES.includes(scope)) throw new TypeError(`PluginInfo.scope must be one of ${SCOPES.join(', ')}, got ${shown(scope)}`);
    if (homeRegion !== undefined && homeRegion !== null && !isText(homeRegion)) {
      throw new TypeError('PluginInfo.homeRegion must be text or undefined');
    }
    /** Short name, lowercase, e.g. `ebs`. */
    this.name = name;
    /** The plugin's own version (semver). */
    this.version = version;
    /** How often the plugin runs: one of `Scope`. */
    this.scope = scope;
    /** One line for operators. */
    this.description = description;
    /** Region for account- and organization-scoped runs (default us-east-1). */
    this.homeRegion = homeRegion ?? undefined;
    /** API calls the plugin makes, `service:Operation`; a trailing `*` matches a prefix. */
    this.permissions = texts('permissions', permissions);
    /** Record fields the table output shows, in order. */
    this.columns = texts('columns', columns);
    /** Record fields that together identify a record within its target. */
    this.key = texts('key', key);
    if (!Array.isArray(settings)) throw new TypeError('PluginInfo.settings must be a list of Setting declarations');
    const seen = new Set();
    for (const s of settings) {
      if (!(s instanceof Setting)) throw new TypeError(`PluginInfo.settings must hold Setting declarations, got ${shown(s)}`);
      if (seen.has(s.name)) throw new TypeError(`setting \`${s.name}\` is declared twice`);
      seen.add(s.name);
    }
    if (settings.length > 64) throw new RangeError(`${settings.length} settings declared (at most 64)`);
    /** The settings the plugin accepts. */
    this.settings = Object.freeze([...settings]);
    Object.freeze(this);
  }

  /** The declaration of setting `name`, or undefined. */
  declared(name) {
    return this.settings.find((s) => s.name === name);
  }

  /** `info` as a PluginInfo: itself, or one made from a plain object. */
  static from(info) {
    if (info instanceof PluginInfo) return info;
    if (info === null || typeof info !== 'object') {
      throw new TypeError(`info() returned ${shown(info)}, not a PluginInfo`);
    }
    return new PluginInfo(info);
  }
}
