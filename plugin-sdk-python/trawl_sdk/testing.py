"""Test a collector natively, in plain CPython (pytest or unittest), against
the answers you give it: no host, no WebAssembly build, no cloud.

A `TestCloud` holds answers per `service:Operation`, handed out in the
order they were queued (so pages come back one after another), and the
operator's settings. `TestCloud.collect` runs the collector's `collect`
once and returns its records, totals, the calls it made and what it
logged. Calls are held to the plugin's declared permissions as the host
holds them, and settings start from the declared defaults, so a test
catches an undeclared call or setting the host would refuse.

    from trawl_sdk.testing import TestCloud, target

    out = (TestCloud()
           .answer("ec2:DescribeVolumes", {"volumeSet": [{"volumeId": "vol-1"}], "nextToken": "t"})
           .answer("ec2:DescribeVolumes", {"volumeSet": [{"volumeId": "vol-2"}]})
           .collect(Ebs, target("111111111111", "demo", "us-east-1")))
    assert len(out.records) == 2
    assert out.calls[1].params["NextToken"] == "t"

A target that ends without records raises what the host would record:
`Skipped` or `Failed` (an exception the collector let escape is `Failed`
with code `trawl.PluginException`, chained to the original).
"""

import json
from collections import deque
from dataclasses import dataclass, field

from . import _host, _run
from .errors import ApiError
from .info import PluginInfo, Scope, Target

__all__ = ["Call", "Collected", "TestCloud", "target"]


def target(account_id: str = "111111111111", account_name: str = "demo", region: str = "us-east-1") -> Target:
    """A target to collect, for tests."""
    return Target(account_id, account_name, region)


@dataclass
class Call:
    """One call the collector made."""

    #: Its service, e.g. `ec2`.
    service: str
    #: Its operation, e.g. `DescribeVolumes`.
    operation: str
    #: Its parameters, parsed.
    params: dict


@dataclass
class Collected:
    """What one `collect` produced."""

    #: The records, parsed.
    records: list = field(default_factory=list)
    #: The per-target totals, name to value.
    totals: dict = field(default_factory=dict)
    #: Every call made, in order.
    calls: list = field(default_factory=list)
    #: Lines logged through `trawl_sdk.log`, as `LEVEL message`.
    logs: list = field(default_factory=list)


def permitted(patterns, name: str) -> bool:
    """`ec2:Describe*` matches `ec2:DescribeVolumes`, as the host's check does."""
    return any(name.startswith(p[:-1]) if p.endswith("*") else p == name for p in patterns)


class TestCloud:
    """Answers and settings for one collector test."""

    __test__ = False  # not a pytest test class

    def __init__(self):
        self._answers = {}
        self._settings = {}

    def answer(self, call: str, response) -> "TestCloud":
        """Queues `response` (a dict, or a JSON string) for the next call of
        `call` (`service:Operation`)."""
        body = response if isinstance(response, str) else json.dumps(response)
        self._answers.setdefault(call, deque()).append(body)
        return self

    def error(self, call: str, code: str, message: str = "", status: int = 400, request_id=None) -> "TestCloud":
        """Queues an error for the next call of `call`, as the host would hand
        it on (e.g. `UnauthorizedOperation`)."""
        self._answers.setdefault(call, deque()).append(ApiError(code, message, status, request_id))
        return self

    def set(self, name: str, value) -> "TestCloud":
        """Sets a setting, as `--set NAME.SETTING=VALUE` would."""
        self._settings[name] = value
        return self

    def collect(self, collector, target: Target = None) -> Collected:
        """Runs `collector`'s `collect` for `target` (by default account
        111111111111 in the plugin's home region, or us-east-1) against these
        answers. Raises Skipped or Failed when the target ends without
        records; an exception from `info()` propagates as it is."""
        info = _run.instance(collector).info()
        if not isinstance(info, PluginInfo):
            raise TypeError(f"info returned {type(info).__name__}, not a trawl_sdk.PluginInfo")
        if target is None:
            region = info.home_region if info.scope is not Scope.REGIONAL and info.home_region else "us-east-1"
            target = Target("111111111111", "demo", region)
        settings = {s.name: s.default for s in info.settings if s.default is not None}
        for name, value in self._settings.items():
            declared = info.declared(name)
            if declared is None:
                raise ValueError(f"the test sets `{name}`, which the plugin does not declare")
            settings[name] = declared.check(value)
        state = _State(info, {k: deque(v) for k, v in self._answers.items()}, settings)
        previous = _host.test_backend, _host.current_info
        _host.test_backend, _host.current_info = state, (lambda: info)
        try:
            out = _run.collect(collector, target, print_traceback=False)
        finally:
            _host.test_backend, _host.current_info = previous
        return Collected(
            records=[json.loads(r) for r in out._records],
            totals=dict(out._totals),
            calls=state.calls,
            logs=state.logs,
        )


class _State:
    """The host's imports, for the collect under test."""

    def __init__(self, info, answers, settings):
        self.permissions = list(info.permissions)
        self.answers = answers
        self.settings = settings
        self.calls = []
        self.logs = []

    def call(self, service, operation, params_json):
        name = f"{service}:{operation}"
        try:
            params = json.loads(params_json)
        except ValueError as e:
            raise ApiError("trawl.BadParams", f"parameters are not JSON: {e}") from None
        self.calls.append(Call(service, operation, params))
        if not permitted(self.permissions, name):
            raise ApiError("trawl.PermissionDenied", f"{name} is not among the declared permissions")
        queue = self.answers.get(name)
        if not queue:
            raise ApiError("trawl.TestUnanswered", f"the test queued no (more) answers for {name}")
        answer = queue.popleft()
        if isinstance(answer, ApiError):
            raise answer
        return answer

    def call_many(self, requests):
        out = []
        for service, operation, params in requests:
            try:
                out.append(self.call(service, operation, params))
            except ApiError as e:
                out.append(e)
        return out

    def log(self, level, message):
        self.logs.append(f"{level.upper()} {message}")

    def setting(self, name):
        value = self.settings.get(name)
        return list(value) if isinstance(value, list) else value
