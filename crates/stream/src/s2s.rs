//! Sans-I/O server-to-server stream negotiation: [`S2sInbound`] for the receiving side,
//! [`S2sOutbound`] for the initiating side.
//!
//! - RFC 6120 §4.7–§4.8: headers in `jabber:server` with the dialback prefix declared
//!   (`xmlns:db='jabber:server:dialback'`), `from`/`to`, version 1.0.
//! - RFC 6120 §5: STARTTLS; RFC 6120 §6 and §13.7.2 with XEP-0178: SASL EXTERNAL with the
//!   peer's certificate (the transport checks it and answers through [`PeerCert`]).
//! - XEP-0220: dialback `<db:result/>` and `<db:verify/>`, errors (§2.4), piggybacking of
//!   further domain pairs on one stream (§2.5); keys per XEP-0185 ([`crate::s2s_dialback`]).
//! - RFC 6120 §4.9.3: `host-unknown` for a `to` we do not serve, `invalid-from` for a stanza
//!   whose `from` domain the stream did not authenticate, `improper-addressing` for a stanza
//!   without `to` or `from`, `not-authorized` for stanzas before authentication.
//!
//! # Decisions
//! - Only `jabber:server` as default namespace and the `stream` prefix are accepted, as for
//!   c2s; version 1.0 is required (pre-1.0 dialback-only peers are gone from the network).
//! - An `<auth mechanism='EXTERNAL'/>` without initial response is treated like `=` (no
//!   authorization identity): every current implementation sends one.
//! - Dialback with a peer whose certificate authenticates the claimed domain is answered
//!   `valid` without a `<db:verify/>` round trip (XEP-0344 §2.4).
//! - A domain pair authenticated by SASL EXTERNAL is (certificate domain, header `to`);
//!   further pairs need dialback on the same stream (XEP-0220 §2.5).
//! - Outbound, further local domains are piggybacked on a ready stream
//!   ([`S2sOutbound::add_pair`]) only when the peer's last features offer dialback with
//!   `<errors/>` (XEP-0220 §2.4), so that a refusal is a `type='error'` answer and not the
//!   end of the stream and of the pairs already on it.
//! - An outbound stream refuses to proceed when the peer's certificate does not check out
//!   and policy requires valid certificates for it: dialback authenticates us to the peer,
//!   but only the certificate authenticates the peer to us.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use waxwing_jid::{Jid, Profile, prepare_domainpart};
use waxwing_sasl::{Condition, Failure, Mechanism, b64};
use waxwing_stanza::{StanzaErrorCondition, StreamError, StreamErrorCondition, id, ns};
use waxwing_xml::{Attr, Element, Event, Limits, Parser, StreamHeader};

use crate::s2s_dialback::{self as db, DbBody, Verdict};
use crate::write::{write_stream_element, write_stream_end, write_stream_error};
use crate::{features, sasl, starttls};

/// Most domain pairs one inbound stream may authenticate (XEP-0220 §2.5 piggybacking), and
/// most dialback verifications outstanding on it: bounded state per connection.
pub const MAX_PAIRS: usize = 64;

/// Settings shared by all s2s streams.
#[derive(Debug, Clone)]
pub struct S2sConfig {
    /// The served domains, prepared.
    pub domains: Vec<String>,
    /// Parser limits (RFC 6120 §13.12).
    pub limits: Limits,
    /// The dialback secret (XEP-0185 §3).
    pub dialback_secret: Vec<u8>,
    /// Whether TLS is offered on inbound streams (we have certificates).
    pub tls_available: bool,
    /// Whether streams must be encrypted before anything else (RFC 7590).
    pub require_tls: bool,
    /// Default policy: whether peers must present valid certificates (no dialback).
    pub require_valid_certs: bool,
    /// Per-domain policy overrides: domain → whether valid certificates are required.
    pub cert_policy: BTreeMap<String, bool>,
    /// Preparation profile for domains.
    pub profile: Profile,
}

impl S2sConfig {
    /// Valid certificates required, TLS required and available, default limits.
    pub fn new<S: AsRef<str>>(domains: impl IntoIterator<Item = S>, secret: Vec<u8>) -> Self {
        let profile = Profile::default();
        Self {
            domains: domains
                .into_iter()
                .map(|d| {
                    prepare_domainpart(d.as_ref(), profile)
                        .unwrap_or_else(|_| d.as_ref().to_ascii_lowercase())
                })
                .collect(),
            limits: Limits::default(),
            dialback_secret: secret,
            tls_available: true,
            require_tls: true,
            require_valid_certs: true,
            cert_policy: BTreeMap::new(),
            profile,
        }
    }

    /// The served domain `d` names, prepared, if we serve it.
    pub fn served_domain(&self, d: &str) -> Option<&str> {
        let prepared = prepare_domainpart(d, self.profile).ok()?;
        self.domains
            .iter()
            .find(|x| **x == prepared)
            .map(String::as_str)
    }

    /// Whether dialback (without a valid certificate) is acceptable for `domain`.
    pub fn dialback_allowed(&self, domain: &str) -> bool {
        !self
            .cert_policy
            .get(domain)
            .copied()
            .unwrap_or(self.require_valid_certs)
    }
}

