"""Running a collector's `collect` as the host sees it: shared by the
component glue (`export`) and the test harness (`testing.TestCloud`)."""

import sys
import traceback

from .collection import Collection
from .errors import ApiError, CollectError, Failed, describe

# Inside a component nothing can be imported after the build's snapshot: a
# module first imported inside `collect` is missing there.
_LATE_IMPORT_HINT = (
    " (inside a component only modules imported while the app module loads are there:"
    " import it at the top of the app)"
)


def instance(collector):
    """A fresh instance of a collector class (the host gives every call a
    fresh sandbox), or the object itself when it is not a class."""
    return collector() if isinstance(collector, type) else collector


def exception_message(exc: BaseException) -> str:
    """`ExceptionType: message` for a `trawl.PluginException`."""
    text = describe(exc)
    if isinstance(exc, ModuleNotFoundError) and sys.platform == "wasi":
        text += _LATE_IMPORT_HINT
    return text


def collect(collector, target, print_traceback: bool) -> Collection:
    """Runs `collect(target)`; returns its Collection or raises the
    CollectError the host will record: an ApiError maps by its code (the
    AccessDenied family skips), any other exception is `trawl.PluginException`
    (its traceback printed to stderr when `print_traceback`)."""
    try:
        out = instance(collector).collect(target)
        if not isinstance(out, Collection):
            raise TypeError(f"collect returned {type(out).__name__}, not a trawl_sdk.Collection")
        return out
    except CollectError:
        raise
    except ApiError as e:
        raise e.to_collect_error() from e
    except (Exception, SystemExit) as e:
        if print_traceback:
            traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
            sys.stderr.flush()
        raise Failed("trawl.PluginException", exception_message(e)) from e
