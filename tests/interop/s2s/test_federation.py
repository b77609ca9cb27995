"""s2s interop: waxwing (a.test and a2.test, 127.0.0.1) with Prosody (b.test, 127.0.0.2) and
with ejabberd (c.test, 127.0.0.3): messages both ways from both of waxwing's domains, an error
bounced back and RFC 6121 subscriptions, once over SASL EXTERNAL with certificates from a test
CA and once over dialback only; and a peer certificate for the wrong domain refused. The servers find
each other through SRV records served by a small DNS server in this process
(RFC 6120 §3.2.1). See `run` for the environment it needs.
"""

import asyncio
import logging
import os
import shlex
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

import slixmpp

BIN = os.environ.get("WAXWING_BIN", "waxwing")
TIMEOUT = 20
DNS_ADDR = ("127.0.1.53", 53)
A_IP, B_IP, C_IP = "127.0.0.1", "127.0.0.2", "127.0.0.3"
A_C2S, A_S2S = 15222, 15269
B_C2S, B_S2S = 25222, 25269
C_C2S, C_S2S = 35222, 35269

logging.basicConfig(level=os.environ.get("INTEROP_LOG", "CRITICAL"))

# name -> {qtype: [rdata bytes]}; A=1, SRV=33, AAAA=28.
def _name(n: str) -> bytes:
    return b"".join(bytes([len(l)]) + l.encode() for l in n.strip(".").split(".")) + b"\0"


def _srv(port: int, target: str) -> bytes:
    return struct.pack("!HHH", 0, 5, port) + _name(target)


ZONE = {
    "a.test": {1: [socket.inet_aton(A_IP)], 28: []},
    "b.test": {1: [socket.inet_aton(B_IP)], 28: []},
    "_xmpp-server._tcp.a.test": {33: [_srv(A_S2S, "a.test")]},
    # A second domain served by waxwing: its pairs piggyback on a.test's streams (XEP-0220 §2.4).
    "a2.test": {1: [socket.inet_aton(A_IP)], 28: []},
    "_xmpp-server._tcp.a2.test": {33: [_srv(A_S2S, "a2.test")]},
    "_xmpp-server._tcp.b.test": {33: [_srv(B_S2S, "b.test")]},
    "c.test": {1: [socket.inet_aton(C_IP)], 28: []},
    "_xmpp-server._tcp.c.test": {33: [_srv(C_S2S, "c.test")]},
}