/// The transport's verdict on the peer's certificate: which domains it authenticates
/// (chain valid and identity matching per RFC 6125 / RFC 6120 §13.7.2).
#[derive(Clone)]
pub struct PeerCert(Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl PeerCert {
    /// A certificate check; `f(domain)` tells whether the certificate authenticates `domain`.
    pub fn new(f: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// No (usable) certificate.
    pub fn none() -> Self {
        Self::new(|_| false)
    }

    /// Whether the certificate authenticates `domain`.
    pub fn authenticates(&self, domain: &str) -> bool {
        (self.0)(domain)
    }
}

impl fmt::Debug for PeerCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PeerCert")
    }
}

/// How a domain pair was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// SASL EXTERNAL with the certificate (RFC 6120 §13.7.2, XEP-0178).
    External,
    /// Dialback (XEP-0220), or a certificate standing in for it (XEP-0344 §2.4).
    Dialback,
}

/// What an s2s negotiator asks the transport to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S2sAction {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Flush, run the TLS handshake (server side for [`S2sInbound`], client side for
    /// [`S2sOutbound`]), then call `tls_established`.
    StartTls,
    /// Inbound: ask the authoritative server of `originating` whether `key` is valid (XEP-0220
    /// §2.1.2) and answer with [`S2sInbound::dialback_verified`].
    VerifyDialback {
        /// The domain claiming to send.
        originating: String,
        /// Our domain it addresses.
        receiving: String,
        /// This stream's id.
        stream_id: String,
        /// The key to check.
        key: String,
    },
    /// Inbound: stanzas from `peer` to `local` are now accepted on this stream.
    Authenticated {
        /// The peer's domain.
        peer: String,
        /// Our domain.
        local: String,
        /// How.
        via: AuthMethod,
    },
    /// Outbound: the stream is authenticated; write stanzas with [`write_s2s_stanza`].
    Ready {
        /// How.
        via: AuthMethod,
    },
    /// Outbound: the peer's answer to a further domain pair piggybacked on this stream
    /// with [`S2sOutbound::add_pair`] (XEP-0220 §2.4 errors, multiplexing).
    Piggybacked {
        /// Our domain that asked.
        local: String,
        /// `valid`: stanzas from `local` may now be written; otherwise the refusal.
        verdict: Verdict,
    },
    /// Outbound, verification stream: the authoritative server's answer.
    Verified {
        /// Whether the key was valid.
        valid: bool,
    },
    /// Inbound: a stanza whose `from` and `to` were checked, already re-qualified into
    /// `jabber:client`.
    Stanza(Element),
    /// Our stream is closed (error and `</stream:stream>` in the preceding `Send`).
    Close {
        /// The stream error sent, if any.
        error: Option<StreamError>,
    },
    /// The peer closed its stream: close the connection.
    PeerClosed,
}

fn send(out: &mut Vec<S2sAction>, f: impl FnOnce(&mut Vec<u8>)) {
    if let Some(S2sAction::Send(buf)) = out.last_mut() {
        f(buf);
        return;
    }
    let mut buf = Vec::new();
    f(&mut buf);
    out.push(S2sAction::Send(buf));
}

fn send_el(out: &mut Vec<S2sAction>, el: &Element) {
    send(out, |b| write_s2s_stanza(el, b));
}

fn err(condition: StreamErrorCondition, text: &str) -> StreamError {
    StreamError::new(condition).with_text(Some("en"), text.to_owned())
}

/// Appends the XML declaration and an s2s stream header: `jabber:server`, the dialback
/// prefix, `from`, `to`, `id` (responses only) and version 1.0 (RFC 6120 §4.7, XEP-0220 §2.1).
pub fn write_s2s_header(from: Option<&str>, to: Option<&str>, id: Option<&str>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<?xml version='1.0'?>");
    let mut h = StreamHeader::new(ns::SERVER);
    h.prefixes.push(("db".into(), ns::DIALBACK.into()));
    if let Some(f) = from {
        h.attrs.push(Attr::new("from", f.to_owned()));
    }
    if let Some(i) = id {
        h.attrs.push(Attr::new("id", i.to_owned()));
    }
    if let Some(t) = to {
        h.attrs.push(Attr::new("to", t.to_owned()));
    }
    h.attrs.push(Attr::new("version", "1.0"));
    h.write_to(out);
}

/// Appends a stanza (or nonza) as written inside an s2s stream, whose default namespace is
/// `jabber:server`. Router stanzas are in `jabber:client`: written relative to that
/// namespace they carry no declaration and so take the stream's `jabber:server`
/// (RFC 6120 §4.8.3); stanzas already in `jabber:server` are written relative to it.
///
/// Dialback elements are written with the `db:` prefix our header declares
/// (`<db:result/>`, `<db:verify/>`): ejabberd matches the prefixed name literally and drops
/// a `<result xmlns='jabber:server:dialback'/>` it cannot decode.
pub fn write_s2s_stanza(el: &Element, out: &mut Vec<u8>) {
    match el.ns() {
        ns::STREAM => write_stream_element(el, out),
        ns::CLIENT => el.write_to(out, ns::CLIENT),
        ns::DIALBACK => {
            // Written as if in the stream's default namespace under a prefixed name: no
            // `xmlns` is declared, so the `db` prefix of the header qualifies the element
            // and its unprefixed children (`<error/>`) stay in `jabber:server`.
            let (_, name, attrs, nodes) = el.clone().into_parts();
            let prefixed =
                Element::from_parts(ns::SERVER.into(), format!("db:{name}").into(), attrs, nodes);
            prefixed.write_to(out, ns::SERVER);
        }
        _ => el.write_to(out, ns::SERVER),
    }
}

