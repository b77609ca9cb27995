//! waxwing-testkit: an in-process Waxwing server and scripted XMPP clients over
//! `tokio::io::duplex` pipes, for tests (dev-only; no ports are opened).
//!
//! The server side is the real transport ([`waxwing_net::C2sService`], the same code that
//! serves TCP), with in-memory SQLite storage, the given domains, modules and users, and a
//! freshly generated self-signed certificate; clients run real rustls that trusts it, so
//! STARTTLS (RFC 6120 §5) and direct TLS (XEP-0368) are exercised for real.
//!
//! ```ignore
//! let kit = TestKit::builder().user("juliet@localhost", "pencil").build().await;
//! let mut c = kit.connect();
//! c.send("<stream:stream xmlns='jabber:client' ...>").await;
//! let features = c.expect_features().await;
//! let mut juliet = kit.login("juliet@localhost", "pencil", Some("balcony")).await;
//! ```
//!
//! Helpers panic with the received transcript on any unexpected input: their job is to fail
//! the test loudly.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test support: failing loudly is the point"
)]

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};
use waxwing_core::{ModuleFactory, Server};
use waxwing_jid::{BareJid, FullJid};
use waxwing_net::tls::{CertEntry, CertResolver, TlsContext, generate_self_signed};
use waxwing_net::{C2sService, ConnMode, ShutdownHandle, StorageAccounts, Timeouts};
use waxwing_sasl::{
    ChannelBindingType, ChannelBindings, ClientBinding, ClientMechanism as _, ScramClient,
    ScramHash, ServerConfig, b64,
};
use waxwing_storage::Storage;
use waxwing_stream::C2sConfig;
use waxwing_xml::{Element, Event, Limits, Parser};

/// How long a client waits for expected input before failing the test.
pub const EXPECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The stream header a client sends (RFC 6120 §4.7), addressed to `domain`.
pub fn stream_header(domain: &str) -> String {
    format!(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0' xml:lang='en'>"
    )
}

/// Builds a [`TestKit`].
pub struct TestKitBuilder {
    domains: Vec<String>,
    users: Vec<(String, String)>,
    modules: Vec<ModuleFactory>,
    module_config: toml::Table,
    require_encryption: bool,
    timeouts: Timeouts,
    limits: Limits,
    max_auth_failures: u32,
    mailbox_capacity: usize,
}

impl TestKitBuilder {
    /// Serves `domain` too (the first one is `localhost` unless replaced by [`Self::domains`]).
    #[must_use]
    pub fn domain(mut self, domain: &str) -> Self {
        self.domains.push(domain.to_owned());
        self
    }

    /// Replaces the served domains.
    #[must_use]
    pub fn domains(mut self, domains: &[&str]) -> Self {
        self.domains = domains.iter().map(|d| (*d).to_owned()).collect();
        self
    }

    /// Creates an account.
    #[must_use]
    pub fn user(mut self, jid: &str, password: &str) -> Self {
        self.users.push((jid.to_owned(), password.to_owned()));
        self
    }

    /// Loads modules.
    #[must_use]
    pub fn modules(mut self, modules: impl IntoIterator<Item = ModuleFactory>) -> Self {
        self.modules.extend(modules);
        self
    }

    /// The `[modules]` configuration table.
    #[must_use]
    pub fn module_config(mut self, table: toml::Table) -> Self {
        self.module_config = table;
        self
    }

    /// Whether STARTTLS is required (default true).
    #[must_use]
    pub fn require_encryption(mut self, required: bool) -> Self {
        self.require_encryption = required;
        self
    }

    /// Transport timeouts.
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Largest stanza accepted.
    #[must_use]
    pub fn max_stanza_bytes(mut self, n: usize) -> Self {
        self.limits.max_stanza_bytes = n;
        self
    }

    /// SASL failures tolerated per connection.
    #[must_use]
    pub fn max_auth_failures(mut self, n: u32) -> Self {
        self.max_auth_failures = n;
        self
    }

