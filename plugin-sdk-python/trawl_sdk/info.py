"""What a plugin tells the host about itself: `PluginInfo` and its settings.

Declarations are checked here as the host checks them when it loads a
plugin, so a bad one fails in a plain `python -m pytest` (and in
`python -m trawl_sdk build`, before any WebAssembly is made).
"""

import math
import re
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["PluginInfo", "Scope", "Setting", "SettingKind", "Target"]


class Scope(str, Enum):
    """How many times a plugin runs in one collection."""

    #: Once per (account, region) pair: EBS volumes, EC2 instances.
    REGIONAL = "regional"
    #: Once per account, in the plugin's home region: IAM, Health.
    ACCOUNT = "account"
    #: Once for the whole run; the first target that succeeds wins.
    ORGANIZATION = "organization"


class SettingKind(str, Enum):
    """The kind of value a setting takes."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT_LIST = "text-list"


@dataclass(frozen=True)
class Target:
    """One place a collector runs: an account in a region."""

    #: The 12-digit AWS account id.
    account_id: str
    #: The account's friendly name, as the organisation calls it.
    account_name: str
    #: The region this task is bound to, e.g. `eu-west-1` (the plugin's home
    #: region for account- and organization-scoped plugins).
    region: str


_NAME = re.compile(r"[a-z0-9_]{1,64}")
_KIND_WORDS = {
    SettingKind.TEXT: "text",
    SettingKind.INTEGER: "integer",
    SettingKind.NUMBER: "number",
    SettingKind.BOOLEAN: "boolean",
    SettingKind.TEXT_LIST: "text-list",
}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _of_kind(kind: SettingKind, value) -> bool:
    if kind is SettingKind.TEXT:
        return isinstance(value, str)
    if kind is SettingKind.INTEGER:
        return _is_int(value) and -(2**63) <= value < 2**63
    if kind is SettingKind.NUMBER:
        return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)
    if kind is SettingKind.BOOLEAN:
        return isinstance(value, bool)
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


class Setting:
    """One setting a plugin accepts: its name, kind, default, bounds, choices
    and help. Build one with the constructor of its kind:

        Setting.integer("stale_after_days", 90, range=(1, 3650), help="days before a key is stale")
        Setting.text("mode", "fast", choices=["fast", "full"])
        Setting.optional("owner_tag", SettingKind.TEXT, help="only volumes with this tag")

    The host checks every operator value against the declaration (kind,
    bounds, choices) before the run starts; `setting(name)` reads it.
    """

    __slots__ = ("name", "kind", "default", "help", "minimum", "maximum", "choices")

    def __init__(self, name: str, kind, default=None, *, help: str = "", range=None, choices=()):
        kind = SettingKind(kind)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"setting name {name!r} must be 1-64 characters of a-z, 0-9 and _")
        if not isinstance(help, str):
            raise TypeError(f"setting `{name}`: help must be text")
        minimum = maximum = None
        if range is not None:
            if kind not in (SettingKind.INTEGER, SettingKind.NUMBER):
                raise ValueError(f"setting `{name}` is {_KIND_WORDS[kind]}: only numbers take a minimum or maximum")
            minimum, maximum = range
            for bound in (minimum, maximum):
                if bound is not None and not ((_is_int(bound) or isinstance(bound, float)) and math.isfinite(bound)):
                    raise ValueError(f"setting `{name}` has a bound that is not a finite number")
            minimum = None if minimum is None else float(minimum)
            maximum = None if maximum is None else float(maximum)
        if isinstance(choices, str):
            raise TypeError(f"setting `{name}`: choices must be a list of texts, not one text")
        choices = list(choices)
        if choices and kind not in (SettingKind.TEXT, SettingKind.TEXT_LIST):
            raise ValueError(f"setting `{name}` is {_KIND_WORDS[kind]}: only texts take choices")
        if not all(isinstance(c, str) for c in choices):
            raise TypeError(f"setting `{name}`: choices must be texts")
        self.name = name
        self.kind = kind
        self.help = help
        self.minimum = minimum
        self.maximum = maximum
        self.choices = choices
        if default is not None:
            default = self.check(default, what=f"the default of setting `{name}`")
        self.default = default

    # The constructors, one per kind, as in the Rust SDK.

    @classmethod
    def integer(cls, name: str, default: int, *, help: str = "", range=None) -> "Setting":
        """A whole-number setting with a default; `range=(min, max)` inclusive."""
        return cls(name, SettingKind.INTEGER, default, help=help, range=range)

    @classmethod
    def number(cls, name: str, default: float, *, help: str = "", range=None) -> "Setting":
        """A number setting with a default; `range=(min, max)` inclusive."""
        return cls(name, SettingKind.NUMBER, default, help=help, range=range)

    @classmethod
    def text(cls, name: str, default: str, *, help: str = "", choices=()) -> "Setting":
        """A text setting with a default; `choices` lists the values allowed."""
        return cls(name, SettingKind.TEXT, default, help=help, choices=choices)

    @classmethod
    def boolean(cls, name: str, default: bool, *, help: str = "") -> "Setting":
        """A true/false setting with a default."""
        return cls(name, SettingKind.BOOLEAN, default, help=help)

    @classmethod
    def text_list(cls, name: str, default, *, help: str = "", choices=()) -> "Setting":
        """A list-of-texts setting with a default (`a,b,c` on the command line)."""
        return cls(name, SettingKind.TEXT_LIST, list(default), help=help, choices=choices)

    @classmethod
    def optional(cls, name: str, kind, *, help: str = "", range=None, choices=()) -> "Setting":
        """A setting with no default: `setting(name)` gives None unless the
        operator sets it."""
        return cls(name, kind, None, help=help, range=range, choices=choices)

    def check(self, value, what: str = None):
        """`value` as this setting holds it (a float for a number, a list for a
        text list), or ValueError in the host's words when the host would
        refuse it."""
        what = what or f"setting `{self.name}`"
        if not _of_kind(self.kind, value):
            raise ValueError(f"{what}: {value!r} is not {_KIND_WORDS[self.kind]}")
        if self.kind is SettingKind.NUMBER:
            value = float(value)
        if self.kind is SettingKind.TEXT_LIST:
            value = list(value)
        if self.kind in (SettingKind.INTEGER, SettingKind.NUMBER):
            low = -math.inf if self.minimum is None else self.minimum
            high = math.inf if self.maximum is None else self.maximum
            if not low <= value <= high:
                raise ValueError(f"{what}: must be {_range_words(self.minimum, self.maximum)}, got {value}")
        texts = [value] if self.kind is SettingKind.TEXT else value if self.kind is SettingKind.TEXT_LIST else []
        bad = [t for t in texts if self.choices and t not in self.choices]
        if bad:
            raise ValueError(f"{what}: {bad[0]!r} is not one of {', '.join(self.choices)}")
        return value

    def __repr__(self) -> str:
        return f"Setting({self.name!r}, {self.kind.value!r}, {self.default!r})"


def _range_words(low, high) -> str:
    def shown(x):
        return str(int(x)) if float(x).is_integer() else str(x)

    if low is not None and high is not None:
        return f"between {shown(low)} and {shown(high)}"
    if low is not None:
        return f"at least {shown(low)}"
    return f"at most {shown(high)}"


def _texts(what: str, values) -> list:
    if isinstance(values, str):
        raise TypeError(f"PluginInfo.{what} must be a list of texts, not one text")
    values = list(values)
    if not all(isinstance(v, str) for v in values):
        raise TypeError(f"PluginInfo.{what} must be a list of texts")
    return values


@dataclass
class PluginInfo:
    """What a plugin tells the host: name, version, scope and the rest.

        PluginInfo("ebs-py", "0.1.0", Scope.REGIONAL,
                   permissions=["ec2:DescribeVolumes"],
                   columns=["volume_id", "size_gib"], key=["volume_id"])
    """

    #: Short name, lowercase, e.g. `ebs`.
    name: str
    #: The plugin's own version (semver).
    version: str
    #: How often the plugin runs (a Scope, or "regional", "account", "organization").
    scope: Scope
    #: One line for operators.
    description: str = ""
    #: Region for account- and organization-scoped runs (default us-east-1).
    home_region: str = None
    #: API calls the plugin makes, `service:Operation`; a trailing `*` matches
    #: a prefix. The host refuses any other call.
    permissions: list = field(default_factory=list)
    #: Record fields the table output shows, in order.
    columns: list = field(default_factory=list)
    #: Record fields that together identify a record within its target.
    key: list = field(default_factory=list)
    #: The settings the plugin accepts.
    settings: list = field(default_factory=list)

    def __post_init__(self):
        for what in ("name", "version", "description"):
            if not isinstance(getattr(self, what), str):
                raise TypeError(f"PluginInfo.{what} must be text")
        if not self.name:
            raise ValueError("PluginInfo.name must not be empty")
        self.scope = Scope(self.scope)
        if self.home_region is not None and not isinstance(self.home_region, str):
            raise TypeError("PluginInfo.home_region must be text or None")
        self.permissions = _texts("permissions", self.permissions)
        self.columns = _texts("columns", self.columns)
        self.key = _texts("key", self.key)
        self.settings = list(self.settings)
        names = set()
        for s in self.settings:
            if not isinstance(s, Setting):
                raise TypeError(f"PluginInfo.settings must hold Setting declarations, got {s!r}")
            if s.name in names:
                raise ValueError(f"setting `{s.name}` is declared twice")
            names.add(s.name)
        if len(self.settings) > 64:
            raise ValueError(f"{len(self.settings)} settings declared (at most 64)")

    def declared(self, name: str):
        """The declaration of setting `name`, or None."""
        return next((s for s in self.settings if s.name == name), None)
