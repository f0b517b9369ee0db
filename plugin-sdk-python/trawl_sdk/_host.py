"""The host's imports as the rest of the SDK calls them: the component's own
(the bindings componentize-py generates, module `wit_world`) inside a
component, the `testing` harness's in plain CPython.

Every function here speaks JSON strings and plain Python values; the
bindings' dataclasses never leave this module.
"""

import sys

from .errors import ApiError

#: The harness of the `TestCloud.collect` under way, or None.
test_backend = None

#: The SDK runs inside a component (componentize-py's CPython is built for
#: WASI). There, nothing can be imported after the build's snapshot, so the
#: bindings are imported here, at the top.
IN_COMPONENT = sys.platform == "wasi"

if IN_COMPONENT:
    from componentize_py_types import Err
    from wit_world.imports import cloud as _cloud
    from wit_world.imports import log as _log
    from wit_world.imports import settings as _settings
    from wit_world.imports import types as _types

#: Returns the PluginInfo of the collector being run (or None): set by the
#: export glue and by the test harness.
current_info = lambda: None  # noqa: E731

_LEVELS = ("trace", "debug", "info", "warn", "error")


def _backend():
    if test_backend is not None:
        return test_backend
    if IN_COMPONENT:
        return _Component
    raise RuntimeError(
        "outside a component, trawl_sdk reaches the cloud only inside trawl_sdk.testing.TestCloud(...).collect(...)"
    )


def call(service: str, operation: str, params_json: str) -> str:
    """One call; raises ApiError."""
    return _backend().call(service, operation, params_json)


def call_many(requests) -> list:
    """`requests` is a list of (service, operation, params_json); each result
    is a JSON string or an ApiError (not raised)."""
    return _backend().call_many(requests)


def log(level: str, message: str) -> None:
    _backend().log(level, message)


def setting(name: str):
    """The setting's value as a plain Python value, or None."""
    return _backend().setting(name)


class _Component:
    """The real imports, through componentize-py's generated bindings."""

    @staticmethod
    def call(service, operation, params_json):
        try:
            return _cloud.call(service, operation, params_json)
        except Err as e:
            raise _api_error(e.value) from None

    @staticmethod
    def call_many(requests):
        answers = _cloud.call_many([_types.Request(s, o, p) for s, o, p in requests])
        return [_api_error(a.value) if isinstance(a, Err) else a.value for a in answers]

    @staticmethod
    def log(level, message):
        _log.log(_log.Level[level.upper()], message)

    @staticmethod
    def setting(name):
        value = _settings.get(name)
        return None if value is None else value.value


def _api_error(e) -> ApiError:
    return ApiError(e.code, e.message, e.status, e.request_id)