class Dns(threading.Thread):
    """Answers from ZONE (AA set); NXDOMAIN for unknown names, empty NOERROR for known
    names without records of the asked type (RFC 1035 §4.1, RFC 2308)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(DNS_ADDR)
        self.queries = []

    def run(self):
        while True:
            try:
                q, peer = self.sock.recvfrom(1500)
            except OSError:
                return
            i, labels = 12, []
            while q[i] != 0:
                labels.append(q[i + 1 : i + 1 + q[i]].decode().lower())
                i += q[i] + 1
            qtype = struct.unpack("!H", q[i + 1 : i + 3])[0]
            name = ".".join(labels)
            self.queries.append((name, qtype))
            rrs = ZONE.get(name)
            rcode = 3 if rrs is None else 0
            answers = (rrs or {}).get(qtype, [])
            out = q[:2] + struct.pack("!BBHHHH", 0x85, 0x80 | rcode, 1, len(answers), 0, 0)
            out += q[12 : i + 5]
            for rdata in answers:
                out += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(rdata)) + rdata
            self.sock.sendto(out, peer)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d: Path):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=interop CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def make_leaf(d: Path, domain: str, ca: bool, more: tuple = ()):
    """A certificate for `domain` (and the `more` names): signed by the test CA, or
    self-signed."""
    key, cert = d / f"{domain}.key", d / f"{domain}.pem"
    ext = d / f"{domain}.ext"
    san = ",".join(f"DNS:{n}" for n in (domain, *more))
    # Both usages: Prosody verifies our certificate as a TLS client certificate.
    ext.write_text(f"basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n"
                   f"subjectAltName={san}\n")
    if ca:
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key.name, "-out", f"{domain}.csr", "-subj", f"/CN={domain}", cwd=d)
        openssl("x509", "-req", "-in", f"{domain}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "30", "-extfile", ext.name, "-out", cert.name, cwd=d)
    else:
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", key.name, "-out", cert.name, "-days", "30",
                "-subj", f"/CN={domain}", "-addext", f"subjectAltName={san}", cwd=d)
    return cert, key


def wait_port(ip: str, port: int, proc: subprocess.Popen, name: str, limit: float = 30.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            socket.create_connection((ip, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name}: {ip}:{port} not listening after {limit}s")


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid: str, password: str, mech: str):
        super().__init__(jid, password, sasl_mech=mech)
        self.started = asyncio.get_event_loop().create_future()
        self.messages: asyncio.Queue = asyncio.Queue()
        self._errors: set = set()
        self.add_event_handler("session_start", self._start)
        self.add_event_handler("message", self._message)
        self.add_event_handler("message_error", self._message)
        self.add_event_handler("failed_auth", self._failed)
        # Subscription requests are answered by the test, not by slixmpp.
        self.auto_authorize = None
        self.auto_subscribe = False
        self.subscribe_requests: asyncio.Queue = asyncio.Queue()
        self.presences: asyncio.Queue = asyncio.Queue()
        self.add_event_handler("presence_subscribe", self.subscribe_requests.put_nowait)
        self.add_event_handler("presence_available", self.presences.put_nowait)
        # The test CA is not in the client's store; the servers' c2s certificates are not
        # what is under test here.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        mechs = self["feature_mechanisms"]
        default_creds = mechs._default_credentials

        def credentials(required, optional):
            result = default_creds(required, optional)
            if "channel_binding" in result:
                result["channel_binding"] = None
            return result

        mechs.sasl_callback = credentials

    async def _start(self, _event):
        self.send_presence()
        try:
            await self.get_roster(timeout=TIMEOUT)
        except Exception:  # noqa: BLE001 - waxwing has no roster module yet
            pass
        if not self.started.done():
            self.started.set_result(True)

    def _failed(self, _event):
        if not self.started.done():
            self.started.set_exception(RuntimeError("authentication failed"))

    def _message(self, msg):
        # slixmpp raises "message" for any message with a body, errors included, and
        # "message_error" for every error: count each error once.
        if msg["type"] == "error" and self._seen_error(msg):
            return
        self.messages.put_nowait(msg)

    def _seen_error(self, msg) -> bool:
        key = (msg["id"], str(msg["from"]), msg["error"]["condition"])
        seen = key in self._errors
        self._errors.add(key)
        return seen

    async def presence_from(self, full_jid: str):
        """The next available presence from `full_jid` (others are skipped)."""
        while True:
            p = await asyncio.wait_for(self.presences.get(), TIMEOUT)
            if str(p["from"]) == full_jid:
                return p

    async def subscription(self, bare: str) -> str:
        """The `subscription` of `bare` in this account's roster, as the server has it."""
        await self.get_roster(timeout=TIMEOUT)
        return self.client_roster[bare]["subscription"]


