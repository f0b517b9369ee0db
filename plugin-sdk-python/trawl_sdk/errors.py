"""Why `collect` produced no records, and how API errors map onto it.

Raise `Skipped(code, message)` when there is nothing to collect here and
that is fine, `Failed(code, message)` when something went wrong. An
`ApiError` that escapes `collect` maps as the Rust SDK's `?` does: the
AccessDenied family makes the target skipped, anything else failed with the
AWS code. Any other exception makes it failed with `trawl.PluginException`.
"""

from ._error_codes import ACCESS_DENIED

__all__ = ["ACCESS_DENIED", "ApiError", "CollectError", "Failed", "Skipped"]


class ApiError(Exception):
    """An error the cloud answered with, or one the host produced on its way
    (host codes start with `trawl.`). Throttling and transient errors have
    already been retried by the host when a plugin sees one."""

    def __init__(self, code: str, message: str, status: int = 0, request_id=None):
        super().__init__(code, message)
        #: The AWS error code, e.g. `UnauthorizedOperation`.
        self.code = code
        #: The message the service gave.
        self.message = message
        #: HTTP status, or 0 when no response was received.
        self.status = status
        #: The service's request id, when it gave one.
        self.request_id = request_id

    def is_access_denied(self) -> bool:
        """True for the AccessDenied family: the target should be skipped."""
        return self.code in ACCESS_DENIED

    def to_collect_error(self) -> "CollectError":
        """What this error makes of the target when it escapes `collect`."""
        message = self.message if self.request_id is None else f"{self.message} (request id {self.request_id})"
        return Skipped(self.code, message) if self.is_access_denied() else Failed(self.code, message)

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        return text if self.request_id is None else f"{text} (request id {self.request_id})"

    def __repr__(self) -> str:
        return f"ApiError({self.code!r}, {self.message!r}, status={self.status}, request_id={self.request_id!r})"

    def __eq__(self, other):
        if not isinstance(other, ApiError):
            return NotImplemented
        return (self.code, self.message, self.status, self.request_id) == (
            other.code,
            other.message,
            other.status,
            other.request_id,
        )

    __hash__ = Exception.__hash__


class CollectError(Exception):
    """A target that ended without records: `Skipped` or `Failed`."""

    kind = "failed"

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        #: A short machine-readable code, e.g. `AccessDenied`.
        self.code = code
        #: A sentence for operators.
        self.message = message

    def __str__(self) -> str:
        return f"{self.kind}: {self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"

    def __eq__(self, other):
        if not isinstance(other, CollectError):
            return NotImplemented
        return (self.kind, self.code, self.message) == (other.kind, other.code, other.message)

    __hash__ = Exception.__hash__


class Skipped(CollectError):
    """Nothing to collect here, and that is fine (not counted as a failure)."""

    kind = "skipped"


class Failed(CollectError):
    """The target failed; counted in the run's error summary by `code`."""

    kind = "failed"


def describe(exc: BaseException) -> str:
    """`ExceptionType: message`, as the last line of a traceback reads."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