    /// Session mailbox capacity.
    #[must_use]
    pub fn mailbox_capacity(mut self, n: usize) -> Self {
        self.mailbox_capacity = n;
        self
    }

    /// Builds storage, core server, TLS and the transport.
    pub async fn build(self) -> TestKit {
        let storage = Storage::memory().await.expect("memory storage");
        for (jid, password) in &self.users {
            let jid = BareJid::parse(jid).expect("user JID");
            // The RFC 7677 §4 minimum iteration count keeps debug-build tests fast.
            let creds = waxwing_storage::CredentialSet::derive_with(
                waxwing_sasl::PasswordPrep::OpaqueString,
                password,
                waxwing_sasl::MIN_ITERATIONS,
            )
            .expect("credentials");
            storage
                .accounts()
                .create(&jid, &creds)
                .await
                .expect("create user");
        }
        let accounts = StorageAccounts(storage.clone());
        let server = Server::builder()
            .modules(self.modules)
            .module_config(self.module_config)
            .storage(storage.clone())
            .mailbox_capacity(self.mailbox_capacity);
        let server = self
            .domains
            .iter()
            .fold(server, |s, d| s.domain(d.clone()))
            .build()
            .expect("server builds");

        let generated = generate_self_signed(&self.domains).expect("certificate");
        let entry = CertEntry::from_pem(
            generated.cert_pem.as_bytes(),
            generated.key_pem.as_bytes(),
            "testkit",
        )
        .expect("certificate loads");
        let cert_der = entry.certified_key().cert.first().expect("cert").clone();
        let mut resolver = CertResolver::new();
        resolver.add(&self.domains, entry);
        let tls = TlsContext::new(resolver).expect("TLS context");

        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert_der.clone()).expect("trust anchor");
        let client_tls = |alpn: Vec<Vec<u8>>| {
            let mut c = rustls::ClientConfig::builder_with_provider(waxwing_net::tls::provider())
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_root_certificates(roots.clone())
                .with_no_client_auth();
            c.alpn_protocols = alpn;
            Arc::new(c)
        };

        let mut cfg = C2sConfig::new(
            &self.domains,
            ServerConfig::new([7; 32]).with_fake_iterations(waxwing_sasl::MIN_ITERATIONS),
        );
        cfg.limits = self.limits;
        cfg.max_auth_failures = self.max_auth_failures;
        let (service, shutdown) =
            waxwing_net::C2sServiceBuilder::new(server.clone(), Arc::new(accounts), cfg)
                .tls(tls)
                .require_encryption(self.require_encryption)
                .timeouts(self.timeouts)
                .build();
        TestKit {
            domain: self.domains.first().cloned().unwrap_or_default(),
            server,
            storage,
            service,
            shutdown: Some(shutdown),
            starttls_client: client_tls(Vec::new()),
            direct_client: client_tls(vec![waxwing_net::tls::ALPN_XMPP_CLIENT.to_vec()]),
            cert_der: cert_der.as_ref().to_vec(),
        }
    }
}

/// An in-process server.
pub struct TestKit {
    domain: String,
    server: Server,
    storage: Storage,
    service: C2sService,
    shutdown: Option<ShutdownHandle>,
    starttls_client: Arc<rustls::ClientConfig>,
    direct_client: Arc<rustls::ClientConfig>,
    cert_der: Vec<u8>,
}

impl TestKit {
    /// A builder serving `localhost`.
    pub fn builder() -> TestKitBuilder {
        TestKitBuilder {
            domains: vec!["localhost".to_owned()],
            users: Vec::new(),
            modules: Vec::new(),
            module_config: toml::Table::new(),
            require_encryption: true,
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            max_auth_failures: 3,
            mailbox_capacity: 256,
        }
    }

    /// The first served domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The core server.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The storage.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The transport service.
    pub fn service(&self) -> &C2sService {
        &self.service
    }

