"""`python3 -m trawl_sdk build app.py -o collector.wasm`: one command from
a Python collector to a trawl component.

It checks the app natively first (imports it, reads `info()` through the
`export` it made), so a mistake shows as a Python traceback in a second
rather than as a failed component build, then runs componentize-py with the
SDK's own WIT (world `collector`) and the app's directory and the SDK on the
Python path.
"""

import argparse
import importlib
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

WIT = Path(__file__).resolve().parent / "wit"
WORLD = "collector"
# Module names componentize-py or the SDK already use.
_TAKEN = {
    "collector",
    "wit_world",
    "componentize_py_types",
    "componentize_py_runtime",
    "componentize_py_async_support",
    "poll_loop",
    "trawl_sdk",
}
_RUN_COMPONENTIZE_PY = "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())"


class BuildError(Exception):
    pass


def check_app(app: Path):
    """Imports the app natively and returns its exported collector's PluginInfo."""
    module = app.stem
    if not module.isidentifier():
        raise BuildError(f"{app.name}: the file name must be a Python module name (letters, digits, _)")
    if module in _TAKEN or module in getattr(sys, "stdlib_module_names", ()):
        raise BuildError(f"{app.name}: `{module}` is already a module name (of the standard library or the build); rename the file")
    sys.path.insert(0, str(app.parent))
    try:
        mod = importlib.import_module(module)
    except Exception:
        traceback.print_exc()
        raise BuildError(f"{app.name} does not import (traceback above)") from None
    finally:
        sys.path.remove(str(app.parent))
    plugin, details = getattr(mod, "Plugin", None), getattr(mod, "Details", None)
    exported = getattr(plugin, "exported", None)
    if exported is None or getattr(details, "exported", None) is not exported:
        raise BuildError(f"{app.name} exports no collector: end it with `Plugin, Details = export(YourCollector)`")
    if exported.error is not None:
        exported.report_info_error()
        raise BuildError(f"{app.name}: info() raised (traceback above)")
    return exported.info


def componentize(app: Path, output: Path, extra_paths=(), quiet=False) -> None:
    sdk_parent = Path(__file__).resolve().parent.parent
    paths = [app.parent, sdk_parent, *extra_paths]
    cmd = [sys.executable, "-c", _RUN_COMPONENTIZE_PY, "-d", str(WIT), "-w", WORLD]
    if quiet:
        cmd.append("--quiet")
    cmd += ["componentize", app.stem, "-o", str(output)]
    for p in paths:
        cmd += ["-p", str(p)]
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(cmd, check=True, cwd=str(app.parent))
    except FileNotFoundError as e:
        raise BuildError(f"cannot run componentize-py: {e}") from None
    except subprocess.CalledProcessError as e:
        raise BuildError(f"componentize-py failed (exit status {e.returncode})") from None


def build(argv) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m trawl_sdk build",
        description="Build a Python collector into a trawl WebAssembly component.",
    )
    parser.add_argument("app", type=Path, help="the app module, e.g. app.py; it ends with `Plugin, Details = export(...)`")
    parser.add_argument("-o", "--output", type=Path, help="the component to write (default: APP.wasm beside the app)")
    parser.add_argument("-p", "--python-path", type=Path, action="append", default=[], help="another directory of modules the app imports")
    parser.add_argument("--no-check", action="store_true", help="skip importing the app natively first")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    args = parser.parse_args(argv)
    app = args.app.resolve()
    if app.suffix != ".py" or not app.is_file():
        print(f"error: {args.app} is not a .py file", file=sys.stderr)
        return 2
    output = (args.output or app.with_suffix(".wasm")).resolve()
    started = time.monotonic()
    try:
        if not args.no_check:
            for p in args.python_path:
                sys.path.insert(0, str(p.resolve()))
            info = check_app(app)
            if not args.quiet:
                print(f"{info.name} {info.version} ({info.scope.value}): {len(info.permissions)} permission(s), "
                      f"{len(info.columns)} column(s), {len(info.settings)} setting(s)")
        componentize(app, output, [p.resolve() for p in args.python_path], args.quiet)
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        size = output.stat().st_size / 1e6
        print(f"wrote {os.path.relpath(output)} ({size:.1f} MB) in {time.monotonic() - started:.1f} s")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    usage = (
        "usage: python3 -m trawl_sdk build APP.py [-o OUT.wasm]   build a collector component\n"
        "       python3 -m trawl_sdk wit                          print the path of the SDK's WIT directory"
    )
    if not argv or argv[0] in ("-h", "--help"):
        print(usage)
        return 0 if argv else 2
    if argv[0] == "build":
        return build(argv[1:])
    if argv[0] == "wit":
        print(WIT)
        return 0
    print(f"error: unknown command {argv[0]!r}\n{usage}", file=sys.stderr)
    return 2
