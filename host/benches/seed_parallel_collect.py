"""The seed's parallel_collect for the EBS job, against trawl, on one
`host sim serve` organisation with the same latency and limits.

The seed pattern (shared/seeds/000): a ThreadPoolExecutor with 20 workers,
one task per (account, region); each task assumes the role in its account
and makes its own boto3 client (one per account and region, as the seed's
client factory does), with standard retries (3 attempts), and pages through
DescribeVolumes counting total and unused volumes.

Each size (200 and 1,000 targets) runs twice: with every setting at its
default on both sides (what operators run: the simulator's server-side
buckets are its defaults, trawl's client-side ones are its own defaults),
and with STS raised to 600/s on both sides. A fresh server per race, so
no race inherits another's buckets.

Run by `cargo xtask bench-seed [SIZES]` (e.g. `200` for the small one
only); prints wall time, peak memory and throttled calls of each, and the
ratios.
"""
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import boto3
from botocore.config import Config

HOST, PLUGIN = sys.argv[1], sys.argv[2]
SIZES = [int(n) for n in sys.argv[3:]] or [200, 1000]
LATENCY = "20ms,80ms"
REGIONS = ["us-east-1", "eu-west-1", "ap-northeast-2", "us-west-2"]
ROLE = "OrganizationAccountAccessRole"
MANAGEMENT_KEY = "AKIA100000000000DEMO"  # the generated organisation's first account
# The "raised" races: STS at the 600/s often quoted for AWS (see
# host/src/limits/rules.rs), on the server and in trawl's client.
RAISED = "sts=600/600"
URL = None

throttled = 0
throttled_lock = threading.Lock()


def count_throttles(response=None, **_):
    global throttled
    if response and response[1].get("Error", {}).get("Code") in ("RequestLimitExceeded", "Throttling", "ThrottlingException"):
        with throttled_lock:
            throttled += 1


def client(service, region, **credentials):
    c = boto3.client(service, endpoint_url=URL, region_name=region,
                     config=Config(retries={"mode": "standard", "max_attempts": 3}), **credentials)
    c.meta.events.register("needs-retry.*", count_throttles)
    return c


def collect(account_id, region):
    """The seed's callback, with its own session and clients."""
    sts = client("sts", "us-east-1", aws_access_key_id=MANAGEMENT_KEY, aws_secret_access_key="x")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE}", RoleSessionName="seed")["Credentials"]
    ec2 = client("ec2", region, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                 aws_session_token=creds["SessionToken"])
    total = unused = 0
    for page in ec2.get_paginator("describe_volumes").paginate(PaginationConfig={"PageSize": 500}):
        for v in page["Volumes"]:
            total += 1
            unused += v["State"] == "available"
    return {"account": account_id, "region": region, "total": total, "unused": unused}


def parallel_collect(accounts, max_workers=20):
    results, errors = [], []
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        futures = {pool.submit(collect, a, r): (a, r) for a in accounts for r in REGIONS}
        for future in as_completed(futures):
            try:
                results.append(future.result())
            except Exception as e:  # the seed counts every other error
                errors.append((futures[future], repr(e)))
    return results, errors


def race(targets, raised):
    """One race on a fresh server; returns a line of figures per side."""
    global URL, throttled
    org_spec = f"accounts={targets // len(REGIONS)},regions={len(REGIONS)},volumes=60,seed=3"
    server_args = [HOST, "sim", "serve", "--port", "0", "--sim-generate", org_spec, "--sim-latency", LATENCY]
    if raised:
        server_args += ["--sim-limit", RAISED]
    server = subprocess.Popen(server_args, stdout=subprocess.PIPE, text=True)
    URL = server.stdout.readline().strip()
    throttled = 0
    try:
        org = client("organizations", "us-east-1", aws_access_key_id=MANAGEMENT_KEY, aws_secret_access_key="x")
        accounts = [a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]]

        started = time.monotonic()
        results, errors = parallel_collect(accounts)
        seed_wall = time.monotonic() - started
        seed_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        seed_throttled = throttled
        seed_unused = sum(r["unused"] for r in results)

        env = {"AWS_ACCESS_KEY_ID": MANAGEMENT_KEY, "AWS_SECRET_ACCESS_KEY": "x", "PATH": "/usr/bin:/bin"}
        # Compile the plugin into trawl's cache first: once per machine.
        subprocess.run([HOST, "inspect", PLUGIN], capture_output=True, check=True)
        args = [HOST, "run", PLUGIN, "--aws", "--endpoint-url", URL, "--role-name", ROLE, "--org",
                "--regions", ",".join(REGIONS), "--output", "json"]
        if raised:
            args += ["--rate-limit", RAISED]
        started = time.monotonic()
        # Output to a file: a pipe nobody reads while polling would fill up
        # and stall the run.
        report = tempfile.TemporaryFile(mode="w+")
        child = subprocess.Popen(args, stdout=report, stderr=subprocess.DEVNULL, text=True, env=env)
        # The child's own high-water mark (getrusage would count the memory
        # it inherited from this Python process before exec).
        trawl_rss = 0.0
        while child.poll() is None:
            try:
                with open(f"/proc/{child.pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            trawl_rss = max(trawl_rss, int(line.split()[1]) / 1024)
            except OSError:
                pass
            time.sleep(0.01)
        trawl_wall = time.monotonic() - started
        report.seek(0)
        doc = json.load(report)
    finally:
        server.kill()
        server.wait()

    s = doc["summary"]
    label = f"STS {RAISED} on both sides" if raised else "every setting at its default on both sides"
    print(f"{len(accounts)} accounts x {len(REGIONS)} regions = {len(accounts) * len(REGIONS)} targets, {label}, "
          f"latency {LATENCY}, 20 workers each")
    print(f"  seed (boto3, ThreadPoolExecutor): wall {seed_wall:6.2f} s, peak RSS {seed_rss:7.1f} MB, "
          f"{seed_throttled} throttled responses, {len(results)} ok / {len(errors)} failed, {seed_unused} unused volumes")
    print(f"  trawl (host run --aws --org):      wall {trawl_wall:6.2f} s (discovery {doc['run']['discovery_ms'] / 1000:.2f} s), "
          f"peak RSS {trawl_rss:7.1f} MB, {doc['run']['calls']['throttled']} throttled calls (AssumeRole included), "
          f"{s['succeeded']} ok / {s['failed']} failed, {s['totals'].get('unused', 0)} unused volumes")
    speed, memory = seed_wall / trawl_wall, seed_rss / trawl_rss
    print(f"  trawl is {speed:.1f}x faster (target >= 10x: {'met' if speed >= 10 else 'NOT met'}) "
          f"and uses 1/{memory:.1f} of the memory")
    if errors:
        print(f"  seed errors (first): {errors[0]}")
    sys.stdout.flush()


for size in SIZES:
    for raised in (False, True):
        race(size, raised)