/// Checks the parts of a peer's header common to both directions.
fn check_header(h: &StreamHeader) -> Result<(), StreamErrorCondition> {
    let prefixed_stream = h
        .prefixes
        .iter()
        .any(|(p, u)| &**p == "stream" && &**u == ns::STREAM);
    if h.default_ns.as_deref() == Some(ns::STREAM) || !prefixed_stream {
        return Err(StreamErrorCondition::BadNamespacePrefix);
    }
    if h.default_ns.as_deref() != Some(ns::SERVER) {
        return Err(StreamErrorCondition::InvalidNamespace);
    }
    let major = h
        .attr("version")
        .and_then(|v| v.split_once('.'))
        .and_then(|(ma, mi)| {
            let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            (ok(ma) && ok(mi)).then(|| ma.trim_start_matches('0').len())
        });
    // Any major version >= 1 (RFC 6120 §4.7.5): a non-empty major once zeros are trimmed.
    if !matches!(major, Some(n) if n > 0) {
        return Err(StreamErrorCondition::UnsupportedVersion);
    }
    Ok(())
}

fn declares_dialback(h: &StreamHeader) -> bool {
    h.prefixes.iter().any(|(_, u)| &**u == ns::DIALBACK)
}

// ------------------------------------------------------------------------------------------------
// Receiving side
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InState {
    Header,
    Open,
    AwaitTls,
    Closing,
    Closed,
}

/// The receiving side of one s2s stream (RFC 6120 §4–§6, XEP-0220).
///
/// Feed bytes with [`S2sInbound::feed`] and perform the [`S2sAction`]s in order; answer
/// [`S2sAction::StartTls`] with [`S2sInbound::tls_established`] and
/// [`S2sAction::VerifyDialback`] with [`S2sInbound::dialback_verified`] (input keeps being
/// processed meanwhile: piggybacked requests may be in flight together).
#[derive(Debug)]
pub struct S2sInbound {
    cfg: Arc<S2sConfig>,
    parser: Parser,
    encrypted: bool,
    cert: PeerCert,
    header_sent: bool,
    stream_id: String,
    /// Our served domain named by the header's `to`.
    local: Option<String>,
    /// The header's `from`, prepared.
    peer: Option<String>,
    sasl_done: bool,
    /// Authenticated (peer, local) pairs.
    pairs: Vec<(String, String)>,
    /// Dialback requests sent for verification.
    pending: Vec<(String, String)>,
    state: InState,
}

impl S2sInbound {
    /// A new inbound connection; `encrypted` for direct TLS (XEP-0368), with the peer's
    /// certificate verdict.
    pub fn new(cfg: Arc<S2sConfig>, encrypted: bool, cert: PeerCert) -> Self {
        Self {
            parser: Parser::new(cfg.limits.clone()),
            cfg,
            encrypted,
            cert,
            header_sent: false,
            stream_id: id::stream_id(),
            local: None,
            peer: None,
            sasl_done: false,
            pairs: Vec::new(),
            pending: Vec::new(),
            state: InState::Header,
        }
    }

