#!/usr/bin/env python3
"""Turns waxwing-bench JSON lines (from bench/compare) into one markdown table with ratios.

usage: table.py RESULTS.jsonl COMMANDS.txt "server version;server version;..."
"""
import json
import platform
import subprocess
import sys
import time

results = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
commands = open(sys.argv[2]).read().splitlines()
versions = sys.argv[3].split(";") if len(sys.argv) > 3 else []
servers = [v.split()[0] for v in versions] or sorted({r.get("label") for r in results})


def find(label, phase, transport=None, mech=None):
    for r in results:
        if r.get("label") != label or r.get("phase") != phase:
            continue
        if transport and r.get("transport") != transport:
            continue
        if mech and r.get("mech") != mech:
            continue
        return r
    return None


def failed(label, words):
    for r in results:
        if r.get("phase") == "failed" and r.get("label") == label and all(w in r.get("args", "") for w in words):
            return r
    return None


# (title, phase, transport, mech, key, scale, digits, lower_is_better, failure-match words)
MECH = next((r["mech"] for r in results if r.get("phase", "").startswith("W1")), "SCRAM-SHA-1")
ROWS = [
    ("W1 RSS per idle session, plain (bytes)", "W1 idle", "plain", None, "rss_bytes_per_session", 1, 0, True, ["idle", "plain"]),
    ("W1 RSS per idle session, STARTTLS (bytes)", "W1 idle", "starttls", None, "rss_bytes_per_session", 1, 0, True, ["idle", "starttls"]),
    (f"W1 server CPU per login, plain, {MECH} (ms)", "W1 logins", "plain", None, "server_cpu_us_per_login", 1e-3, 3, True, ["idle", "plain"]),
    (f"W1 server CPU per login, STARTTLS, {MECH} (ms)", "W1 logins", "starttls", None, "server_cpu_us_per_login", 1e-3, 3, True, ["idle", "starttls"]),
    ("W1 server CPU while all sessions idle, plain (ms over the idle time)", "W1 idle", "plain", None, "server_cpu_ms_idle", 1, 0, True, ["idle", "plain"]),
    ("W2 server CPU per routed message (µs)", "W2 pingpong", None, None, "server_cpu_us_per_msg", 1, 1, True, ["pingpong", "--round-trips"]),
    ("W2 messages/s", "W2 pingpong", None, None, "msgs_per_s", 1, 0, False, ["pingpong"]),
    ("W2 generator CPU per message (µs)", "W2 pingpong", None, None, "own_cpu_us_per_msg", 1, 1, None, ["pingpong"]),
    ("W2b server CPU per routed message (µs)", "W2b pingpong", None, None, "server_cpu_us_per_msg", 1, 1, True, ["--in-flight"]),
    ("W2b messages/s", "W2b pingpong", None, None, "msgs_per_s", 1, 0, False, ["--in-flight"]),
    ("W3 latency p50 (ms)", "W3 latency", None, None, "p50_us", 1e-3, 2, True, ["latency"]),
    ("W3 latency p90 (ms)", "W3 latency", None, None, "p90_us", 1e-3, 2, True, ["latency"]),
    ("W3 latency p99 (ms)", "W3 latency", None, None, "p99_us", 1e-3, 2, True, ["latency"]),
    ("W3 latency max (ms)", "W3 latency", None, None, "max_us", 1e-3, 2, True, ["latency"]),
    (f"W4 server CPU per login+logout, plain, {MECH} (ms)", "W4 login-burst", "plain", MECH, "server_cpu_us_per_login", 1e-3, 3, True, ["login-burst", "plain"]),
    (f"W4 logins/s, plain, {MECH}", "W4 login-burst", "plain", MECH, "logins_per_s", 1, 0, False, ["login-burst", "plain"]),
    (f"W4 server CPU per login+logout, STARTTLS, {MECH} (ms)", "W4 login-burst", "starttls", MECH, "server_cpu_us_per_login", 1e-3, 3, True, ["login-burst", "starttls"]),
    (f"W4 logins/s, STARTTLS, {MECH}", "W4 login-burst", "starttls", MECH, "logins_per_s", 1, 0, False, ["login-burst", "starttls"]),
    ("W4 server CPU per login+logout, plain, SCRAM-SHA-256 (ms)", "W4 login-burst", "plain", "SCRAM-SHA-256", "server_cpu_us_per_login", 1e-3, 3, True, ["SCRAM-SHA-256", "plain"]),
    ("W4 server CPU per login+logout, STARTTLS, SCRAM-SHA-256 (ms)", "W4 login-burst", "starttls", "SCRAM-SHA-256", "server_cpu_us_per_login", 1e-3, 3, True, ["SCRAM-SHA-256", "starttls"]),
    ("W5 server CPU per login with all contacts online (ms)", "W5 roster", None, None, "server_cpu_us_per_login", 1e-3, 2, True, ["roster"]),
]


def cell(label, row):
    title, phase, tr, mech, key, scale, digits, _, words = row
    r = find(label, phase, tr, mech)
    if r is None:
        if failed(label, [phase.split()[1] if phase.startswith("W") else phase]):
            return None, "failed"
        return None, "—"
    if "skipped" in r:
        return None, "skipped"
    v = r.get(key)
    if v is None:
        return None, "—"
    v = v * scale
    return v, f"{v:,.{digits}f}"


out = []
heads = ["metric"] + servers + [f"Waxwing advantage vs {s}" for s in servers if s != "waxwing"]
out.append("| " + " | ".join(heads) + " |")
out.append("|" + "---|" * len(heads))
for row in ROWS:
    vals = {s: cell(s, row) for s in servers}
    if all(t == "—" for _, t in vals.values()):
        continue
    cells = [row[0]] + [vals[s][1] for s in servers]
    w = vals.get("waxwing", (None, ""))[0]
    for s in servers:
        if s == "waxwing":
            continue
        o = vals[s][0]
        if w is None or o is None or row[7] is None or w <= 0 or o <= 0:
            cells.append("")
        else:
            cells.append(f"{(o / w if row[7] else w / o):.1f}×")
    out.append("| " + " | ".join(cells) + " |")

cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
print(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {platform.machine()}, "
      f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} vCPUs ({cpu}); "
      f"servers: {', '.join(versions)}.")
print()
print("\n".join(out))
print()
print("\"Waxwing advantage\": how many times less the other server costs Waxwing (cost rows) or how many "
      "times more Waxwing does (throughput rows); above 1× Waxwing is better.")
fails = [r for r in results if r.get("phase") == "failed"]
for r in fails:
    print(f"- failed: {r['label']} `{r['args']}`: {r.get('error', '')}")
skips = [r for r in results if "skipped" in r]
for r in skips:
    print(f"- skipped: {r['label']} {r['phase']}: {r['skipped']}")
print()
print("Commands (`bench/compare`; every run is `waxwing-bench --target 127.0.0.1:PORT --domain localhost "
      "--label SERVER --json --accounts-prefix bench --accounts N --password bench --server-pid PID --insecure "
      "--phase-timeout 300 --scram-cache FILE` followed by):")
print()
print("```")
seen = []
for c in commands:
    if c not in seen:
        seen.append(c)
print("\n".join(seen))
print("```")
