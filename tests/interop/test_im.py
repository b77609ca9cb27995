"""Interop for RFC 6121 (roster, subscriptions, presence, messages) and XEP-0160 offline
messages: the real waxwing binary and slixmpp clients.

Two accounts add each other and complete a mutual subscription (RFC 6121 §3), see each other's
presence and status across two resources (§4), exchange messages (§5), receive messages sent
while they were offline after reconnecting (XEP-0160, with XEP-0203 delay stamps), and find all of
it again after a server restart.
"""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import test_slixmpp as base

DOMAIN = base.DOMAIN
TIMEOUT = base.TIMEOUT
ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"


class ImClient(base.Client):
    """Fetches the roster before initial presence (RFC 6121 §2.2) and records presence."""

    def __init__(self, jid, password, ca, status=None):
        super().__init__(jid, password, ca)
        self.status = status
        self.register_plugin("xep_0203")
        # Subscription requests are answered by the test, not by slixmpp.
        self.auto_authorize = None
        self.auto_subscribe = False
        self.subscribe_requests: asyncio.Queue = asyncio.Queue()
        self.presences: asyncio.Queue = asyncio.Queue()
        self.add_event_handler("presence_subscribe", lambda p: self.subscribe_requests.put_nowait(p))
        # slixmpp names the event after the <show/> value for available presence.
        for t in ("available", "chat", "away", "xa", "dnd", "unavailable"):
            self.add_event_handler(f"presence_{t}", lambda p: self.presences.put_nowait(p))

    async def _start(self, _event):
        await self.get_roster()
        self.send_presence(pstatus=self.status)
        if not self.started.done():
            self.started.set_result(True)

    async def presence_from(self, full_jid: str, want_type: str = "available"):
        """The next presence from `full_jid` of `want_type` (others are skipped)."""
        while True:
            p = await asyncio.wait_for(self.presences.get(), TIMEOUT)
            if str(p["from"]) == full_jid and p["type"] in (
                [want_type] if want_type != "available" else ["available", "chat", "away", "xa", "dnd"]
            ):
                return p


class ImInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="waxwing-im-interop-")
        d = Path(cls.tmp.name)
        cls.port = base.free_port()
        cls.config = d / "waxwing.toml"
        cls.config.write_text(
            f"""domains = ["{DOMAIN}"]
data_dir = "data"
log_level = "info"
[c2s]
listen = ["127.0.0.1:{cls.port}"]
"""
        )
        cls.env = dict(os.environ, WAXWING_CONFIG=str(cls.config))
        for user, pw in (("alice", "wonderland"), ("bob", "builder")):
            subprocess.run(
                [base.BIN, "user", "add", f"{user}@{DOMAIN}", "--password", pw],
                env=cls.env, check=True, capture_output=True, timeout=60,
            )
        cls.log = open(d / "serve.log", "w+b")
        cls.proc = None
        cls.start_server()
        cls.ca = d / "data" / "self-signed-cert.pem"

    @classmethod
    def start_server(cls):
        cls.proc = subprocess.Popen([base.BIN, "serve"], env=cls.env, stdout=cls.log, stderr=subprocess.STDOUT)
        base.wait_port(cls.port, cls.proc)

    @classmethod
    def stop_server(cls):
        cls.proc.send_signal(signal.SIGTERM)
        try:
            code = cls.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
            code = "killed"
        if code != 0:
            cls.log.seek(0)
            sys.stderr.write(cls.log.read().decode(errors="replace"))
            raise AssertionError(f"waxwing did not stop cleanly: {code}")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stop_server()
        finally:
            if os.environ.get("INTEROP_SHOW_SERVER_LOG"):
                cls.log.seek(0)
                sys.stderr.write(cls.log.read().decode(errors="replace"))
            cls.log.close()
            cls.tmp.cleanup()

    setUp = base.WaxwingInterop.setUp
    tearDown = base.WaxwingInterop.tearDown
    run_async = base.WaxwingInterop.run_async

    async def login(self, jid, password, status=None) -> ImClient:
        c = ImClient(jid, password, self.ca, status)
        self.clients.append(c)
        c.connect(("127.0.0.1", self.port))
        await asyncio.wait_for(c.started, TIMEOUT)
        return c

    async def logout(self, c: ImClient):
        fut = c.disconnect()
        if fut is not None:
            await asyncio.wait_for(fut, TIMEOUT)
        self.clients.remove(c)

    def test_subscription_presence_messages_offline_and_restart(self):
        async def befriend_and_chat():
            alice = await self.login(f"{ALICE}/laptop", "wonderland")
            bob = await self.login(f"{BOB}/phone", "builder", status="on the phone")

            # §3.1: Alice adds Bob and asks for his presence; Bob approves and asks back.
            await alice.update_roster(BOB, name="Bob", groups=["Friends"])
            alice.client_roster[BOB].subscribe()
            req = await asyncio.wait_for(bob.subscribe_requests.get(), TIMEOUT)
            self.assertEqual(str(req["from"]), ALICE)  # stamped with the bare JID (§3.1.2)
            bob.client_roster[ALICE].authorize()
            bob.client_roster[ALICE].subscribe()
            req = await asyncio.wait_for(alice.subscribe_requests.get(), TIMEOUT)
            self.assertEqual(str(req["from"]), BOB)
            alice.client_roster[BOB].authorize()

            # §3.1.5/§4.3: approval brings the contact's current presence, status included.
            p = await alice.presence_from(f"{BOB}/phone")
            self.assertEqual(p["status"], "on the phone")
            await bob.presence_from(f"{ALICE}/laptop")

            # The server's rosters say "both" for each side (§2.1.2.5).
            for c, other in ((alice, BOB), (bob, ALICE)):
                await c.get_roster()
                self.assertEqual(c.client_roster[other]["subscription"], "both", (c.boundjid, other))
            self.assertEqual(alice.client_roster[BOB]["name"], "Bob")
            self.assertEqual(alice.client_roster[BOB]["groups"], ["Friends"])

            # §4.2: a second resource's initial presence reaches the contact; §4.4: so does a change.
            bob2 = await self.login(f"{BOB}/desk", "builder", status="at the desk")
            p = await alice.presence_from(f"{BOB}/desk")
            self.assertEqual(p["status"], "at the desk")
            # Bob's new resource learns Alice's presence from the probe answer (§4.3.2).
            await bob2.presence_from(f"{ALICE}/laptop")
            bob.send_presence(pshow="away", pstatus="lunch")
            p = await alice.presence_from(f"{BOB}/phone")
            self.assertEqual((p["show"], p["status"]), ("away", "lunch"))

            # §5: messages both ways; to the bare JID Bob's highest-priority resource gets it.
            alice.send_message(mto=f"{BOB}/desk", mbody="hello desk", mtype="chat")
            msg = await asyncio.wait_for(bob2.messages.get(), TIMEOUT)
            self.assertEqual(msg["body"], "hello desk")
            bob.send_message(mto=ALICE, mbody="hi Alice", mtype="chat")
            msg = await asyncio.wait_for(alice.messages.get(), TIMEOUT)
            self.assertEqual((str(msg["from"]), msg["body"]), (f"{BOB}/phone", "hi Alice"))

            # §4.5: going offline is seen by the contact.
            await self.logout(bob2)
            await alice.presence_from(f"{BOB}/desk", "unavailable")
            await self.logout(bob)
            await alice.presence_from(f"{BOB}/phone", "unavailable")

            # XEP-0160: while Bob is offline, messages are stored…
            for i in range(3):
                alice.send_message(mto=BOB, mbody=f"offline {i}", mtype="chat")
            await alice["xep_0199"].ping(jid=DOMAIN, timeout=TIMEOUT)
            # …and delivered in order, with delay stamps, at his next initial presence.
            bob = await self.login(f"{BOB}/phone", "builder")
            for i in range(3):
                msg = await asyncio.wait_for(bob.messages.get(), TIMEOUT)
                self.assertEqual(msg["body"], f"offline {i}")
                self.assertEqual(str(msg["delay"]["from"]), DOMAIN)
                self.assertIsNotNone(msg["delay"]["stamp"])
            # One more for after the restart.
            await self.logout(bob)
            await alice.presence_from(f"{BOB}/phone", "unavailable")
            alice.send_message(mto=BOB, mbody="across the restart", mtype="chat")
            await alice["xep_0199"].ping(jid=DOMAIN, timeout=TIMEOUT)

        self.run_async(befriend_and_chat())
        self.tearDown()
        type(self).stop_server()
        type(self).start_server()
        self.setUp()

        async def after_restart():
            bob = await self.login(f"{BOB}/phone", "builder")
            msg = await asyncio.wait_for(bob.messages.get(), TIMEOUT)
            self.assertEqual(msg["body"], "across the restart")
            alice = await self.login(f"{ALICE}/laptop", "wonderland")
            # Roster and subscriptions persisted: presence flows both ways again.
            self.assertEqual(alice.client_roster[BOB]["subscription"], "both")
            self.assertEqual(bob.client_roster[ALICE]["subscription"], "both")
            await alice.presence_from(f"{BOB}/phone")
            await bob.presence_from(f"{ALICE}/laptop")

        self.run_async(after_restart())


if __name__ == "__main__":
    unittest.main()