    /// The domain pairs authenticated so far, (peer, local).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Whether our stream is closing or closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, InState::Closing | InState::Closed)
    }

    /// Processes bytes from the peer.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<S2sAction>) {
        if matches!(self.state, InState::Closed | InState::AwaitTls) {
            return;
        }
        self.parser.feed(bytes);
        self.process(out);
    }

    /// Answers [`S2sAction::StartTls`]: the handshake is done and this is what the peer's
    /// certificate authenticates. The peer restarts the stream (RFC 6120 §5.4.3.3).
    pub fn tls_established(&mut self, cert: PeerCert, out: &mut Vec<S2sAction>) {
        if self.state != InState::AwaitTls {
            return;
        }
        self.encrypted = true;
        self.cert = cert;
        self.parser.reset();
        self.header_sent = false;
        self.state = InState::Header;
        self.process(out);
    }

    /// Answers [`S2sAction::VerifyDialback`] (XEP-0220 §2.1.4): the authoritative server's
    /// verdict, or the error reaching it (`remote-server-not-found`, `remote-server-timeout`).
    #[allow(clippy::needless_pass_by_value)] // the answer is handed over, like the others
    pub fn dialback_verified(
        &mut self,
        originating: &str,
        receiving: &str,
        verdict: Verdict,
        out: &mut Vec<S2sAction>,
    ) {
        let Some(i) = self
            .pending
            .iter()
            .position(|(o, r)| o == originating && r == receiving)
        else {
            return;
        };
        self.pending.swap_remove(i);
        if self.is_closed() {
            return;
        }
        self.answer_result(receiving, originating, &verdict, AuthMethod::Dialback, out);
    }

    /// Closes our stream (timeouts, shutdown).
    pub fn close(&mut self, error: Option<StreamError>, out: &mut Vec<S2sAction>) {
        if self.state == InState::AwaitTls {
            self.state = InState::Closed;
            out.push(S2sAction::Close { error });
            return;
        }
        self.close_with(error, out);
    }

    fn answer_result(
        &mut self,
        local: &str,
        peer: &str,
        verdict: &Verdict,
        via: AuthMethod,
        out: &mut Vec<S2sAction>,
    ) {
        let valid = *verdict == Verdict::Valid;
        send_el(out, &db::result_answer(local, peer, verdict));
        if valid && !self.pairs.iter().any(|(p, l)| p == peer && l == local) {
            self.pairs.push((peer.to_owned(), local.to_owned()));
            out.push(S2sAction::Authenticated {
                peer: peer.to_owned(),
                local: local.to_owned(),
                via,
            });
        }
    }

    fn process(&mut self, out: &mut Vec<S2sAction>) {
        loop {
            if matches!(self.state, InState::Closed | InState::AwaitTls) {
                return;
            }
            let ev = match self.parser.next_event() {
                Ok(Some(ev)) => ev,
                Ok(None) => return,
                Err(e) => {
                    if self.state == InState::Closing {
                        self.state = InState::Closed;
                    } else {
                        let se = StreamError::new(e.condition().into())
                            .with_text(Some("en"), e.to_string());
                        self.close_with(Some(se), out);
                    }
                    return;
                }
            };
            match ev {
                Event::StreamStart(h) => {
                    if self.state == InState::Header {
                        self.on_header(&h, out);
                    }
                }
                Event::Element(el) => self.on_element(el, out),
                Event::StreamEnd => {
                    if self.state != InState::Closing {
                        send(out, write_stream_end);
                    }
                    self.state = InState::Closed;
                    out.push(S2sAction::PeerClosed);
                }
            }
        }
    }

    fn write_header(&self, out: &mut Vec<S2sAction>) {
        let from = self
            .local
            .as_deref()
            .or_else(|| self.cfg.domains.first().map(String::as_str));
        send(out, |b| {
            write_s2s_header(from, self.peer.as_deref(), Some(&self.stream_id), b);
        });
    }

    fn starttls_offered(&self) -> bool {
        !self.encrypted && self.cfg.tls_available
    }

    fn on_header(&mut self, h: &StreamHeader, out: &mut Vec<S2sAction>) {
        // A fresh id for every stream, restarts included (RFC 6120 §4.7.3): dialback keys
        // are bound to it.
        self.stream_id = id::stream_id();
        self.local = h
            .attr("to")
            .and_then(|t| self.cfg.served_domain(t))
            .map(str::to_owned);
        self.peer = h
            .attr("from")
            .and_then(|f| prepare_domainpart(f, self.cfg.profile).ok());
        self.write_header(out);
        self.header_sent = true;
        let verdict = check_header(h).and_then(|()| {
            if self.local.is_none() {
                Err(StreamErrorCondition::HostUnknown)
            } else if h.attr("from").is_some() && self.peer.is_none() {
                Err(StreamErrorCondition::InvalidFrom)
            } else {
                Ok(())
            }
        });
        if let Err(c) = verdict {
            self.close_with(Some(StreamError::new(c)), out);
            return;
        }
        let mut children = Vec::new();
        if self.starttls_offered() {
            children.push(features::starttls(self.cfg.require_tls));
        }
        let may_auth = self.encrypted || !self.cfg.require_tls;
        if may_auth
            && !self.sasl_done
            && self
                .peer
                .as_deref()
                .is_some_and(|p| self.cert.authenticates(p))
        {
            children.push(Element::new(ns::XMPP_SASL, "mechanisms").with_child(
                Element::new(ns::XMPP_SASL, "mechanism").with_text(Mechanism::External.name()),
            ));
        }
        if may_auth {
            // XEP-0220 §2.1.1: the feature, with XEP-0220 §2.4 error support announced.
            children.push(
                Element::new(ns::DIALBACK_FEATURE, "dialback")
                    .with_child(Element::new(ns::DIALBACK_FEATURE, "errors")),
            );
        }
        let f = features::features(children);
        send(out, |b| write_stream_element(&f, b));
        self.state = InState::Open;
    }

    fn on_element(&mut self, el: Element, out: &mut Vec<S2sAction>) {
        if self.state != InState::Open {
            return;
        }
        if el.is("error", ns::STREAM) {
            self.close_with(None, out);
            return;
        }
        if starttls::is_starttls(&el) {
            if self.starttls_offered() {
                send_el(out, &starttls::proceed());
                out.push(S2sAction::StartTls);
                self.state = InState::AwaitTls;
            } else {
                send_el(out, &starttls::failure());
                self.close_with(None, out);
            }
            return;
        }
        if self.cfg.require_tls && !self.encrypted {
            let e = err(StreamErrorCondition::PolicyViolation, "TLS is required");
            self.close_with(Some(e), out);
            return;
        }
        match el.ns() {
            ns::XMPP_SASL => self.on_sasl(&el, out),
            ns::DIALBACK => self.on_dialback(&el, out),
            ns::SERVER if matches!(el.name(), "message" | "presence" | "iq") => {
                self.on_stanza(el, out);
            }
            _ => {
                let e = err(StreamErrorCondition::UnsupportedStanzaType, "not a stanza");
                self.close_with(Some(e), out);
            }
        }
    }

    fn on_sasl(&mut self, el: &Element, out: &mut Vec<S2sAction>) {
        if self.sasl_done {
            let e = err(
                StreamErrorCondition::PolicyViolation,
                "already authenticated",
            );
            self.close_with(Some(e), out);
            return;
        }
        let fail = |c: Condition, out: &mut Vec<S2sAction>| {
            send_el(out, &sasl::failure(&Failure::new(c)));
        };
        let (mechanism, payload) = match sasl::read(el) {
            Some(sasl::Command::Auth { mechanism, payload }) => (mechanism, payload),
            Some(sasl::Command::Abort) => return fail(Condition::Aborted, out),
            _ => return fail(Condition::MalformedRequest, out),
        };
        if mechanism.as_deref() != Some(Mechanism::External.name()) {
            return fail(Condition::InvalidMechanism, out);
        }
        let authzid = match payload {
            Ok(p) => p.unwrap_or_default(),
            Err(c) => return fail(c, out),
        };
        // XEP-0178 §3: the authorization identity, when given, is the originating domain;
        // otherwise the header's `from` names it.
        let claimed = if authzid.is_empty() {
            self.peer.clone()
        } else {
            std::str::from_utf8(&authzid)
                .ok()
                .and_then(|z| prepare_domainpart(z, self.cfg.profile).ok())
        };
        let Some(peer) = claimed else {
            return fail(Condition::InvalidAuthzid, out);
        };
        let Some(local) = self.local.clone() else {
            return fail(Condition::NotAuthorized, out);
        };
        if !self.cert.authenticates(&peer) {
            return fail(Condition::NotAuthorized, out);
        }
        send_el(out, &sasl::success(None));
        self.pairs.push((peer.clone(), local.clone()));
        out.push(S2sAction::Authenticated {
            peer,
            local,
            via: AuthMethod::External,
        });
        // RFC 6120 §6.4.6: the stream restarts.
        self.sasl_done = true;
        self.parser.reset();
        self.header_sent = false;
        self.state = InState::Header;
    }

    fn on_dialback(&mut self, el: &Element, out: &mut Vec<S2sAction>) {
        let Some(req) = db::parse(el) else {
            let e = err(
                StreamErrorCondition::InvalidXml,
                "malformed dialback element",
            );
            self.close_with(Some(e), out);
            return;
        };
        let DbBody::Key(key) = req.body else {
            return; // answers only come on streams we initiate
        };
        let Ok(originating) = prepare_domainpart(&req.from, self.cfg.profile) else {
            let e = err(StreamErrorCondition::InvalidFrom, "invalid dialback from");
            self.close_with(Some(e), out);
            return;
        };
        let local = self.cfg.served_domain(&req.to).map(str::to_owned);
        if el.name() == "verify" {
            // We are the authoritative server for `to` (XEP-0220 §2.1.3).
            let stream_id = req.id.unwrap_or_default();
            let verdict = match &local {
                None => Verdict::Error(StanzaErrorCondition::ItemNotFound),
                Some(l) => {
                    let ok = db::verify_key(
                        &self.cfg.dialback_secret,
                        &originating,
                        l,
                        &stream_id,
                        &key,
                    );
                    if ok { Verdict::Valid } else { Verdict::Invalid }
                }
            };
            let from = local.as_deref().unwrap_or(&req.to);
            send_el(
                out,
                &db::verify_answer(from, &originating, &stream_id, &verdict),
            );
            return;
        }
        let Some(local) = local else {
            let v = Verdict::Error(StanzaErrorCondition::ItemNotFound);
            send_el(out, &db::result_answer(&req.to, &originating, &v));
            return;
        };
        if self.cert.authenticates(&originating) && self.encrypted {
            self.answer_result(
                &local,
                &originating,
                &Verdict::Valid,
                AuthMethod::Dialback,
                out,
            );
            return;
        }
        if !self.cfg.dialback_allowed(&originating) {
            let v = Verdict::Error(StanzaErrorCondition::PolicyViolation);
            send_el(out, &db::result_answer(&local, &originating, &v));
            return;
        }
        if self.pending.len() + self.pairs.len() >= MAX_PAIRS {
            let v = Verdict::Error(StanzaErrorCondition::ResourceConstraint);
            send_el(out, &db::result_answer(&local, &originating, &v));
            return;
        }
        if self
            .pending
            .iter()
            .any(|(o, r)| *o == originating && *r == local)
        {
            return; // a repeat while the first is being verified
        }
        self.pending.push((originating.clone(), local.clone()));
        out.push(S2sAction::VerifyDialback {
            originating,
            receiving: local,
            stream_id: self.stream_id.clone(),
            key,
        });
    }

    fn on_stanza(&mut self, mut el: Element, out: &mut Vec<S2sAction>) {
        if self.pairs.is_empty() {
            let e = err(StreamErrorCondition::NotAuthorized, "not authenticated");
            self.close_with(Some(e), out);
            return;
        }
        let profile = self.cfg.profile;
        let parse = |a: Option<&str>| a.map(|v| Jid::parse_with(v, profile));
        let (Some(from), Some(to)) = (parse(el.attr("from")), parse(el.attr("to"))) else {
            let e = err(
                StreamErrorCondition::ImproperAddressing,
                "stanza without from or to",
            );
            self.close_with(Some(e), out);
            return;
        };
        let Ok(from) = from else {
            let e = err(StreamErrorCondition::InvalidFrom, "malformed from");
            self.close_with(Some(e), out);
            return;
        };
        let Ok(to) = to else {
            let e = err(StreamErrorCondition::ImproperAddressing, "malformed to");
            self.close_with(Some(e), out);
            return;
        };
        let Some(local) = self.cfg.served_domain(to.domain()) else {
            let e = err(
                StreamErrorCondition::HostUnknown,
                "we do not serve that domain",
            );
            self.close_with(Some(e), out);
            return;
        };
        if !self
            .pairs
            .iter()
            .any(|(p, l)| p == from.domain() && l == local)
        {
            let e = err(
                StreamErrorCondition::InvalidFrom,
                "from domain not authenticated on this stream",
            );
            self.close_with(Some(e), out);
            return;
        }
        waxwing_stanza::server_to_client_ns(&mut el);
        out.push(S2sAction::Stanza(el));
    }

    fn close_with(&mut self, error: Option<StreamError>, out: &mut Vec<S2sAction>) {
        if self.is_closed() {
            return;
        }
        if !self.header_sent {
            self.write_header(out);
            self.header_sent = true;
        }
        send(out, |b| {
            if let Some(e) = &error {
                write_stream_error(e, b);
            }
            write_stream_end(b);
        });
        out.push(S2sAction::Close { error });
        self.state = InState::Closing;
    }
}

