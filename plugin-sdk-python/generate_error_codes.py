#!/usr/bin/env python3
"""Writes trawl_sdk/_error_codes.py from the Rust list in error-codes/src/lib.rs.

The host and the Rust SDK read `ACCESS_DENIED` from the `trawl-error-codes`
crate; the Python SDK carries a generated copy, so the three classify an
AWS error code alike. Deterministic: the same Rust file gives the same bytes.

    python3 plugin-sdk-python/generate_error_codes.py           # rewrite
    python3 plugin-sdk-python/generate_error_codes.py --check   # exit 1 if stale
"""

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUST = HERE.parent / "error-codes" / "src" / "lib.rs"
OUT = HERE / "trawl_sdk" / "_error_codes.py"


def access_denied(rust_source: str) -> list:
    """The strings of `pub const ACCESS_DENIED: &[&str] = &[...];`, in order."""
    found = re.search(r"pub const ACCESS_DENIED: &\[&str\] = &\[(.*?)\];", rust_source, re.S)
    if not found:
        raise SystemExit("error-codes/src/lib.rs has no `pub const ACCESS_DENIED: &[&str] = &[...];`")
    body = re.sub(r"//[^\n]*", "", found.group(1))
    codes = re.findall(r'"((?:[^"\\]|\\.)*)"', body)
    if not codes:
        raise SystemExit("ACCESS_DENIED in error-codes/src/lib.rs is empty")
    return codes


def render(codes: list) -> str:
    lines = [
        "# Generated from error-codes/src/lib.rs by plugin-sdk-python/generate_error_codes.py: do not edit.",
        '"""AWS error codes meaning "you may not look here": a target meeting one is skipped, not failed."""',
        "",
        "ACCESS_DENIED = (",
    ]
    lines += [f'    "{code}",' for code in codes]
    lines += [")", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rust", type=Path, default=RUST, help="the Rust source (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=OUT, help="the module to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the module is stale")
    args = parser.parse_args()
    text = render(access_denied(args.rust.read_text(encoding="utf-8")))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != text:
            print(f"{args.out} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
