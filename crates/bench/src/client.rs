//! One client: connect (plain, STARTTLS or direct TLS), SASL (SCRAM with the shared
//! salted-password cache, or PLAIN), resource binding, optional roster fetch and initial
//! presence (RFC 6120 §4–§7, RFC 6121 §2.1.3, §4.2). Negotiation uses the waxwing-xml
//! tokenizer; afterwards the session is handed over as raw bytes for the cheap [`crate::scan`].

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::client::TlsStream;
use waxwing_sasl::{ClientBinding, ClientMechanism, PlainClient, ScramClient, ScramHash, b64};
use waxwing_xml::{Element, Event, Limits, Parser};

use crate::opts::{Mech, Transport};
use crate::scram_cache::SaltedCache;

const NS_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
const NS_ROSTER: &str = "jabber:iq:roster";
const READ_CHUNK: usize = 16 * 1024;

/// The byte stream of one client.
#[derive(Debug)]
pub enum Io {
    /// Cleartext TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Everything clients share.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Server address.
    pub target: SocketAddr,
    /// XMPP domain.
    pub domain: String,
    /// Transport.
    pub transport: Transport,
    /// TLS config for STARTTLS (no ALPN).
    pub tls_starttls: Option<Arc<ClientConfig>>,
    /// TLS config for direct TLS (ALPN `xmpp-client`, XEP-0368).
    pub tls_direct: Option<Arc<ClientConfig>>,
    /// SASL mechanism.
    pub mech: Mech,
    /// Account password.
    pub password: String,
    /// Account name prefix.
    pub prefix: String,
    /// Number of accounts.
    pub accounts: usize,
    /// Clients per source address.
    pub per_source: usize,
    /// Salted-password cache.
    pub cache: Arc<SaltedCache>,
    /// Bound on every single wait for the server.
    pub io_timeout: Duration,
}

/// What to do after binding.
#[derive(Debug, Clone, Copy, Default)]
pub struct After {
    /// Fetch the roster (RFC 6121 §2.1.3) before presence.
    pub roster: bool,
    /// Send initial presence (RFC 6121 §4.2).
    pub presence: bool,
}

/// The roster as fetched at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterReply {
    /// Not asked.
    NotAsked,
    /// The server answered with an error: no roster support.
    Unsupported,
    /// Items, and how many of them have `subscription='both'`.
    Items {
        /// All items.
        total: usize,
        /// Mutual subscriptions.
        both: usize,
    },
}

/// An established session.
#[derive(Debug)]
pub struct Session {
    /// The stream.
    pub io: Io,
    /// The full JID the server bound.
    pub jid: String,
    /// Bytes received after negotiation that belong to the scanner.
    pub pending: Vec<u8>,
    /// The roster fetched at login.
    pub roster: RosterReply,
}

impl Session {
    /// Sends `</stream:stream>` and waits (bounded) for the server's closing tag or for it to
    /// close the connection; then the connection is dropped (RFC 6120 §4.4: once both sides
    /// have sent their closing tags, either may end the TCP connection).
    pub async fn logout(mut self, limit: Duration) -> Result<(), String> {
        self.io
            .write_all(b"</stream:stream>")
            .await
            .map_err(|e| format!("logout: {e}"))?;
        self.io.flush().await.map_err(|e| format!("logout: {e}"))?;
        let t0 = std::time::Instant::now();
        let mut seen = std::mem::take(&mut self.pending);
        let mut buf = vec![0; 4096];
        let wait = async {
            while memchr::memmem::find(&seen, b"</stream:stream>").is_none() {
                match self.io.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        // Only the tail can still hold the start of a split closing tag.
                        let keep = seen.len().saturating_sub(16);
                        seen.drain(..keep);
                        seen.extend_from_slice(buf.get(..n).unwrap_or_default());
                    }
                }
            }
        };
        let done = tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| "logout: the server did not close the stream".to_owned());
        trace(t0, "logged out");
        done
    }
}

/// A tag in every resource of this process, so that a run never binds a resource of an
/// earlier run's session that the server may still be tearing down (a conflict would
/// measure the server's conflict handling, RFC 6120 §7.7.2.2, instead of a login).
fn run_tag() -> u32 {
    std::process::id()
}

/// With `WAXWING_BENCH_TRACE` set, each login step's time goes to stderr (diagnosing a
/// server that is slow at one step).
fn trace(start: std::time::Instant, step: &str) {
    if std::env::var_os("WAXWING_BENCH_TRACE").is_some() {
        eprintln!("{:>9.3} ms {step}", start.elapsed().as_secs_f64() * 1000.0);
    }
}

/// The account name of client `index`.
pub fn account_name(ctx: &Ctx, index: usize) -> String {
    format!("{}{}", ctx.prefix, index % ctx.accounts.max(1))
}

struct Negotiation {
    io: Io,
    parser: Parser,
    /// Every byte fed to the parser since it last held nothing, so that what it still holds
    /// at hand-over can be given to the scanner.
    recent: Vec<u8>,
    buf: Vec<u8>,
    timeout: Duration,
}

fn stream_header(domain: &str) -> String {
    format!(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0'>"
    )
}