// ------------------------------------------------------------------------------------------------
// Initiating side
// ------------------------------------------------------------------------------------------------

/// Why an outbound stream is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// To send stanzas from `local` to `remote`.
    Authenticate,
    /// To ask `remote` (the authoritative server) about a key another server presented to
    /// us on stream `stream_id` (XEP-0220 §2.1.2).
    Verify {
        /// The stream id of the inbound stream.
        stream_id: String,
        /// The key received.
        key: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutState {
    Header,
    Features,
    AwaitProceed,
    AwaitTls,
    AwaitSasl,
    AwaitResult,
    AwaitVerify,
    Ready,
    Closing,
    Closed,
}

/// The initiating side of one s2s stream, from `local` to `remote`.
///
/// Call [`S2sOutbound::start`] once connected, feed bytes, perform the actions; answer
/// [`S2sAction::StartTls`] with [`S2sOutbound::tls_established`].
#[derive(Debug)]
#[allow(clippy::struct_excessive_bools)] // independent facts about one stream
pub struct S2sOutbound {
    cfg: Arc<S2sConfig>,
    parser: Parser,
    local: String,
    remote: String,
    purpose: Purpose,
    encrypted: bool,
    cert_ok: bool,
    stream_id: Option<String>,
    dialback_offered: bool,
    sasl_done: bool,
    tried_external: bool,
    /// The last features offered dialback with `<errors/>` (XEP-0220 §2.4): further
    /// domain pairs may be piggybacked, a refusal does not cost the stream.
    piggyback: bool,
    /// Further local domains whose `<db:result/>` awaits its answer.
    joining: Vec<String>,
    failure: Option<String>,
    state: OutState,
}

impl S2sOutbound {
    /// A stream about to be opened; `encrypted`/`cert_ok` for direct TLS (XEP-0368).
    pub fn new(
        cfg: Arc<S2sConfig>,
        local: &str,
        remote: &str,
        purpose: Purpose,
        encrypted: bool,
        cert_ok: bool,
    ) -> Self {
        Self {
            parser: Parser::new(cfg.limits.clone()),
            cfg,
            local: local.to_owned(),
            remote: remote.to_owned(),
            purpose,
            encrypted,
            cert_ok,
            stream_id: None,
            dialback_offered: false,
            sasl_done: false,
            tried_external: false,
            piggyback: false,
            joining: Vec::new(),
            failure: None,
            state: OutState::Header,
        }
    }

    /// Writes our stream header.
    pub fn start(&mut self, out: &mut Vec<S2sAction>) {
        send(out, |b| {
            write_s2s_header(Some(&self.local), Some(&self.remote), None, b);
        });
    }

    /// Why negotiation failed, for logs.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Whether the stream is ready for stanzas.
    pub fn is_ready(&self) -> bool {
        self.state == OutState::Ready
    }

    /// Whether our stream is closing or closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, OutState::Closing | OutState::Closed)
    }

    /// Whether a further local domain may be piggybacked on this stream: it is ready, it
    /// sends stanzas (not a verification stream), and the peer's last features offered
    /// dialback with `<errors/>` (XEP-0220 §2.4). Without `<errors/>` a peer may answer a
    /// refused pair by closing the whole stream, so we do not risk the pairs already on it.
    /// This holds after SASL EXTERNAL too, when the post-authentication features still
    /// offer dialback (Waxwing's do; XEP-0220 does not tie dialback to the absence of SASL):
    /// the new pair is then authenticated by dialback, or by the certificate standing in
    /// for it (XEP-0344 §2.4).
    pub fn can_piggyback(&self) -> bool {
        self.state == OutState::Ready
            && self.piggyback
            && self.purpose == Purpose::Authenticate
            && self.stream_id.is_some()
            && self.joining.len() < MAX_PAIRS
    }

    /// Asks the peer to accept stanzas from our domain `local` on this stream too
    /// (XEP-0220 multiplexing): writes its `<db:result/>` with a key bound to this stream's
    /// id; the answer comes as [`S2sAction::Piggybacked`]. False (nothing written) when
    /// [`Self::can_piggyback`] does not hold, `local` is the stream's own domain or is
    /// already being asked for.
    pub fn add_pair(&mut self, local: &str, out: &mut Vec<S2sAction>) -> bool {
        if !self.can_piggyback() || local == self.local || self.joining.iter().any(|l| l == local) {
            return false;
        }
        let Some(stream_id) = self.stream_id.as_deref() else {
            return false;
        };
        let key = db::key(&self.cfg.dialback_secret, &self.remote, local, stream_id);
        send_el(out, &db::result_request(local, &self.remote, &key));
        self.joining.push(local.to_owned());
        true
    }

    /// Processes bytes from the peer.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<S2sAction>) {
        if matches!(self.state, OutState::Closed | OutState::AwaitTls) {
            return;
        }
        self.parser.feed(bytes);
        self.process(out);
    }

    /// Answers [`S2sAction::StartTls`]: the handshake is done; `cert_ok` tells whether the
    /// peer's certificate authenticates the remote domain. The stream restarts.
    pub fn tls_established(&mut self, cert_ok: bool, out: &mut Vec<S2sAction>) {
        if self.state != OutState::AwaitTls {
            return;
        }
        self.encrypted = true;
        self.cert_ok = cert_ok;
        self.parser.reset();
        self.state = OutState::Header;
        self.start(out);
    }

    /// Closes our stream (idle timeout, shutdown).
    pub fn close(&mut self, error: Option<StreamError>, out: &mut Vec<S2sAction>) {
        if self.state == OutState::AwaitTls {
            self.state = OutState::Closed;
            out.push(S2sAction::Close { error });
            return;
        }
        self.close_with(error, out);
    }

    fn process(&mut self, out: &mut Vec<S2sAction>) {
        loop {
            if matches!(self.state, OutState::Closed | OutState::AwaitTls) {
                return;
            }
            let ev = match self.parser.next_event() {
                Ok(Some(ev)) => ev,
                Ok(None) => return,
                Err(e) => {
                    if self.state == OutState::Closing {
                        self.state = OutState::Closed;
                    } else {
                        self.failure = Some(format!("peer sent bad XML: {e}"));
                        let se = StreamError::new(e.condition().into());
                        self.close_with(Some(se), out);
                    }
                    return;
                }
            };
            match ev {
                Event::StreamStart(h) => {
                    if self.state == OutState::Header {
                        self.on_header(&h, out);
                    }
                }
                Event::Element(el) => self.on_element(&el, out),
                Event::StreamEnd => {
                    if self.state != OutState::Closing {
                        if self.state != OutState::Ready && self.failure.is_none() {
                            self.failure = Some("peer closed the stream".into());
                        }
                        send(out, write_stream_end);
                    }
                    self.state = OutState::Closed;
                    out.push(S2sAction::PeerClosed);
                }
            }
        }
    }

    fn fail(&mut self, reason: String, error: Option<StreamError>, out: &mut Vec<S2sAction>) {
        self.failure = Some(reason);
        self.close_with(error, out);
    }

    fn on_header(&mut self, h: &StreamHeader, out: &mut Vec<S2sAction>) {
        if let Err(c) = check_header(h) {
            self.fail(
                format!("bad stream header: {}", c.as_str()),
                Some(StreamError::new(c)),
                out,
            );
            return;
        }
        self.stream_id = h.attr("id").map(str::to_owned);
        self.dialback_offered = declares_dialback(h);
        self.state = OutState::Features;
    }

    fn on_element(&mut self, el: &Element, out: &mut Vec<S2sAction>) {
        if el.is("error", ns::STREAM) {
            let text = waxwing_stanza::StreamError::from_element(el).map_or_else(
                |_| "stream error".to_owned(),
                |e| e.condition.as_str().to_owned(),
            );
            self.failure = Some(format!("peer sent a stream error: {text}"));
            self.close_with(None, out);
            return;
        }
        match self.state {
            OutState::Features if el.is("features", ns::STREAM) => self.on_features(el, out),
            OutState::AwaitProceed if el.is("proceed", ns::XMPP_TLS) => {
                out.push(S2sAction::StartTls);
                self.state = OutState::AwaitTls;
            }
            OutState::AwaitSasl if el.is("success", ns::XMPP_SASL) => {
                self.sasl_done = true;
                self.parser.reset();
                self.state = OutState::Header;
                self.start(out);
            }
            OutState::AwaitSasl if el.is("failure", ns::XMPP_SASL) => {
                self.tried_external = true;
                self.authenticate(out);
            }
            OutState::AwaitResult if el.is("result", ns::DIALBACK) => {
                match db::parse(el).map(|d| d.body) {
                    Some(DbBody::Verdict(Verdict::Valid)) => {
                        self.state = OutState::Ready;
                        out.push(S2sAction::Ready {
                            via: AuthMethod::Dialback,
                        });
                    }
                    other => {
                        self.fail(format!("dialback refused: {other:?}"), None, out);
                    }
                }
            }
            OutState::AwaitVerify if el.is("verify", ns::DIALBACK) => {
                let valid = db::parse(el).is_some_and(|d| {
                    d.body == DbBody::Verdict(Verdict::Valid)
                        && matches!(&self.purpose, Purpose::Verify { stream_id, .. } if d.id.as_deref() == Some(stream_id))
                });
                out.push(S2sAction::Verified { valid });
                self.close_with(None, out);
            }
            OutState::Ready if el.is("result", ns::DIALBACK) => self.on_piggyback_answer(el, out),
            OutState::Ready => {
                // s2s streams are unidirectional (RFC 6120 §4.2): nothing else is expected
                // back.
            }
            _ => {
                let reason = format!("unexpected <{}/> from peer", el.name());
                let e = err(
                    StreamErrorCondition::UnsupportedStanzaType,
                    "unexpected element",
                );
                self.fail(reason, Some(e), out);
            }
        }
    }

    /// The answer to a piggybacked pair; answers for pairs we did not ask about (or from
    /// another domain than the peer's) are ignored: the peer cannot make us trust a pair.
    fn on_piggyback_answer(&mut self, el: &Element, out: &mut Vec<S2sAction>) {
        let Some(d) = db::parse(el) else { return };
        let DbBody::Verdict(verdict) = d.body else {
            return;
        };
        if !d.from.eq_ignore_ascii_case(&self.remote) {
            return;
        }
        let Some(i) = self
            .joining
            .iter()
            .position(|l| l.eq_ignore_ascii_case(&d.to))
        else {
            return;
        };
        let local = self.joining.swap_remove(i);
        out.push(S2sAction::Piggybacked { local, verdict });
    }

    fn on_features(&mut self, f: &Element, out: &mut Vec<S2sAction>) {
        self.piggyback = f
            .get_child("dialback", ns::DIALBACK_FEATURE)
            .is_some_and(|d| d.has_child("errors", ns::DIALBACK_FEATURE));
        if self.sasl_done {
            self.state = OutState::Ready;
            out.push(S2sAction::Ready {
                via: AuthMethod::External,
            });
            return;
        }
        if !self.encrypted {
            if f.has_child("starttls", ns::XMPP_TLS) {
                send_el(out, &Element::new(ns::XMPP_TLS, "starttls"));
                self.state = OutState::AwaitProceed;
                return;
            }
            if self.cfg.require_tls {
                let e = err(StreamErrorCondition::PolicyViolation, "TLS is required");
                self.fail("peer does not offer TLS".into(), Some(e), out);
                return;
            }
        }
        if !self.cert_ok && !self.cfg.dialback_allowed(&self.remote) {
            let e = err(
                StreamErrorCondition::PolicyViolation,
                "certificate not valid",
            );
            self.fail("peer certificate does not check out".into(), Some(e), out);
            return;
        }
        self.dialback_offered |= f.has_child("dialback", ns::DIALBACK_FEATURE);
        if let Purpose::Verify { stream_id, key } = &self.purpose {
            let v = db::verify_request(&self.local, &self.remote, stream_id, key);
            send_el(out, &v);
            self.state = OutState::AwaitVerify;
            return;
        }
        self.tried_external = !(self.cert_ok
            && f.get_child("mechanisms", ns::XMPP_SASL).is_some_and(|m| {
                m.children()
                    .any(|c| c.name() == "mechanism" && c.text() == Mechanism::External.name())
            }));
        self.authenticate(out);
    }

    fn authenticate(&mut self, out: &mut Vec<S2sAction>) {
        if !self.tried_external {
            let auth = Element::new(ns::XMPP_SASL, "auth")
                .with_attr("mechanism", Mechanism::External.name())
                .with_text(b64::encode(self.local.as_bytes()));
            send_el(out, &auth);
            self.state = OutState::AwaitSasl;
            return;
        }
        let Some(stream_id) = self.stream_id.clone().filter(|_| self.dialback_offered) else {
            self.fail("no usable authentication method".into(), None, out);
            return;
        };
        let key = db::key(
            &self.cfg.dialback_secret,
            &self.remote,
            &self.local,
            &stream_id,
        );
        send_el(out, &db::result_request(&self.local, &self.remote, &key));
        self.state = OutState::AwaitResult;
    }

    fn close_with(&mut self, error: Option<StreamError>, out: &mut Vec<S2sAction>) {
        if self.is_closed() {
            return;
        }
        send(out, |b| {
            if let Some(e) = &error {
                write_stream_error(e, b);
            }
            write_stream_end(b);
        });
        out.push(S2sAction::Close { error });
        self.state = OutState::Closing;
    }
}
