#!/usr/bin/env python3
"""Fuzzes both services from their OpenAPI documents with schemathesis.

Starts the stack's release binary in demo mode on private ports with a fresh
data directory (embedded PostgreSQL), then runs `st run` once per kind of
caller, each against the operations that caller is for, all default checks
and all phases (examples, coverage, fuzzing, stateful), bounded in time:

  reseller-service: reseller 1 and reseller 2 (API keys; two tenants),
                    admin-service's internal token, the ingest token, a core
                    token, and the operations routes (metrics token);
  admin-service:    a viewer, a support admin and the owner (sessions), a
                    core token, and login/logout with no credentials.

Exits non-zero when any run reports a failure. Usage:
  .ci/fuzz.py STACK_BINARY ST_BINARY [SECONDS_PER_RUN]
FUZZ_ONLY=<text> runs only the runs whose name contains it; FUZZ_PORT moves
the ports; FUZZ_KEEP=1 keeps the stack's data directory and log.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# FUZZ_PORT: reseller-service's port; admin-service's is the next one.
PORT = int(os.environ.get("FUZZ_PORT", "18480"))
RS = f"http://127.0.0.1:{PORT}"
# Which schema-valid refusals positive_data_acceptance accepts, per operation.
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
AD = f"http://127.0.0.1:{PORT + 1}"


def request(method, url, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def env_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                values[k.strip()] = v.strip()
    return values


def wait_for(path, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.5)
    return False


def main():
    stack_bin, st_bin = sys.argv[1], sys.argv[2]
    per_run = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    data_dir = tempfile.mkdtemp(prefix="fuzz-stack-")
    os.chmod(data_dir, 0o755)
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        RESELLER_HTTP_ADDR=RS.removeprefix("http://"),
        ADMIN_HTTP_ADDR=AD.removeprefix("http://"),
        RESELLER_SERVICE_URL=RS,
        LOG_FORMAT="json",
        RUST_LOG="warn",
    )
    log = open(os.path.join(data_dir, "stack.log"), "w")
    stack = subprocess.Popen(
        [stack_bin, "demo", "--data-dir", data_dir],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    failed, summary = [], []
    try:
        if not wait_for(os.path.join(data_dir, "demo.env"), 300):
            raise SystemExit("the demo stack did not come up; see " + log.name)
        secrets = env_file(os.path.join(data_dir, "secrets.env"))
        demo = env_file(os.path.join(data_dir, "demo.env"))
        owner = request("POST", f"{AD}/v1/auth/login", body={
            "email": "owner@ticketing.example",  # the stack's DEFAULT_OWNER_EMAIL
            "password": secrets["ADMIN_BOOTSTRAP_PASSWORD"],
        })["token"]
        sessions = {"owner": owner}
        for role in ("viewer", "support"):
            email, password = f"fuzz-{role}@example.com", f"fuzz-{role}-password-123"
            request("POST", f"{AD}/v1/admins", owner,
                    {"email": email, "password": password, "role": role})
            sessions[role] = request("POST", f"{AD}/v1/auth/login",
                                     body={"email": email, "password": password})["token"]
        internal = "/internal/"
        runs = [
            ("reseller-service, reseller 1", RS, demo["DEMO_RESELLER_1_KEY"],
             ["--include-tag-regex", "^(accounts|catalog|orders|reports|support)$"]),
            ("reseller-service, reseller 2", RS, demo["DEMO_RESELLER_2_KEY"],
             ["--include-tag-regex", "^(accounts|catalog|orders|reports|support)$"]),
            ("reseller-service, admin-service's token", RS, secrets["INTERNAL_TOKEN"],
             ["--include-tag", "internal"]),
            ("reseller-service, ingest token", RS, secrets["INGEST_TOKENS"].split(",")[0],
             ["--include-tag", "ingest"]),
            ("reseller-service, core token", RS, secrets["CORE_TOKENS"].split(",")[0],
             ["--include-tag", "feeds"]),
            ("reseller-service, operations", RS, secrets.get("METRICS_TOKEN"),
             ["--include-tag", "operations"]),
            ("admin-service, viewer", AD, sessions["viewer"],
             ["--exclude-path-regex", f"^{internal}|^/v1/auth/"]),
            ("admin-service, support", AD, sessions["support"],
             ["--exclude-path-regex", f"^{internal}|^/v1/auth/"]),
            ("admin-service, owner", AD, sessions["owner"],
             ["--exclude-path-regex", f"^{internal}|^/v1/auth/"]),
            ("admin-service, core token", AD, secrets["CORE_TOKENS"].split(",")[0],
             ["--include-path-regex", f"^{internal}"]),
            ("admin-service, login and logout", AD,
             request("POST", f"{AD}/v1/auth/login", body={
                 "email": "fuzz-viewer@example.com", "password": "fuzz-viewer-password-123"})["token"],
             ["--include-path-regex", "^/v1/auth/"]),
            ("admin-service, operations", AD, secrets.get("METRICS_TOKEN"),
             ["--include-tag", "operations"]),
        ]
        only = os.environ.get("FUZZ_ONLY")
        for n, (name, base, token, filters) in enumerate(runs):
            if only and only not in name:
                continue
            report = os.path.join(data_dir, f"run-{n}.json")
            command = [
                st_bin, "--no-color", "--config-file", CONFIG, "run", f"{base}/openapi.json",
                "--max-time", str(per_run),
                "--request-timeout", "10",
                # One worker: CPython 3.11's compiler is not safe for the
                # lambdas Hypothesis compiles from several threads at once
                # (`SystemError: AST constructor recursion depth mismatch`).
                "--workers", "1",
                "--suppress-health-check", "all",
                "--generation-database", ":memory:",
                "--report", "json", "--report-json-path", report,
                *filters,
            ]
            if token:
                command += ["-H", f"Authorization: Bearer {token}"]
            print(f"\n==> schemathesis: {name}", flush=True)
            code = subprocess.call(command)
            if code != 0:
                failed.append(name)
            summary.append((name, code, load_report(report)))
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
        log.close()
        if failed or os.environ.get("FUZZ_KEEP"):
            print(f"stack log kept in {log.name}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    print_summary(summary)
    print(f"schemathesis: {len(summary)} runs, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def load_report(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def print_summary(summary):
    """One line per run and the totals: operations tested, test cases, failures."""
    print("\n==> schemathesis summary (all default checks; phases examples, coverage, fuzzing, stateful)")
    totals = [0, 0, 0, 0]
    for name, code, report in summary:
        ops = report.get("operations", {})
        cases = report.get("test_cases", {})
        phases = ",".join(p for p, v in report.get("phases", {}).items() if v.get("status") == "success")
        row = [ops.get("tested", 0), cases.get("generated", 0),
               cases.get("unique_failures", 0), len(report.get("errors", []))]
        totals = [a + b for a, b in zip(totals, row)]
        print(f"  {name:<45} operations {row[0]:>3}  test cases {row[1]:>6}  "
              f"failures {row[2]}  errors {row[3]}  exit {code}  phases run: {phases}")
    print(f"  {'total':<45} operations {totals[0]:>3}  test cases {totals[1]:>6}  "
          f"failures {totals[2]}  errors {totals[3]}")


if __name__ == "__main__":
    sys.exit(main())
