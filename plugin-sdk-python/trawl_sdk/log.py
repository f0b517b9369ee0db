"""Log lines into the host's log, tagged there with plugin and target.
Plain `print()` (stdout and stderr) also reaches the host log, untagged by
level."""

from . import _host

__all__ = ["debug", "error", "info", "trace", "warn"]


def trace(message: str) -> None:
    """Logs at trace level."""
    _host.log("trace", str(message))


def debug(message: str) -> None:
    """Logs at debug level."""
    _host.log("debug", str(message))


def info(message: str) -> None:
    """Logs at info level."""
    _host.log("info", str(message))


def warn(message: str) -> None:
    """Logs at warn level."""
    _host.log("warn", str(message))


def error(message: str) -> None:
    """Logs at error level."""
    _host.log("error", str(message))
