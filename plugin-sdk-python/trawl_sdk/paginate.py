"""Following pagination tokens, whatever the service calls them.

Services page in three styles: EC2 answers `nextToken` and takes
`NextToken`; JSON services answer and take the same name (`NextToken`, or
`nextToken` for Health); IAM-style query services answer `Marker` with
`IsTruncated` and take `Marker`. `TokenStyle.AUTO` recognises all three;
`TokenStyle.named(response, request)` sets another pair explicitly.
"""

import json

from .cloud import _dumps, _loads, call_raw
from .errors import ApiError

__all__ = ["TokenStyle", "paginate"]


class TokenStyle:
    """How to find the next-page token in a response and where to put it in
    the next request."""

    __slots__ = ("response", "request")

    #: Recognise `nextToken`/`NextToken`, `Marker` + `IsTruncated` and
    #: `NextMarker`, and send the token back the way the service expects.
    AUTO = None  # set below

    def __init__(self, response=None, request=None):
        self.response = response
        self.request = request

    @classmethod
    def named(cls, response: str, request: str) -> "TokenStyle":
        """Read the token from response key `response`, send it as `request`."""
        if not (isinstance(response, str) and isinstance(request, str)):
            raise TypeError("TokenStyle.named takes two key names")
        return cls(response, request)

    def __repr__(self):
        return "TokenStyle.AUTO" if self.response is None else f"TokenStyle.named({self.response!r}, {self.request!r})"


TokenStyle.AUTO = TokenStyle()


def paginate(service: str, operation: str, params=None, style: TokenStyle = TokenStyle.AUTO, *, fetch=call_raw):
    """Yields each page (the parsed response) of `service:operation`,
    starting from `params` (a dict; it is copied, not changed). Put the page
    size in `params` (`MaxResults`, `MaxItems`, ...): AWS recommends always
    paginating explicitly. An API error is raised from the page it hit; a
    token the service repeats raises ApiError `trawl.PaginationLoop`.

    `style` is `TokenStyle.AUTO`, `TokenStyle.named("Next", "PageToken")`
    or a `(response_key, request_key)` tuple. `fetch` replaces the call
    itself (tests page through canned answers with it).
    """
    if isinstance(style, tuple):
        style = TokenStyle.named(*style)
    if not isinstance(style, TokenStyle):
        raise TypeError(f"style must be TokenStyle.AUTO or TokenStyle.named(...), got {style!r}")
    params = {} if params is None else params
    if isinstance(params, dict):
        params = dict(params)
    last_token = None
    while True:
        body = fetch(service, operation, _dumps(params))
        page = _loads(body)
        if not isinstance(page, dict):
            raise ApiError("trawl.UnexpectedShape", f"{service}:{operation} answered {json.dumps(page)[:40]}, not an object")
        nxt = _auto(page, service) if style.response is None else _named(page, style)
        if nxt is None:
            yield page
            return
        request_key, token = nxt
        if token == last_token:
            raise ApiError("trawl.PaginationLoop", f"{service}:{operation} returned the same token twice")
        if not isinstance(params, dict):
            raise ApiError("trawl.BadParams", "paginate needs params that are a JSON object")
        params[request_key] = token
        last_token = token
        yield page


def _token(page: dict, key: str):
    """The token under `key` when it is a non-empty string."""
    value = page.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError("trawl.UnexpectedShape", f"`{key}` is {json.dumps(value)[:40]}, not a string")
    return value or None


def _auto(page: dict, service: str):
    """The request key and token for the next page, or None on the last."""
    truncated = page.get("IsTruncated")
    marker, next_marker = _token(page, "Marker"), _token(page, "NextMarker")
    lower, upper = _token(page, "nextToken"), _token(page, "NextToken")
    if truncated is not None:
        more = truncated is True or truncated == "true"
        return ("Marker", marker) if more and marker else None
    if next_marker:
        return ("Marker", next_marker)
    if lower:
        # EC2 answers in lowerCamel but takes the token as NextToken.
        return ("NextToken" if service == "ec2" else "nextToken", lower)
    if upper:
        return ("NextToken", upper)
    return None


def _named(page: dict, style: TokenStyle):
    value = page.get(style.response)
    return (style.request, value) if isinstance(value, str) and value else None
