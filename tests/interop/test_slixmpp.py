"""Interop: the real waxwing binary, driven by slixmpp.

Two accounts created with `waxwing user add` log in over STARTTLS and over direct TLS
(XEP-0368) with SCRAM-SHA-256, exchange messages to bare and full JIDs, ping the server
(XEP-0199), and query disco#info (XEP-0030) and the software version (XEP-0092).
"""

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import slixmpp

BIN = os.environ.get("WAXWING_BIN", "waxwing")
DOMAIN = "localhost"
TIMEOUT = 15

logging.basicConfig(level=os.environ.get("INTEROP_LOG", "CRITICAL"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"waxwing exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} not listening after {limit}s")


class Client(slixmpp.ClientXMPP):
    """A client that records messages and signals session start."""

    def __init__(self, jid: str, password: str, ca: Path):
        super().__init__(jid, password, sasl_mech="SCRAM-SHA-256")
        self.ca_certs = ca
        self.started = asyncio.get_event_loop().create_future()
        self.messages: asyncio.Queue = asyncio.Queue()
        for plugin in ("xep_0030", "xep_0092", "xep_0199"):
            self.register_plugin(plugin)
        self.add_event_handler("session_start", self._start)
        self.add_event_handler("message", self._message)
        self.add_event_handler("failed_auth", self._failed)
        self.mechanism_used = None
        self.add_event_handler("auth_success", self._auth)
        # COMPAT(slixmpp 1.8): it knows only `tls-unique` (undefined for TLS 1.3, RFC 9266)
        # and ignores XEP-0440, so with channel-binding data at hand it sends the `y` flag,
        # which a server offering -PLUS must refuse (RFC 5802 §6). Claim no channel binding,
        # as XEP-0440 §4 asks of a client that shares no type with the server.
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
        if not self.started.done():
            self.started.set_result(True)

    def _auth(self, stanza):
        self.mechanism_used = self["feature_mechanisms"].mech.name if self["feature_mechanisms"].mech else None

    def _failed(self, _event):
        if not self.started.done():
            self.started.set_exception(RuntimeError("authentication failed"))

    def _message(self, msg):
        if msg["type"] in ("chat", "normal"):
            self.messages.put_nowait(msg)


class WaxwingInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="waxwing-interop-")
        d = Path(cls.tmp.name)
        cls.port = free_port()
        cls.tls_port = free_port()
        cls.config = d / "waxwing.toml"
        cls.config.write_text(
            f"""domains = ["{DOMAIN}"]
data_dir = "data"
log_level = "info"
[c2s]
listen = ["127.0.0.1:{cls.port}"]
direct_tls_listen = ["127.0.0.1:{cls.tls_port}"]
"""
        )
        env = dict(os.environ, WAXWING_CONFIG=str(cls.config))
        cls.env = env
        for user, pw in (("juliet", "pencil"), ("romeo", "mercutio")):
            subprocess.run(
                [BIN, "user", "add", f"{user}@{DOMAIN}", "--password", pw],
                env=env, check=True, capture_output=True, timeout=60,
            )
        cls.log = open(d / "serve.log", "w+b")
        cls.proc = subprocess.Popen([BIN, "serve"], env=env, stdout=cls.log, stderr=subprocess.STDOUT)
        wait_port(cls.port, cls.proc)
        wait_port(cls.tls_port, cls.proc)
        cls.ca = d / "data" / "self-signed-cert.pem"

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        try:
            code = cls.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
            code = "killed"
        cls.log.seek(0)
        log = cls.log.read().decode(errors="replace")
        cls.log.close()
        cls.tmp.cleanup()
        if code != 0:
            sys.stderr.write(log)
            raise AssertionError(f"waxwing did not stop cleanly: {code}")
        if os.environ.get("INTEROP_SHOW_SERVER_LOG"):
            sys.stderr.write(log)

    def setUp(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.clients = []

    def tearDown(self):
        async def close_all():
            for c in self.clients:
                fut = c.disconnect()
                if fut is not None:
                    try:
                        await asyncio.wait_for(fut, 5)
                    except Exception:  # noqa: BLE001 - already gone is fine
                        pass
            # slixmpp leaves helper tasks behind; end them before the loop closes.
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.loop.run_until_complete(close_all())
        self.loop.close()

    def run_async(self, coro):
        return self.loop.run_until_complete(asyncio.wait_for(coro, 60))

    async def login(self, jid: str, password: str, direct_tls: bool = False) -> Client:
        c = Client(jid, password, self.ca)
        self.clients.append(c)
        if direct_tls:
            c.connect(("127.0.0.1", self.tls_port), use_ssl=True)
        else:
            c.connect(("127.0.0.1", self.port))
        await asyncio.wait_for(c.started, TIMEOUT)
        return c

    def test_starttls_login_and_messages_to_bare_and_full_jid(self):
        async def scenario():
            juliet = await self.login(f"juliet@{DOMAIN}/balcony", "pencil")
            romeo = await self.login(f"romeo@{DOMAIN}/orchard", "mercutio")
            self.assertEqual(str(juliet.boundjid), f"juliet@{DOMAIN}/balcony")
            self.assertEqual(juliet.mechanism_used, "SCRAM-SHA-256")
            # Make sure Romeo's initial presence reached the server before routing to his bare JID.
            await romeo["xep_0199"].ping(jid=DOMAIN, timeout=TIMEOUT)
            juliet.send_message(mto=f"romeo@{DOMAIN}", mbody="Wherefore art thou?", mtype="chat")
            msg = await asyncio.wait_for(romeo.messages.get(), TIMEOUT)
            self.assertEqual(msg["body"], "Wherefore art thou?")
            self.assertEqual(str(msg["from"]), f"juliet@{DOMAIN}/balcony")
            romeo.send_message(mto=f"juliet@{DOMAIN}/balcony", mbody="By a name", mtype="chat")
            msg = await asyncio.wait_for(juliet.messages.get(), TIMEOUT)
            self.assertEqual(msg["body"], "By a name")
            self.assertEqual(str(msg["from"]), f"romeo@{DOMAIN}/orchard")
        self.run_async(scenario())

    def test_direct_tls_login_and_message(self):
        async def scenario():
            juliet = await self.login(f"juliet@{DOMAIN}/tls", "pencil", direct_tls=True)
            romeo = await self.login(f"romeo@{DOMAIN}/plain", "mercutio")
            romeo.send_message(mto=f"juliet@{DOMAIN}/tls", mbody="over direct TLS", mtype="chat")
            msg = await asyncio.wait_for(juliet.messages.get(), TIMEOUT)
            self.assertEqual(msg["body"], "over direct TLS")
        self.run_async(scenario())

    def test_ping_disco_version(self):
        async def scenario():
            c = await self.login(f"juliet@{DOMAIN}/q", "pencil")
            rtt = await c["xep_0199"].ping(jid=DOMAIN, timeout=TIMEOUT)
            self.assertIsNotNone(rtt)
            info = await c["xep_0030"].get_info(jid=DOMAIN, timeout=TIMEOUT)
            features = info["disco_info"]["features"]
            for f in ("urn:xmpp:ping", "jabber:iq:version", "http://jabber.org/protocol/disco#info"):
                self.assertIn(f, features)
            identities = info["disco_info"]["identities"]
            self.assertTrue(any(i[0] == "server" and i[1] == "im" for i in identities), identities)
            version = await c["xep_0092"].get_version(DOMAIN, timeout=TIMEOUT)
            self.assertEqual(version["software_version"]["name"], "Waxwing")
        self.run_async(scenario())

    def test_wrong_password_is_refused(self):
        async def scenario():
            c = Client(f"juliet@{DOMAIN}/x", "wrong", self.ca)
            self.clients.append(c)
            c.connect(("127.0.0.1", self.port))
            with self.assertRaises(RuntimeError):
                await asyncio.wait_for(c.started, TIMEOUT)
        self.run_async(scenario())


if __name__ == "__main__":
    unittest.main()