/// Escapes text for character data or an attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

impl Negotiation {
    async fn send(&mut self, data: &[u8]) -> Result<(), String> {
        self.io
            .write_all(data)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.io.flush().await.map_err(|e| format!("write: {e}"))
    }

    async fn next_element(&mut self) -> Result<Element, String> {
        loop {
            while let Some(ev) = self
                .parser
                .next_event()
                .map_err(|e| format!("server XML: {e}"))?
            {
                match ev {
                    Event::StreamStart(_) => {}
                    Event::Element(e) => {
                        if self.parser.buffered() == 0 {
                            self.recent.clear();
                        }
                        if e.is("error", waxwing_xml::STREAMS_NS) {
                            let cond = e.children().next().map(|c| c.name().to_owned());
                            return Err(format!("stream error: {}", cond.unwrap_or_default()));
                        }
                        return Ok(e);
                    }
                    Event::StreamEnd => return Err("the server closed the stream".to_owned()),
                }
            }
            if self.parser.buffered() == 0 {
                self.recent.clear();
            }
            self.buf.resize(READ_CHUNK, 0);
            let n = tokio::time::timeout(self.timeout, self.io.read(&mut self.buf))
                .await
                .map_err(|_| "timed out waiting for the server".to_owned())?
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("connection closed by the server".to_owned());
            }
            let chunk = self.buf.get(..n).unwrap_or_default();
            self.parser.feed(chunk);
            self.recent.extend_from_slice(chunk);
        }
    }

    async fn restart(&mut self, domain: &str) -> Result<Element, String> {
        self.parser.reset();
        self.recent.clear();
        self.send(stream_header(domain).as_bytes()).await?;
        let features = self.next_element().await?;
        if !features.is("features", waxwing_xml::STREAMS_NS) {
            return Err(format!(
                "expected stream features, got <{}>",
                features.name()
            ));
        }
        Ok(features)
    }

    /// Bytes the parser holds that no event covered yet.
    fn leftover(&self) -> Vec<u8> {
        let held = self.parser.buffered().min(self.recent.len());
        self.recent
            .get(self.recent.len() - held..)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }
}

async fn connect_tcp(ctx: &Ctx, index: usize) -> Result<TcpStream, String> {
    let socket = match ctx.target {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(|e| format!("socket: {e}"))?;
    if let Some(src) = crate::addr::source_for(ctx.target, index, ctx.per_source) {
        socket.bind(src).map_err(|e| format!("bind {src}: {e}"))?;
    }
    let stream = tokio::time::timeout(ctx.io_timeout, socket.connect(ctx.target))
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| format!("connect {}: {e}", ctx.target))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("nodelay: {e}"))?;
    Ok(stream)
}

