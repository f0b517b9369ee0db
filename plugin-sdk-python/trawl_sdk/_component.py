"""The glue componentize-py needs, hidden behind one line:

    Plugin, Details = export(MyCollector)

componentize-py 0.25 looks, in the app module it is given, for one class
per exported interface, named after it (`Plugin` for `plugin`, `Details`
for `details`), instantiates it and calls its methods with the bindings'
types. `export` makes both classes around a plain collector class and
converts between the bindings' types and the SDK's.
"""

import re
import sys
import traceback

from . import _host, _run
from .errors import CollectError, Failed
from .info import PluginInfo, Scope, SettingKind, Target

if _host.IN_COMPONENT:
    from componentize_py_types import Err
    from wit_world import exports as _exports
    from wit_world.imports import types as _types

    _PLUGIN_BASE, _DETAILS_BASE = _exports.Plugin, _exports.Details
else:
    _PLUGIN_BASE = _DETAILS_BASE = object

__all__ = ["export"]


def _clean(text: str) -> str:
    """Text the component model can carry (UTF-8: no lone surrogates)."""
    return text.encode("utf-8", "replace").decode("utf-8")


class _Exported:
    """A collector and its PluginInfo, read once."""

    def __init__(self, collector):
        self.collector = collector
        self.info = None
        self.error = None
        try:
            info = _run.instance(collector).info()
            if not isinstance(info, PluginInfo):
                raise TypeError(f"info returned {type(info).__name__}, not a trawl_sdk.PluginInfo")
            self.info = info
        except (Exception, SystemExit) as e:
            self.error = e

    def report_info_error(self):
        traceback.print_exception(type(self.error), self.error, self.error.__traceback__, file=sys.stderr)
        sys.stderr.flush()

    # The exports, in the bindings' types (inside a component only).

    def wit_info(self):
        info = self.info
        if info is None:
            # info() raised: the plugin still loads, under a name made from
            # the class, and every target fails with the exception.
            self.report_info_error()
            name = re.sub(r"[^a-z0-9_-]", "", getattr(self.collector, "__name__", "plugin").lower()) or "plugin"
            info = PluginInfo(name, "0.0.0", Scope.REGIONAL, description=_clean("info() raised " + _run.exception_message(self.error)))
        return _types.PluginInfo(
            name=info.name,
            version=info.version,
            description=info.description,
            scope=_types.Scope[info.scope.name],
            home_region=info.home_region,
            permissions=list(info.permissions),
            columns=list(info.columns),
        )

    def wit_details(self):
        if self.info is None:
            return _types.PluginDetails(key=[], settings=[])
        return _types.PluginDetails(key=list(self.info.key), settings=[_wit_setting(s) for s in self.info.settings])

    def wit_collect(self, target):
        try:
            if self.info is None:
                raise Failed("trawl.PluginException", _run.exception_message(self.error))
            _host.current_info = lambda: self.info
            out = _run.collect(self.collector, Target(target.account_id, target.account_name, target.region), True)
            return _types.Collection(
                records=out._records,
                totals=[_types.Total(name, value) for name, value in out._totals.items()],
            )
        except CollectError as e:
            reason = _types.Reason(_clean(str(e.code)), _clean(str(e.message)))
            variant = _types.CollectError_Skipped if e.kind == "skipped" else _types.CollectError_Failed
            raise Err(variant(reason)) from None


_WIT_VALUE = {
    SettingKind.TEXT: "SettingValue_Text",
    SettingKind.INTEGER: "SettingValue_Integer",
    SettingKind.NUMBER: "SettingValue_Number",
    SettingKind.BOOLEAN: "SettingValue_Boolean",
    SettingKind.TEXT_LIST: "SettingValue_TextList",
}


def _wit_setting(s):
    default = None if s.default is None else getattr(_types, _WIT_VALUE[s.kind])(s.default)
    return _types.Setting(
        name=s.name,
        kind=_types.SettingKind[s.kind.name],
        default=default,
        help=s.help,
        minimum=s.minimum,
        maximum=s.maximum,
        choices=list(s.choices),
    )


def export(collector):
    """Exports a collector: a class (instantiated with no arguments for each
    call) with `info()` returning a PluginInfo and `collect(target)` returning
    a Collection. Use it once, at the top level of the app module:

        Plugin, Details = export(Ebs)

    `info()` is read once, here: inside a component that is at build time,
    so its result is part of the component.
    """
    if not (callable(getattr(collector, "info", None)) and callable(getattr(collector, "collect", None))):
        raise TypeError(f"export() takes a class with info() and collect(target), got {collector!r}")
    exported = _Exported(collector)

    class Plugin(_PLUGIN_BASE):
        def info(self):
            return exported.wit_info()

        def collect(self, target):
            return exported.wit_collect(target)

    class Details(_DETAILS_BASE):
        def details(self):
            return exported.wit_details()

    Plugin.__qualname__ = Plugin.__name__ = "Plugin"
    Details.__qualname__ = Details.__name__ = "Details"
    Plugin.collector = Details.collector = collector
    Plugin.exported = Details.exported = exported
    return Plugin, Details
