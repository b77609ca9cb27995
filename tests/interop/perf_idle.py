"""Rough idle-session cost of a running waxwing: RSS per authenticated idle session over
plain TCP and over direct TLS, and CPU used while all of them idle. Measures, never asserts.

usage: perf_idle.py WAXWING_BIN [SESSIONS]
"""

import asyncio
import base64
import hashlib
import hmac
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
HEADER = (b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
          b"to='localhost' version='1.0'>")
_salted = {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


async def read_until(reader, buf, pattern):
    while True:
        m = re.search(pattern, buf[0])
        if m:
            buf[0] = buf[0][m.end():]
            return m
        data = await asyncio.wait_for(reader.read(65536), 30)
        if not data:
            raise RuntimeError("closed: " + buf[0].decode(errors="replace"))
        buf[0] += data


async def login(port, resource, tls_ctx):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls_ctx,
                                                   server_hostname="localhost" if tls_ctx else None)
    buf = [b""]
    writer.write(HEADER)
    await read_until(reader, buf, rb"</stream:features>")
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n=bench,r={nonce}"
    writer.write(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>"
                 + base64.b64encode(("n,," + first_bare).encode()) + b"</auth>")
    m = await read_until(reader, buf, rb"<challenge[^>]*>([^<]*)</challenge>")
    server_first = base64.b64decode(m.group(1)).decode()
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    key = (attrs["s"], attrs["i"])
    if key not in _salted:
        _salted[key] = hashlib.pbkdf2_hmac("sha256", b"bench", base64.b64decode(attrs["s"]), int(attrs["i"]))
    salted = _salted[key]
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored = hashlib.sha256(client_key).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth_msg = f"{first_bare},{server_first},{without_proof}".encode()
    sig = hmac.new(stored, auth_msg, "sha256").digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig))).decode()
    writer.write(b"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                 + base64.b64encode(f"{without_proof},p={proof}".encode()) + b"</response>")
    await read_until(reader, buf, rb"<success")
    writer.write(HEADER)
    await read_until(reader, buf, rb"</stream:features>")
    writer.write(f"<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                 f"<resource>{resource}</resource></bind></iq>".encode())
    await read_until(reader, buf, rb"</iq>")
    return writer


async def measure(pid, port, tls_ctx, label):
    warm = [await login(port, f"{label}-warm{i}", tls_ctx) for i in range(20)]
    await asyncio.sleep(1)
    before = rss_kib(pid)
    conns = []
    sem = asyncio.Semaphore(50)

    async def one(i):
        async with sem:
            conns.append(await login(port, f"{label}{i}", tls_ctx))
    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(N)))
    took = time.monotonic() - t0
    await asyncio.sleep(2)
    after = rss_kib(pid)
    c0 = cpu_ticks(pid)
    await asyncio.sleep(10)
    c1 = cpu_ticks(pid)
    print(f"{label}: {N} sessions logged in in {took:.1f}s; RSS {before} -> {after} KiB: "
          f"{(after - before) * 1024 / N:.0f} bytes/session; idle CPU over 10 s: {c1 - c0} ticks",
          flush=True)
    for w in conns + warm:
        w.close()
    await asyncio.sleep(2)


def run_one(label, tls):
    with tempfile.TemporaryDirectory() as d:
        p1, p2 = free_port(), free_port()
        cfg = Path(d) / "w.toml"
        cfg.write_text(f'domains = ["localhost"]\ndata_dir = "{d}/data"\nlog_level = "error"\n'
                       f'[c2s]\nlisten = ["127.0.0.1:{p1}"]\ndirect_tls_listen = ["127.0.0.1:{p2}"]\n'
                       'require_encryption = false\n')
        env = dict(os.environ, WAXWING_CONFIG=str(cfg))
        subprocess.run([BIN, "user", "add", "bench@localhost", "--password", "bench"], env=env,
                       check=True, capture_output=True)
        proc = subprocess.Popen([BIN, "serve"], env=env)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", p2), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            print(f"{label}: waxwing pid {proc.pid}, start RSS {rss_kib(proc.pid)} KiB", flush=True)
            ctx = None
            if tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            asyncio.run(measure(proc.pid, p2 if tls else p1, ctx, label))
        finally:
            proc.terminate()
            proc.wait(30)


def main():
    run_one("plain", False)
    run_one("tls", True)


if __name__ == "__main__":
    main()