class Federation:
    """waxwing + one peer (`prosody` or `ejabberd`); `external` selects certificates or
    dialback only."""

    procs: list = []
    wx_log = None
    p_out = None
    tmp = None

    def __init__(self, external: bool, peer: str = "prosody", peer_cert_domain: str = ""):
        self.peer_cert_domain = peer_cert_domain
        try:
            self._start(external, peer)
        except BaseException:
            sys.stderr.write(self.logs())
            self.close()
            raise

    def _start(self, external: bool, peer: str):
        self.procs = []
        self.tmp = tempfile.TemporaryDirectory(prefix="waxwing-s2s-")
        d = self.dir = Path(self.tmp.name)
        if external:
            make_ca(d)
        a_cert, a_key = make_leaf(d, "a.test", external, ("a2.test",))
        ca = d / "ca.pem"
        policy = "require_certificates" if external else "allow_dialback"
        ca_line = f'ca_files = ["{ca}"]' if external else ""
        (d / "waxwing.toml").write_text(f"""domains = ["a.test", "a2.test"]
data_dir = "{d}/wx"
log_level = "debug"
[c2s]
listen = ["{A_IP}:{A_C2S}"]
direct_tls_listen = []
[tls]
cert = "{a_cert}"
key = "{a_key}"
[s2s]
enabled = true
listen = ["{A_IP}:{A_S2S}"]
policy = "{policy}"
system_ca = false
{ca_line}
nameservers = ["{DNS_ADDR[0]}:{DNS_ADDR[1]}"]
""")
        self.env = dict(os.environ, WAXWING_CONFIG=str(d / "waxwing.toml"))
        for user, pw in (("juliet@a.test", "pencil"), ("nurse@a2.test", "angelica")):
            subprocess.run([BIN, "user", "add", user, "--password", pw],
                           env=self.env, check=True, capture_output=True, timeout=60)
        self.wx_log = open(d / "waxwing.log", "w+b")
        wx = subprocess.Popen([BIN, "serve"], env=self.env, stdout=self.wx_log,
                              stderr=subprocess.STDOUT)
        self.procs.append(("waxwing", wx))
        self.p_out = open(d / "peer.out", "w+b")
        if peer == "prosody":
            pr = self.start_prosody(external)
            ip, c2s, s2s = B_IP, B_C2S, B_S2S
        else:
            pr = self.start_ejabberd(external)
            ip, c2s, s2s = C_IP, C_C2S, C_S2S
        wait_port(A_IP, A_C2S, wx, "waxwing")
        wait_port(A_IP, A_S2S, wx, "waxwing")
        wait_port(ip, c2s, pr, peer, limit=60)
        wait_port(ip, s2s, pr, peer, limit=60)
        if peer == "ejabberd":
            self.ejabberdctl("started")
            self.ejabberdctl("register", "romeo", "c.test", "mercutio")

    def start_prosody(self, external: bool) -> subprocess.Popen:
        d = self.dir
        ca = d / "ca.pem"
        b_cert, b_key = make_leaf(d, self.peer_cert_domain or "b.test", external)
        cafile = f'cafile = "{ca}";' if external else ""
        (d / "prosody.cfg.lua").write_text(f"""
pidfile = "{d}/prosody.pid"
data_path = "{d}/prosody-data"
daemonize = false
run_as_root = true
interfaces = {{ "{B_IP}" }}
c2s_ports = {{ {B_C2S} }}
s2s_ports = {{ {B_S2S} }}
c2s_direct_tls_ports = {{}}
s2s_direct_tls_ports = {{}}
http_ports = {{}}
https_ports = {{}}
modules_enabled = {{ "roster", "saslauth", "tls", "dialback", "disco", "ping" }}
authentication = "internal_hashed"
s2s_require_encryption = true
s2s_secure_auth = {"true" if external else "false"}
c2s_require_encryption = true
ssl = {{ {cafile} }}
log = {{ debug = "{d}/prosody.log" }}
VirtualHost "b.test"
  ssl = {{ certificate = "{b_cert}"; key = "{b_key}"; {cafile} }}
""")
        (d / "prosody-data").mkdir()
        subprocess.run(["prosodyctl", "--config", str(d / "prosody.cfg.lua"), "register",
                        "romeo", "b.test", "mercutio"], check=True, capture_output=True,
                       timeout=60)
        (d / "resolv.conf").write_text(f"nameserver {DNS_ADDR[0]}\n")
        hide = " ".join(f"mount --bind /dev/null {p};" for p in lunbound_paths())
        script = (f"mount --bind {d}/resolv.conf /etc/resolv.conf; {hide} "
                  f"exec prosody --config {d}/prosody.cfg.lua")
        pr = subprocess.Popen(["unshare", "--mount", "sh", "-c", script], stdout=self.p_out,
                              stderr=subprocess.STDOUT)
        self.procs.append(("prosody", pr))
        return pr


    def ejabberdctl(self, *args):
        d = self.dir
        cmd = ["ejabberdctl", "--config-dir", str(d / "ejabberd"), "--config",
               str(d / "ejabberd" / "ejabberd.yml"), "--spool", str(d / "ejabberd" / "db"),
               "--logs", str(d / "ejabberd" / "logs"), "--node", "waxwing-interop@localhost",
               *args]
        return cmd if not args or args[0] == "foreground" else subprocess.run(
            cmd, check=True, capture_output=True, timeout=60)

    def start_ejabberd(self, external: bool) -> subprocess.Popen:
        d = self.dir
        e = d / "ejabberd"
        (e / "db").mkdir(parents=True)
        (e / "logs").mkdir()
        c_cert, c_key = make_leaf(d, "c.test", external)
        pem = e / "c.test.pem"
        pem.write_text(c_cert.read_text() + c_key.read_text())
        # ejabberd looks SRV records up with Erlang's inet_res (configured by this inetrc) but
        # the SRV targets' addresses with `net:getaddrinfo`, i.e. the C library's resolver, which
        # reads /etc/resolv.conf: ejabberd runs in a private mount namespace where that file
        # names our DNS server (without it, getaddrinfo fails with EAI_NONAME, logged as
        # "DNS lookup failed: enoname").
        (e / "inetrc").write_text(
            '{resolv_conf, ""}.\n{lookup, [file, dns]}.\n{host, {127,0,0,1}, ["localhost"]}.\n'
            "{nameserver, {127,0,1,53}, 53}.\n"
        )
        (d / "resolv.conf").write_text(f"nameserver {DNS_ADDR[0]}\n")
        (e / "ejabberdctl.cfg").write_text("")
        ca_line = f'ca_file: "{d / "ca.pem"}"' if external else ""
        dialback = "" if external else "  mod_s2s_dialback: {}\n"
        (e / "ejabberd.yml").write_text(f"""hosts: ["c.test"]
loglevel: debug
certfiles: ["{pem}"]
{ca_line}
s2s_use_starttls: required
s2s_access: all
outgoing_s2s_families: [ipv4]
auth_method: internal
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  s2s:
    allow: all
listen:
  - port: {C_C2S}
    ip: "{C_IP}"
    module: ejabberd_c2s
    starttls_required: true
  - port: {C_S2S}
    ip: "{C_IP}"
    module: ejabberd_s2s_in
modules:
  mod_roster: {{}}
  mod_disco: {{}}
  mod_ping: {{}}
{dialback}""")
        shutil.chown(d, "ejabberd")
        for p in [d, *d.rglob("*")]:
            shutil.chown(p, "ejabberd", "ejabberd")
        script = (f"mount --bind {d}/resolv.conf /etc/resolv.conf; exec "
                  + " ".join(shlex.quote(a) for a in self.ejabberdctl("foreground")))
        pr = subprocess.Popen(["unshare", "--mount", "sh", "-c", script], stdout=self.p_out,
                              stderr=subprocess.STDOUT)
        self.procs.append(("ejabberd", pr))
        return pr

    def logs(self) -> str:
        if self.tmp is None:
            return ""
        out = []
        for name in ("waxwing.log", "prosody.log", "peer.out", "ejabberd/logs/ejabberd.log"):
            p = self.dir / name
            if p.exists():
                out.append(f"===== {name}\n{p.read_text(errors='replace')[-int(os.environ.get('INTEROP_LOG_TAIL', 20000)):]}")
        return "\n".join(out)

    def close(self):
        if any(n == "ejabberd" for n, _ in self.procs):
            try:
                self.ejabberdctl("stop")
            except Exception:  # noqa: BLE001 - killed below
                pass
        for _, p in self.procs:
            p.send_signal(signal.SIGTERM)
        for name, p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if any(n == "ejabberd" for n, _ in self.procs):
            # The Erlang VM outlives ejabberdctl briefly; the next test's node of the same
            # name refuses to start until it is gone from epmd.
            for _ in range(100):
                names = subprocess.run(["epmd", "-names"], capture_output=True, text=True)
                if "waxwing-interop" not in names.stdout:
                    break
                time.sleep(0.2)
        if os.environ.get("INTEROP_SHOW_SERVER_LOG"):
            sys.stderr.write(self.logs())
        for f in (self.wx_log, self.p_out):
            if f is not None:
                f.close()
        if self.tmp is not None:
            self.tmp.cleanup()


