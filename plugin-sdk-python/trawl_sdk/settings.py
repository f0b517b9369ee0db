"""Reading the operator's settings.

Declare a setting in `PluginInfo(settings=[...])`; the operator gives it
with `host run --set NAME.SETTING=VALUE` or `[plugins.NAME]` in a run
config; `setting(name)` reads it as the declared kind says: an int, a
float, a str, a bool or a list of str; None for an optional setting the
operator left out. The host checks every value against the declaration
before the run starts, so a plugin never sees one that breaks it.
"""

from . import _host
from .errors import Failed

__all__ = ["setting"]


def setting(name: str):
    """The value of setting `name`: the operator's, else the declared default.
    Raises Failed `trawl.MissingSetting` for a name the plugin did not declare."""
    value = _host.setting(name)
    if value is None:
        info = _host.current_info()
        if info is not None and info.declared(name) is None:
            raise Failed(
                "trawl.MissingSetting",
                f"setting `{name}` is not declared: add it to PluginInfo(settings=[...])",
            )
    return value