async fn tls_wrap(ctx: &Ctx, tcp: TcpStream, config: &Arc<ClientConfig>) -> Result<Io, String> {
    let name = ServerName::try_from(ctx.domain.clone()).map_err(|e| format!("server name: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
    let tls = tokio::time::timeout(ctx.io_timeout, connector.connect(name, tcp))
        .await
        .map_err(|_| "TLS handshake timed out".to_owned())?
        .map_err(|e| format!("TLS handshake: {e}"))?;
    Ok(Io::Tls(Box::new(tls)))
}

fn mechanisms(features: &Element) -> Vec<String> {
    features
        .get_child("mechanisms", NS_SASL)
        .map(|m| {
            m.children()
                .filter(|c| c.name() == "mechanism")
                .map(|c| c.text().trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn sasl_client(ctx: &Ctx, user: &str) -> Result<Box<dyn ClientMechanism>, String> {
    let scram = |hash| {
        ScramClient::new(hash, user, &ctx.password, ClientBinding::Unsupported).map(|c| {
            Box::new(c.with_salted_password_source(ctx.cache.clone())) as Box<dyn ClientMechanism>
        })
    };
    match ctx.mech {
        Mech::ScramSha256 => scram(ScramHash::Sha256),
        Mech::ScramSha1 => scram(ScramHash::Sha1),
        Mech::Plain => PlainClient::new(user, &ctx.password, None)
            .map(|c| Box::new(c) as Box<dyn ClientMechanism>),
    }
    .map_err(|e| format!("SASL client: {e}"))
}

async fn authenticate(
    neg: &mut Negotiation,
    ctx: &Ctx,
    user: &str,
    features: &Element,
) -> Result<(), String> {
    let offered = mechanisms(features);
    if !offered.iter().any(|m| m == ctx.mech.name()) {
        return Err(format!(
            "{} not offered (offered: {})",
            ctx.mech.name(),
            offered.join(" ")
        ));
    }
    let mut mech = sasl_client(ctx, user)?;
    let initial = mech.initial_response().map_err(|e| format!("SASL: {e}"))?;
    let text = initial.map(|r| b64::encode(&r)).unwrap_or_default();
    neg.send(
        format!(
            "<auth xmlns='{NS_SASL}' mechanism='{}'>{text}</auth>",
            ctx.mech.name()
        )
        .as_bytes(),
    )
    .await?;
    // SCRAM needs two round trips; a bound keeps a confused server from looping us.
    for _ in 0..4 {
        let e = neg.next_element().await?;
        let data =
            || b64::decode_strict(e.text().trim()).map_err(|_| "SASL: bad Base64".to_owned());
        match e.name() {
            "challenge" => {
                let reply = mech
                    .respond(&data()?)
                    .map_err(|err| format!("SASL: {err}"))?;
                neg.send(
                    format!(
                        "<response xmlns='{NS_SASL}'>{}</response>",
                        b64::encode(&reply)
                    )
                    .as_bytes(),
                )
                .await?;
            }
            "success" => {
                let d = data()?;
                let extra = (!d.is_empty()).then_some(d.as_slice());
                return mech.finish(extra).map_err(|err| format!("SASL: {err}"));
            }
            "failure" => {
                let cond = e
                    .children()
                    .next()
                    .map(|c| c.name().to_owned())
                    .unwrap_or_default();
                return Err(format!("SASL failure for {user}: {cond}"));
            }
            other => return Err(format!("SASL: unexpected <{other}>")),
        }
    }
    Err("SASL: too many challenges".to_owned())
}

async fn iq(neg: &mut Negotiation, id: &str, request: &str) -> Result<Element, String> {
    neg.send(request.as_bytes()).await?;
    // Other stanzas (presence from earlier resources, pushes) may come first; bounded.
    for _ in 0..10_000 {
        let e = neg.next_element().await?;
        if e.name() == "iq" && e.attr("id") == Some(id) {
            return Ok(e);
        }
    }
    Err(format!("no answer to iq {id}"))
}

/// Logs client `index` in (account and resource from the index).
pub async fn login(ctx: &Ctx, index: usize, after: After) -> Result<Session, String> {
    let user = account_name(ctx, index);
    let t0 = std::time::Instant::now();
    let tcp = connect_tcp(ctx, index).await?;
    let io = match (ctx.transport, &ctx.tls_direct) {
        (Transport::Tls, Some(cfg)) => tls_wrap(ctx, tcp, cfg).await?,
        (Transport::Tls, None) => return Err("direct TLS without a TLS config".to_owned()),
        _ => Io::Plain(tcp),
    };
    let mut neg = Negotiation {
        io,
        parser: Parser::new(Limits::default()),
        recent: Vec::new(),
        buf: Vec::new(),
        timeout: ctx.io_timeout,
    };
    let mut features = neg.restart(&ctx.domain).await?;
    if ctx.transport == Transport::Starttls {
        if features.get_child("starttls", NS_TLS).is_none() {
            return Err("STARTTLS not offered".to_owned());
        }
        neg.send(format!("<starttls xmlns='{NS_TLS}'/>").as_bytes())
            .await?;
        let proceed = neg.next_element().await?;
        if proceed.name() != "proceed" {
            return Err(format!("STARTTLS refused: <{}>", proceed.name()));
        }
        let Io::Plain(tcp) = neg.io else {
            return Err("STARTTLS on a TLS stream".to_owned());
        };
        let cfg = ctx
            .tls_starttls
            .as_ref()
            .ok_or("STARTTLS without a TLS config")?;
        neg.io = tls_wrap(ctx, tcp, cfg).await?;
        features = neg.restart(&ctx.domain).await?;
    }
    trace(t0, "features");
    authenticate(&mut neg, ctx, &user, &features).await?;
    trace(t0, "authenticated");
    let features = neg.restart(&ctx.domain).await?;
    trace(t0, "restarted");
    if features.get_child("bind", NS_BIND).is_none() {
        return Err("resource binding not offered".to_owned());
    }
    let reply = iq(
        &mut neg,
        "b",
        &format!(
            "<iq type='set' id='b'><bind xmlns='{NS_BIND}'><resource>r{index}.{}</resource></bind></iq>",
            run_tag()
        ),
    )
    .await?;
    let jid = reply
        .get_child("bind", NS_BIND)
        .and_then(|b| b.get_child("jid", NS_BIND))
        .map(|j| j.text().trim().to_owned())
        .filter(|j| reply.attr("type") == Some("result") && !j.is_empty())
        .ok_or_else(|| format!("bind failed for {user}"))?;
    trace(t0, "bound");
    let mut roster = RosterReply::NotAsked;
    if after.roster {
        let reply = iq(
            &mut neg,
            "r",
            &format!("<iq type='get' id='r'><query xmlns='{NS_ROSTER}'/></iq>"),
        )
        .await?;
        roster = match (reply.attr("type"), reply.get_child("query", NS_ROSTER)) {
            (Some("result"), Some(q)) => {
                let items: Vec<&Element> = q.children().filter(|c| c.name() == "item").collect();
                RosterReply::Items {
                    total: items.len(),
                    both: items
                        .iter()
                        .filter(|i| i.attr("subscription") == Some("both"))
                        .count(),
                }
            }
            (Some("result"), None) => RosterReply::Items { total: 0, both: 0 },
            _ => RosterReply::Unsupported,
        };
    }
    if after.presence {
        neg.send(b"<presence/>").await?;
    }
    Ok(Session {
        pending: neg.leftover(),
        io: neg.io,
        jid,
        roster,
    })
}
