"""Calls into the cloud through the host.

Every call is bound to the target the host is collecting: the plugin names
a service and an operation, never an account, a region or a key.
Parameters use the service's wire names; lists become `Key.N` (EC2) or
`Key.member.N` (query services) form fields. Responses of EC2 and query
services are their XML converted to JSON with wire names kept, lists as
lists and leaf values as strings (see `trawl_sdk.wire` for typed reads);
JSON services answer with their own documents.
"""

import json

from . import _host
from .errors import ApiError

__all__ = ["ApiError", "call", "call_many", "call_raw"]


def _dumps(params) -> str:
    try:
        return json.dumps({} if params is None else params, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ApiError("trawl.BadParams", f"parameters are not JSON: {e}") from None


def _loads(body: str):
    try:
        return json.loads(body)
    except ValueError as e:
        raise ApiError("trawl.UnexpectedShape", f"the response is not JSON: {e}") from None


def call(service: str, operation: str, params=None):
    """Calls `service:operation` with `params` (a dict of wire names) and
    returns the parsed response; raises ApiError."""
    return _loads(_host.call(service, operation, _dumps(params)))


def call_raw(service: str, operation: str, params_json: str) -> str:
    """Calls `service:operation` with a JSON string and returns the JSON
    string the host produced: no parsing on either side."""
    return _host.call(service, operation, params_json)


def call_many(requests) -> list:
    """Calls several operations concurrently (the host bounds the concurrency
    and applies the same limits as for `call`). `requests` holds
    `(service, operation, params)` tuples; the results come back in their
    order, each the parsed response or an `ApiError` (returned, not raised):

        for answer in call_many([("ec2", "DescribeVolumes", {}), ("sts", "GetCallerIdentity", {})]):
            if isinstance(answer, ApiError): ...
    """
    wire = [(service, operation, _dumps(params)) for service, operation, params in requests]
    out = []
    for answer in _host.call_many(wire):
        if isinstance(answer, ApiError):
            out.append(answer)
            continue
        try:
            out.append(_loads(answer))
        except ApiError as e:
            out.append(e)
    return out
