"""Write trawl collector plugins in Python.

A collector is a plain class with `info()` and `collect(target)`, exported
with one line and built into a WebAssembly component with
`python3 -m trawl_sdk build app.py -o collector.wasm`:

    from trawl_sdk import Collection, PluginInfo, Scope, export, paginate

    class Roles:
        def info(self):
            return PluginInfo("roles", "0.1.0", Scope.ACCOUNT,
                              permissions=["iam:ListRoles"], columns=["RoleName", "Arn"])

        def collect(self, target):
            out = Collection()
            for page in paginate("iam", "ListRoles", {"MaxItems": 100}):
                for role in page.get("Roles", []):
                    out.push(role)
            return out

    Plugin, Details = export(Roles)

The host calls `collect` once per target in a fresh sandbox; the plugin
reaches the cloud only through `call` and its relatives, which the host
signs, rate-limits and retries. `trawl_sdk.testing.TestCloud` runs a
collector in plain CPython against canned answers.
"""

from . import log, wire
from ._component import export
from .cloud import call, call_many, call_raw
from .collection import Collection
from .errors import ACCESS_DENIED, ApiError, CollectError, Failed, Skipped
from .info import PluginInfo, Scope, Setting, SettingKind, Target
from .paginate import TokenStyle, paginate
from .settings import setting

__version__ = "0.1.1"

__all__ = [
    "ACCESS_DENIED",
    "ApiError",
    "CollectError",
    "Collection",
    "Failed",
    "PluginInfo",
    "Scope",
    "Setting",
    "SettingKind",
    "Skipped",
    "Target",
    "TokenStyle",
    "call",
    "call_many",
    "call_raw",
    "export",
    "log",
    "paginate",
    "setting",
    "wire",
]
