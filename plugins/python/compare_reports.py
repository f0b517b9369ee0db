#!/usr/bin/env python3
"""Compares two `host run -o json` reports of collectors that should agree
(plugins/ebs and its Python or JavaScript twin): per (account, region) the
status, the error code, the totals and the records (as sets of parsed JSON),
and the run's summary counts and totals. Plugin names may differ.

    python3 plugins/python/compare_reports.py ebs.json ebs-py.json
"""

import json
import sys


def targets(report):
    out = {}
    for r in report["results"]:
        records = sorted(json.dumps(x, sort_keys=True) for x in r["records"])
        error = (r.get("error") or {}).get("code")
        out[(r["account_id"], r["region"])] = (r["status"], error, r["totals"], records)
    return out


def main(a_path, b_path):
    a, b = (json.load(open(p)) for p in (a_path, b_path))
    problems = []
    for field in ("total", "succeeded", "skipped", "failed", "timed_out", "cancelled", "records", "totals"):
        if a["summary"][field] != b["summary"][field]:
            problems.append(f"summary.{field}: {a['summary'][field]} != {b['summary'][field]}")
    ta, tb = targets(a), targets(b)
    for key in sorted(set(ta) | set(tb)):
        if ta.get(key) != tb.get(key):
            problems.append(f"{key}: {ta.get(key)} != {tb.get(key)}")
    for p in problems:
        print(p)
    s = a["summary"]
    verdict = "same" if not problems else f"{len(problems)} difference(s)"
    print(f"{verdict}: {len(ta)} targets, {s['records']} records, totals {s['totals']}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