    /// The server certificate (DER).
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// A new cleartext connection on a STARTTLS listener; returns the client and the
    /// server task.
    pub fn connect(&self) -> Client {
        self.connect_mode(ConnMode::StartTls)
    }

    /// A new connection in `mode`; for [`ConnMode::DirectTls`] use
    /// [`TestKit::connect_direct_tls`].
    pub fn connect_mode(&self, mode: ConnMode) -> Client {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let task = self.service.spawn(server, "duplex", mode);
        Client::new(
            ClientIo::Plain(client),
            Some(task),
            Arc::clone(&self.starttls_client),
            self.domain.clone(),
        )
    }

    /// A new direct-TLS connection (XEP-0368), handshake done, ALPN `xmpp-client`.
    pub async fn connect_direct_tls(&self) -> Client {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let task = self
            .service
            .spawn(server, "duplex-tls", ConnMode::DirectTls);
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.direct_client));
        let name = ServerName::try_from(self.domain.clone()).expect("server name");
        let tls = tokio::time::timeout(EXPECT_TIMEOUT, connector.connect(name, client))
            .await
            .expect("TLS handshake timed out")
            .expect("TLS handshake");
        Client::new(
            ClientIo::Tls(Box::new(tls)),
            Some(task),
            Arc::clone(&self.starttls_client),
            self.domain.clone(),
        )
    }

    /// A connection that has done STARTTLS, SCRAM-SHA-256 and bind: ready for stanzas.
    pub async fn login(&self, user: &str, password: &str, resource: Option<&str>) -> Client {
        let mut c = self.connect();
        c.login(user, password, resource, Mech::ScramSha256).await;
        c
    }

    /// Shuts the transport down (every session gets `system-shutdown`), then stops the
    /// modules as `waxwing serve` does ([`Server::stop`]: what they hold in memory is
    /// written); returns whether all connections ended within `limit`.
    pub async fn shutdown(&mut self, limit: Duration) -> bool {
        let clean = match self.shutdown.take() {
            Some(s) => s.shutdown(limit).await,
            None => return true,
        };
        self.server().stop().await;
        clean
    }
}

/// The client's byte stream.
pub enum ClientIo {
    /// Cleartext.
    Plain(DuplexStream),
    /// After STARTTLS, or direct TLS.
    Tls(Box<tokio_rustls::client::TlsStream<DuplexStream>>),
    /// During the handshake.
    Taken,
}

/// Which SASL mechanism [`Client::login`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    /// SCRAM-SHA-256 without channel binding (`n`).
    ScramSha256,
    /// SCRAM-SHA-256-PLUS with `tls-exporter` (RFC 9266).
    ScramSha256PlusExporter,
    /// SCRAM-SHA-256-PLUS with `tls-server-end-point` (RFC 5929).
    ScramSha256PlusEndPoint,
    /// SCRAM-SHA-1.
    ScramSha1,
    /// PLAIN (RFC 4616).
    Plain,
}

/// A scripted client.
pub struct Client {
    io: ClientIo,
    parser: Parser,
    /// Everything received, for failure messages.
    transcript: Vec<u8>,
    task: Option<tokio::task::JoinHandle<()>>,
    tls: Arc<rustls::ClientConfig>,
    domain: String,
    eof: bool,
    /// The bound JID after [`Client::login`].
    pub jid: Option<FullJid>,
}

impl Client {
    fn new(
        io: ClientIo,
        task: Option<tokio::task::JoinHandle<()>>,
        tls: Arc<rustls::ClientConfig>,
        domain: String,
    ) -> Self {
        Self {
            io,
            parser: Parser::new(Limits {
                max_stanza_bytes: 4 * 1024 * 1024,
                ..Limits::default()
            }),
            transcript: Vec::new(),
            task,
            tls,
            domain,
            eof: false,
            jid: None,
        }
    }