def lunbound_paths():
    return [str(p) for p in Path("/usr/lib").glob("*/lua/*/lunbound.so")]


class S2sInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Dns()
        cls.dns.start()

    @classmethod
    def tearDownClass(cls):
        cls.dns.sock.close()

    def run_scenario(self, scenario, external: bool, peer: str = "prosody", peer_cert_domain=""):
        """Starts waxwing and `peer`, logs juliet@a.test and romeo@<peer domain> in and runs
        `scenario(juliet, romeo, domain)`; returns waxwing's log."""
        fed = Federation(external, peer, peer_cert_domain)
        domain, ip, c2s = ("b.test", B_IP, B_C2S) if peer == "prosody" else ("c.test", C_IP, C_C2S)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        clients = []

        async def login(jid, pw, addr, mech):
            c = Client(jid, pw, mech)
            clients.append(c)
            c.connect(addr)
            await asyncio.wait_for(c.started, TIMEOUT)
            return c

        async def run():
            juliet = await login("juliet@a.test/balcony", "pencil", (A_IP, A_C2S), "SCRAM-SHA-256")
            romeo = await login(f"romeo@{domain}/orchard", "mercutio", (ip, c2s), "SCRAM-SHA-1")
            await scenario(juliet, romeo, domain, login)
            for c in clients:
                c.disconnect()

        try:
            loop.run_until_complete(asyncio.wait_for(run(), 90))
        except BaseException:
            sys.stderr.write(fed.logs())
            sys.stderr.write(f"\n===== DNS queries\n{self.dns.queries}\n")
            raise
        finally:
            tasks = [t for t in asyncio.all_tasks(loop)]
            for t in tasks:
                t.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()
            wx_log = (fed.dir / "waxwing.log").read_text(errors="replace")
            fed.close()
        return wx_log

    def exchange(self, external: bool, peer: str = "prosody"):
        async def scenario(juliet, romeo, domain, login):
            romeo_jid = f"romeo@{domain}/orchard"
            juliet.send_message(mto=romeo_jid, mbody="Wherefore art thou?", mtype="chat")
            msg = await asyncio.wait_for(romeo.messages.get(), TIMEOUT)
            self.assertEqual(msg["body"], "Wherefore art thou?")
            self.assertEqual(str(msg["from"]), "juliet@a.test/balcony")
            romeo.send_message(mto="juliet@a.test/balcony", mbody="By a name", mtype="chat")
            msg = await asyncio.wait_for(juliet.messages.get(), TIMEOUT)
            self.assertEqual(msg["body"], "By a name")
            self.assertEqual(str(msg["from"]), romeo_jid)
            # A second served domain reaches the same peer, and is reached back.
            nurse = await login("nurse@a2.test/chamber", "angelica", (A_IP, A_C2S), "SCRAM-SHA-256")
            nurse.send_message(mto=romeo_jid, mbody="Madam!", mtype="chat")
            msg = await asyncio.wait_for(romeo.messages.get(), TIMEOUT)
            self.assertEqual((msg["body"], str(msg["from"])), ("Madam!", "nurse@a2.test/chamber"))
            romeo.send_message(mto="nurse@a2.test/chamber", mbody="Anon", mtype="chat")
            msg = await asyncio.wait_for(nurse.messages.get(), TIMEOUT)
            self.assertEqual((msg["body"], str(msg["from"])), ("Anon", romeo_jid))
            # RFC 6121 §3 across the federation: each side asks for the other's presence and
            # the other approves; approval brings the contact's current presence (§3.1.5),
            # and both rosters end at "both" (§3.1.6, §3.3).
            romeo_bare = f"romeo@{domain}"
            juliet_bare = "juliet@a.test"
            juliet.send_presence(pto=romeo_bare, ptype="subscribe")
            req = await asyncio.wait_for(romeo.subscribe_requests.get(), TIMEOUT)
            self.assertEqual(str(req["from"]), juliet_bare)
            romeo.send_presence(pto=juliet_bare, ptype="subscribed")
            await juliet.presence_from(romeo_jid)
            romeo.send_presence(pto=juliet_bare, ptype="subscribe")
            req = await asyncio.wait_for(juliet.subscribe_requests.get(), TIMEOUT)
            self.assertEqual(str(req["from"]), romeo_bare)
            juliet.send_presence(pto=romeo_bare, ptype="subscribed")
            await romeo.presence_from("juliet@a.test/balcony")
            self.assertEqual(await juliet.subscription(romeo_bare), "both")
            self.assertEqual(await romeo.subscription(juliet_bare), "both")
            # To an account the peer does not have: its error comes back over s2s.
            juliet.send_message(mto=f"nobody@{domain}", mbody="?", mtype="chat")
            msg = await asyncio.wait_for(juliet.messages.get(), TIMEOUT)
            self.assertEqual(msg["type"], "error")
            self.assertEqual(msg["error"]["condition"], "service-unavailable")

        return self.run_scenario(scenario, external, peer)

    def test_sasl_external_with_certificates(self):
        log = self.exchange(external=True)
        self.assertIn("via=External", log)
        self.assertIn(("_xmpp-server._tcp.b.test", 33), self.dns.queries)

    def test_dialback_only(self):
        log = self.exchange(external=False)
        self.assertIn("via=Dialback", log)
        self.assertNotIn("via=External", log)

    # ejabberd resolves our SRV target through the C library (see start_ejabberd): the A
    # query for a.test must have reached our DNS server.
    def test_ejabberd_sasl_external_with_certificates(self):
        log = self.exchange(external=True, peer="ejabberd")
        self.assertIn("via=External", log)
        self.assertIn(("_xmpp-server._tcp.c.test", 33), self.dns.queries)
        self.assertIn(("_xmpp-server._tcp.a.test", 33), self.dns.queries)
        self.assertIn(("a.test", 1), self.dns.queries)

    def test_ejabberd_dialback_only(self):
        log = self.exchange(external=False, peer="ejabberd")
        # ejabberd offers dialback with <errors/> (XEP-0220 §2.4): a2.test's pair rides on
        # a.test's stream instead of a connection of its own. (Prosody 0.12 does not offer
        # <errors/>, and neither offers dialback after SASL EXTERNAL: one stream per pair.)
        self.assertIn("domain pair piggybacked on the stream local=a2.test", log)
        self.assertIn("via=Dialback", log)
        self.assertNotIn("via=External", log)


    def test_wrong_certificate_is_refused(self):
        """Prosody serves b.test with a CA-signed certificate for another domain: with
        certificates required (RFC 6120 §13.7.2, RFC 6125), waxwing authenticates it neither
        outbound nor inbound, so messages bounce both ways and nothing is delivered."""

        async def scenario(juliet, romeo, domain, _login):
            juliet.send_message(mto=f"romeo@{domain}/orchard", mbody="spoofed?", mtype="chat")
            msg = await asyncio.wait_for(juliet.messages.get(), TIMEOUT)
            self.assertEqual(msg["type"], "error")
            self.assertEqual(msg["error"]["condition"], "remote-server-not-found")
            romeo.send_message(mto="juliet@a.test/balcony", mbody="trust me", mtype="chat")
            msg = await asyncio.wait_for(romeo.messages.get(), TIMEOUT)
            self.assertEqual(msg["type"], "error")
            self.assertTrue(juliet.messages.empty())

        log = self.run_scenario(scenario, external=True, peer_cert_domain="evil.test")
        self.assertIn("peer certificate does not authenticate it", log)
        self.assertNotIn("inbound domain pair authenticated", log)
        self.assertNotIn("outbound stream ready", log)

if __name__ == "__main__":
    unittest.main()