    /// The bound JID (panics before [`Client::login`]).
    pub fn full_jid(&self) -> &FullJid {
        self.jid.as_ref().expect("client not bound")
    }

    /// Everything received so far, as text.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.transcript).into_owned()
    }

    /// Sends raw text.
    pub async fn send(&mut self, text: &str) {
        self.send_bytes(text.as_bytes()).await;
    }

    /// Sends raw bytes; a write error (server closed) is ignored: the next read shows it.
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        let r = match &mut self.io {
            ClientIo::Plain(s) => s.write_all(bytes).await.and(s.flush().await),
            ClientIo::Tls(s) => s.write_all(bytes).await.and(s.flush().await),
            ClientIo::Taken => panic!("send during handshake"),
        };
        drop(r);
    }

    /// Sends the stream header for the kit's domain.
    pub async fn open_stream(&mut self) {
        let h = stream_header(&self.domain.clone());
        self.send(&h).await;
    }

    async fn read_more(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        let r = match &mut self.io {
            ClientIo::Plain(s) => s.read(&mut buf).await,
            ClientIo::Tls(s) => s.read(&mut buf).await,
            ClientIo::Taken => panic!("read during handshake"),
        };
        match r {
            Ok(0) | Err(_) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                let data = buf.get(..n).unwrap_or_default();
                self.transcript.extend_from_slice(data);
                self.parser.feed(data);
                true
            }
        }
    }

    /// The next event from the server, or `None` at end of connection.
    pub async fn next_event(&mut self) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + EXPECT_TIMEOUT;
        loop {
            match self.parser.next_event() {
                Ok(Some(ev)) => return Some(ev),
                Ok(None) => {}
                Err(e) => panic!("server sent bad XML ({e}): {}", self.transcript()),
            }
            if self.eof {
                return None;
            }
            let read = tokio::time::timeout_at(deadline, self.read_more()).await;
            assert!(
                read.is_ok(),
                "timed out waiting for the server; received: {}",
                self.transcript()
            );
        }
    }

    /// Expects the server's stream header.
    pub async fn expect_stream_start(&mut self) -> waxwing_xml::StreamHeader {
        match self.next_event().await {
            Some(Event::StreamStart(h)) => h,
            other => panic!(
                "expected a stream header, got {other:?}; received: {}",
                self.transcript()
            ),
        }
    }

    /// Expects one top-level element.
    pub async fn expect_element(&mut self) -> Element {
        match self.next_event().await {
            Some(Event::Element(e)) => e,
            other => panic!(
                "expected an element, got {other:?}; received: {}",
                self.transcript()
            ),
        }
    }

    /// Expects one top-level element named `name` in `ns`.
    pub async fn expect(&mut self, name: &str, ns: &str) -> Element {
        let e = self.expect_element().await;
        assert!(
            e.is(name, ns),
            "expected {{{ns}}}{name}, got {}; received: {}",
            e.to_xml(),
            self.transcript()
        );
        e
    }

    /// Expects `<stream:features/>`.
    pub async fn expect_features(&mut self) -> Element {
        self.expect("features", waxwing_xml::STREAMS_NS).await
    }

    /// Expects a stream error with `condition`, then the end of the stream and connection
    /// (RFC 6120 §4.9.1.1). Returns the error element.
    pub async fn expect_stream_error(&mut self, condition: &str) -> Element {
        loop {
            match self.next_event().await {
                Some(Event::StreamStart(_)) => {}
                Some(Event::Element(e)) if e.is("error", waxwing_xml::STREAMS_NS) => {
                    assert!(
                        e.get_child(condition, waxwing_stanza::ns::XMPP_STREAMS)
                            .is_some(),
                        "expected stream error {condition}, got {}",
                        e.to_xml()
                    );
                    self.expect_stream_end().await;
                    return e;
                }
                other => panic!(
                    "expected stream error {condition}, got {other:?}; received: {}",
                    self.transcript()
                ),
            }
        }
    }

    /// Expects `</stream:stream>`.
    pub async fn expect_stream_end(&mut self) {
        match self.next_event().await {
            Some(Event::StreamEnd) => {}
            other => panic!(
                "expected the stream end, got {other:?}; received: {}",
                self.transcript()
            ),
        }
    }

    /// Expects the connection to be closed by the server (after any pending input).
    pub async fn expect_closed(&mut self) {
        let deadline = tokio::time::Instant::now() + EXPECT_TIMEOUT;
        while !self.eof {
            let read = tokio::time::timeout_at(deadline, self.read_more()).await;
            assert!(
                read.is_ok(),
                "connection still open; received: {}",
                self.transcript()
            );
        }
    }

    /// Whether nothing arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Ok(Some(ev)) = self.parser.next_event() {
            panic!("unexpected {ev:?}");
        }
        if tokio::time::timeout(wait, self.read_more()).await.is_ok()
            && let Ok(Some(ev)) = self.parser.next_event()
        {
            panic!("unexpected {ev:?}");
        }
    }

    /// The server task's handle (finished once the connection is done).
    pub fn server_task(&mut self) -> Option<tokio::task::JoinHandle<()>> {
        self.task.take()
    }

    /// Runs the client side of STARTTLS after `<proceed/>` (RFC 6120 §5.4.3.3).
    pub async fn client_tls_handshake(&mut self) {
        let ClientIo::Plain(s) = std::mem::replace(&mut self.io, ClientIo::Taken) else {
            panic!("STARTTLS on a TLS stream");
        };
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.tls));
        let name = ServerName::try_from(self.domain.clone()).expect("server name");
        let tls = tokio::time::timeout(EXPECT_TIMEOUT, connector.connect(name, s))
            .await
            .expect("TLS handshake timed out")
            .expect("TLS handshake");
        self.io = ClientIo::Tls(Box::new(tls));
        self.parser.reset();
    }

    /// Channel-binding data as the client computes it (TLS only).
    pub fn channel_bindings(&self) -> ChannelBindings {
        let ClientIo::Tls(s) = &self.io else {
            return ChannelBindings::none();
        };
        let conn = s.get_ref().1;
        let mut cb = ChannelBindings::none();
        if conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) {
            let data = conn
                .export_keying_material([0u8; 32], b"EXPORTER-Channel-Binding", Some(&[]))
                .expect("exporter");
            cb = cb.with(ChannelBindingType::TlsExporter, data.to_vec());
        }
        if let Some(cert) = conn.peer_certificates().and_then(|c| c.first()) {
            // The kit's certificate is ECDSA with SHA-256: RFC 5929 §4.1 uses SHA-256.
            use sha2::Digest as _;
            cb = cb.with(
                ChannelBindingType::TlsServerEndPoint,
                sha2::Sha256::digest(cert.as_ref()).to_vec(),
            );
        }
        cb
    }

    /// Opens the stream, does STARTTLS when offered, then SASL with `mech` and resource
    /// binding; panics on any failure.
    pub async fn login(&mut self, user: &str, password: &str, resource: Option<&str>, mech: Mech) {
        self.open_stream().await;
        self.expect_stream_start().await;
        let mut features = self.expect_features().await;
        if features
            .get_child("starttls", waxwing_stanza::ns::XMPP_TLS)
            .is_some()
        {
            self.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
                .await;
            self.expect("proceed", waxwing_stanza::ns::XMPP_TLS).await;
            self.client_tls_handshake().await;
            self.open_stream().await;
            self.expect_stream_start().await;
            features = self.expect_features().await;
        }
        drop(features);
        self.authenticate(user, password, mech).await;
        self.parser.reset();
        self.open_stream().await;
        self.expect_stream_start().await;
        let features = self.expect_features().await;
        assert!(
            features
                .get_child("bind", waxwing_stanza::ns::XMPP_BIND)
                .is_some(),
            "no bind feature: {}",
            features.to_xml()
        );
        let res = resource.map_or(String::new(), |r| format!("<resource>{r}</resource>"));
        self.send(&format!(
            "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>{res}</bind></iq>"
        ))
        .await;
        let reply = self.expect("iq", waxwing_stanza::ns::CLIENT).await;
        assert_eq!(
            reply.attr("type"),
            Some("result"),
            "bind failed: {}",
            reply.to_xml()
        );
        let jid = reply
            .get_child("bind", waxwing_stanza::ns::XMPP_BIND)
            .and_then(|b| b.get_child("jid", waxwing_stanza::ns::XMPP_BIND))
            .map(|e| e.text().into_owned())
            .expect("bound JID");
        self.jid = Some(FullJid::parse(&jid).expect("full JID"));
    }

    /// Runs SASL `mech` and expects `<success/>` (the stream restart is left to the caller).
    pub async fn authenticate(&mut self, user: &str, password: &str, mech: Mech) {
        let local = BareJid::parse(user)
            .ok()
            .and_then(|j| j.node().map(str::to_owned))
            .unwrap_or_else(|| user.to_owned());
        let cb = self.channel_bindings();
        let scram =
            |hash, binding| ScramClient::new(hash, &local, password, binding).expect("client");
        let (name, mut client): (&str, Option<ScramClient>) = match mech {
            Mech::ScramSha256 => (
                "SCRAM-SHA-256",
                Some(scram(ScramHash::Sha256, ClientBinding::Unsupported)),
            ),
            Mech::ScramSha1 => (
                "SCRAM-SHA-1",
                Some(scram(ScramHash::Sha1, ClientBinding::Unsupported)),
            ),
            Mech::ScramSha256PlusExporter => {
                let data = cb
                    .get(ChannelBindingType::TlsExporter)
                    .expect("tls-exporter")
                    .to_vec();
                (
                    "SCRAM-SHA-256-PLUS",
                    Some(scram(
                        ScramHash::Sha256,
                        ClientBinding::Bound(ChannelBindingType::TlsExporter, data),
                    )),
                )
            }
            Mech::ScramSha256PlusEndPoint => {
                let data = cb
                    .get(ChannelBindingType::TlsServerEndPoint)
                    .expect("end-point")
                    .to_vec();
                (
                    "SCRAM-SHA-256-PLUS",
                    Some(scram(
                        ScramHash::Sha256,
                        ClientBinding::Bound(ChannelBindingType::TlsServerEndPoint, data),
                    )),
                )
            }
            Mech::Plain => ("PLAIN", None),
        };
        let initial = match &mut client {
            Some(c) => c.initial_response().expect("initial").unwrap_or_default(),
            None => format!("\0{local}\0{password}").into_bytes(),
        };
        self.send(&format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='{name}'>{}</auth>",
            b64::encode(&initial)
        ))
        .await;
        loop {
            let e = self.expect_element().await;
            let data = || b64::decode_strict(&e.text()).expect("base64");
            match e.name() {
                "challenge" => {
                    let c = client.as_mut().expect("challenge for PLAIN");
                    let resp = c.respond(&data()).expect("respond");
                    self.send(&format!(
                        "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</response>",
                        b64::encode(&resp)
                    ))
                    .await;
                }
                "success" => {
                    if let Some(c) = client.as_mut() {
                        let text = e.text();
                        let extra = if text.is_empty() { None } else { Some(data()) };
                        c.finish(extra.as_deref()).expect("server signature");
                    }
                    return;
                }
                _ => panic!("SASL failed: {}", e.to_xml()),
            }
        }
    }

    /// Sends `</stream:stream>` and expects the server's and the connection's end.
    pub async fn close(&mut self) {
        self.send("</stream:stream>").await;
        self.expect_stream_end().await;
        self.expect_closed().await;
    }
}
