//! The client-to-server negotiator: a state machine fed with bytes that returns actions.

use std::sync::Arc;

use waxwing_jid::{BareJid, FullJid};
use waxwing_sasl::{
    ChannelBindings, Condition, Failure, Identity, ServerContext, ServerMechanism, Step, Success,
};
use waxwing_stanza::{
    StanzaError, StanzaErrorCondition, StreamError, StreamErrorCondition, id, ns,
};
use waxwing_xml::{ByteString, Element, Event, Parser, StreamHeader};

use crate::action::{Action, CredentialsLookup};
use crate::config::{C2sConfig, ConnInfo, TlsMode};
use crate::header::{self, DEFAULT_LANG};
use crate::sasl::Command;
use crate::write::{
    ResponseHeader, write_response_header, write_stanza, write_stream_element, write_stream_end,
    write_stream_error,
};
use crate::{bind, features, sasl, session, starttls};

/// What the current stream negotiates; decides the features and which elements are valid.
#[derive(Debug, Clone)]
enum Stage {
    /// Before TLS, with STARTTLS offered (required or not).
    Tls,
    /// Authentication (TLS done, direct, or not offered).
    Sasl,
    /// After SASL: resource binding for this user.
    Bind(BareJid),
}

/// A SASL exchange in progress.
#[derive(Debug)]
struct Exchange {
    mech: Box<dyn ServerMechanism>,
    /// The stage to return to when the exchange fails.
    back: Stage,
    /// Whether a [`Action::FetchCredentials`] is unanswered.
    awaiting: bool,
    /// Whether the account turned out to be disabled.
    disabled: bool,
}

#[derive(Debug)]
enum State {
    /// Waiting for the client's stream header (at the start and after each restart).
    Header(Stage),
    /// Stream open, features sent.
    Open(Stage),
    /// `<proceed/>` sent; the TLS handshake is the caller's.
    AwaitTls,
    /// A SASL exchange is in progress.
    Sasl(Box<Exchange>),
    /// [`Action::Bind`] emitted and unanswered.
    AwaitBind { user: BareJid, id: ByteString },
    /// Negotiation done.
    Bound(FullJid),
    /// Our stream is closed; waiting for the peer's `</stream:stream>`.
    Closing,
    /// Both streams closed, or the connection given up.
    Closed,
    /// Placeholder while a handler owns the real state; every handler replaces it.
    Taken,
}

/// Sans-I/O negotiation of one client-to-server stream (RFC 6120 §4–§7).
///
/// # Contract with the network layer
/// - Feed every byte read with [`C2sNegotiator::feed`] and perform the returned
///   [`Action`]s in order. Actions are appended to `out`; a trailing [`Action::Send`] may be
///   extended by the next call, so drain `out` after each call.
/// - [`Action::StartTls`], [`Action::FetchCredentials`] and [`Action::Bind`] are questions:
///   until the matching answer ([`C2sNegotiator::tls_established`],
///   [`C2sNegotiator::credentials`], [`C2sNegotiator::bind_result`]) the negotiator processes
///   no input. Stop reading meanwhile; bytes fed anyway are buffered up to
///   [`waxwing_xml::Limits::max_stanza_bytes`] (beyond that: `policy-violation`), except
///   during the TLS handshake, when they are discarded (RFC 6120 §5.4.3.3).
/// - After [`Action::Bound`] every top-level element arrives as [`Action::Stanza`] or
///   [`Action::Nonza`]; write outbound stanzas with [`crate::write_stanza`].
/// - [`Action::Close`] and [`Action::PeerClosed`] end the stream; see their docs for when
///   to close the socket. [`C2sNegotiator::close`] closes from our side (timeouts, a
///   `<conflict/>` from a newer session, shutdown).
///
/// Every protocol error is fatal or answered exactly as documented on the crate.
#[derive(Debug)]
pub struct C2sNegotiator {
    cfg: Arc<C2sConfig>,
    parser: Parser,
    encrypted: bool,
    bindings: ChannelBindings,
    /// The served domain named by the first accepted header; fixed for the connection.
    domain: Option<ByteString>,
    lang: ByteString,
    /// Whether our header for the current stream has been written.
    header_sent: bool,
    failures: u32,
    state: State,
}

fn send(out: &mut Vec<Action>, f: impl FnOnce(&mut Vec<u8>)) {
    if let Some(Action::Send(buf)) = out.last_mut() {
        f(buf);
        return;
    }
    let mut buf = Vec::new();
    f(&mut buf);
    out.push(Action::Send(buf));
}

fn send_el(out: &mut Vec<Action>, el: &Element) {
    send(out, |b| write_stanza(el, b));
}

fn stream_error(condition: StreamErrorCondition, text: &str) -> StreamError {
    StreamError::new(condition).with_text(Some("en"), text.to_owned())
}

impl C2sNegotiator {
    /// A negotiator for a new connection, waiting for the client's stream header.
    pub fn new(cfg: Arc<C2sConfig>, conn: ConnInfo) -> Self {
        let parser = Parser::new(cfg.limits.clone());
        let stage = if !conn.encrypted && matches!(cfg.tls, TlsMode::StartTls { .. }) {
            Stage::Tls
        } else {
            Stage::Sasl
        };
        Self {
            cfg,
            parser,
            encrypted: conn.encrypted,
            bindings: conn.channel_bindings,
            domain: None,
            lang: ByteString::from_static(DEFAULT_LANG),
            header_sent: false,
            failures: 0,
            state: State::Header(stage),
        }
    }

    /// Processes bytes read from the peer.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Action>) {
        if matches!(self.state, State::Closed | State::AwaitTls) {
            return;
        }
        self.parser.feed(bytes);
        if self.paused() {
            if self.parser.buffered() > self.cfg.limits.max_stanza_bytes {
                let err = stream_error(
                    StreamErrorCondition::PolicyViolation,
                    "too much data while a request was pending",
                );
                self.close_with(Some(err), out);
            }
            return;
        }
        self.process(out);
    }

    /// Answers [`Action::StartTls`]: the handshake succeeded and these are the session's
    /// channel bindings (RFC 9266 `tls-exporter`, RFC 5929 `tls-server-end-point`). The
    /// client now restarts the stream (RFC 6120 §5.4.3.3). Ignored in any other state.
    pub fn tls_established(&mut self, bindings: ChannelBindings, out: &mut Vec<Action>) {
        if !matches!(self.state, State::AwaitTls) {
            return;
        }
        self.encrypted = true;
        self.bindings = bindings;
        self.state = State::Header(Stage::Sasl);
        self.process(out);
    }

    /// Answers [`Action::FetchCredentials`]. Ignored unless a look-up is pending.
    pub fn credentials(&mut self, lookup: CredentialsLookup, out: &mut Vec<Action>) {
        let mut ex = match self.take_state() {
            State::Sasl(ex) if ex.awaiting => ex,
            other => {
                self.state = other;
                return;
            }
        };
        ex.awaiting = false;
        let step = match lookup {
            CredentialsLookup::Found(c) => ex.mech.provide_credentials(Some(&c)),
            CredentialsLookup::Disabled(c) => {
                ex.disabled = true;
                ex.mech.provide_credentials(Some(&c))
            }
            CredentialsLookup::NotFound => ex.mech.provide_credentials(None),
            CredentialsLookup::Unavailable => {
                Step::Failure(Failure::new(Condition::TemporaryAuthFailure))
            }
        };
        self.on_step(ex, step, out);
        self.process(out);
    }

    /// Answers [`Action::Bind`]: the JID to bind (its bare part must be the authenticated
    /// user's), or the stanza error to return (RFC 6120 §7.7.2). After an error the client
    /// may try again. Ignored unless a bind is pending.
    pub fn bind_result(&mut self, res: Result<FullJid, StanzaError>, out: &mut Vec<Action>) {
        let (user, iq_id) = match self.take_state() {
            State::AwaitBind { user, id } => (user, id),
            other => {
                self.state = other;
                return;
            }
        };
        match res {
            Ok(jid) if jid.to_bare() != user => {
                let err = StanzaError::new(StanzaErrorCondition::InternalServerError);
                send_el(out, &bind::error_reply(Some(&iq_id), &err));
                self.state = State::Open(Stage::Bind(user));
            }
            Ok(jid) => {
                send_el(out, &bind::result_reply(&iq_id, &jid));
                out.push(Action::Bound { jid: jid.clone() });
                self.state = State::Bound(jid);
            }
            Err(err) => {
                send_el(out, &bind::error_reply(Some(&iq_id), &err));
                self.state = State::Open(Stage::Bind(user));
            }
        }
        self.process(out);
    }

    /// Closes our stream (server-initiated: idle timeout, a newer session's `<conflict/>`,
    /// shutdown): writes our header if the stream had none yet (RFC 6120 §4.9.1.2), the
    /// error if any, and `</stream:stream>`. Does nothing if already closing. During the TLS
    /// handshake nothing is written (it would go out in the clear).
    pub fn close(&mut self, err: Option<StreamError>, out: &mut Vec<Action>) {
        if matches!(self.state, State::AwaitTls) {
            self.state = State::Closed;
            out.push(Action::Close { error: err });
            return;
        }
        self.close_with(err, out);
    }

    /// The bound full JID, once negotiation is done.
    pub fn jid(&self) -> Option<&FullJid> {
        match &self.state {
            State::Bound(jid) => Some(jid),
            _ => None,
        }
    }

    /// The served domain this stream addressed, once a valid header was received.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The stream's language (RFC 6120 §4.7.4), for localized error texts.
    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// Whether the stream is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Whether our stream is closed (closing or closed).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closing | State::Closed)
    }

    fn take_state(&mut self) -> State {
        std::mem::replace(&mut self.state, State::Taken)
    }

    fn paused(&self) -> bool {
        match &self.state {
            State::AwaitTls | State::AwaitBind { .. } => true,
            State::Sasl(ex) => ex.awaiting,
            _ => false,
        }
    }

    fn process(&mut self, out: &mut Vec<Action>) {
        loop {
            if self.paused() || matches!(self.state, State::Closed) {
                return;
            }
            let ev = match self.parser.next_event() {
                Ok(Some(ev)) => ev,
                Ok(None) => return,
                Err(e) => {
                    if matches!(self.state, State::Closing) {
                        self.state = State::Closed;
                    } else {
                        let err = StreamError::new(e.condition().into())
                            .with_text(Some("en"), e.to_string());
                        self.close_with(Some(err), out);
                    }
                    return;
                }
            };
            match ev {
                Event::StreamStart(h) => match self.take_state() {
                    State::Header(stage) => self.on_header(&h, stage, out),
                    other => self.state = other,
                },
                Event::Element(el) => self.on_element(el, out),
                Event::StreamEnd => {
                    if !matches!(self.state, State::Closing) {
                        send(out, write_stream_end);
                    }
                    self.state = State::Closed;
                    out.push(Action::PeerClosed);
                }
            }
        }
    }

    fn sasl_context(&self) -> ServerContext {
        ServerContext::new(self.cfg.sasl.clone())
            .encrypted(self.encrypted)
            .with_channel_bindings(self.bindings.clone())
            .with_enabled(self.cfg.mechanisms.clone())
    }

    fn tls_required(&self) -> bool {
        matches!(self.cfg.tls, TlsMode::StartTls { required: true })
    }

    fn features_for(&self, stage: &Stage) -> Element {
        let children = match stage {
            Stage::Tls => {
                let required = self.tls_required();
                let mut v = vec![features::starttls(required)];
                // RFC 6120 §5.3.1: with TLS mandatory, offer nothing else before it.
                if !required {
                    v.extend(features::sasl(&self.sasl_context()));
                }
                v
            }
            Stage::Sasl => features::sasl(&self.sasl_context()),
            Stage::Bind(_) => features::post_auth(self.cfg.offer_session, &self.cfg.extra_features),
        };
        features::features(children)
    }

    fn write_header(&self, peer: Option<&str>, out: &mut Vec<Action>) {
        let stream_id = id::stream_id();
        // RFC 6120 §4.9.1.3: with no (served) domain named, we speak as our own FQDN.
        let from = self
            .domain
            .as_deref()
            .or_else(|| self.cfg.domains.first().map(String::as_str));
        let h = ResponseHeader {
            from,
            to: peer,
            id: &stream_id,
            lang: &self.lang,
        };
        send(out, |b| write_response_header(&h, b));
    }

    fn on_header(&mut self, h: &StreamHeader, stage: Stage, out: &mut Vec<Action>) {
        let (info, verdict) = header::check(h, &self.cfg, self.domain.as_deref());
        self.lang = info.lang;
        if self.domain.is_none() {
            self.domain = info.domain;
        }
        self.write_header(info.peer.as_ref().map(waxwing_jid::Jid::as_str), out);
        self.header_sent = true;
        match verdict {
            Ok(()) => {
                let f = self.features_for(&stage);
                send(out, |b| write_stream_element(&f, b));
                self.state = State::Open(stage);
            }
            Err(err) => self.close_with(Some(err), out),
        }
    }

    fn on_element(&mut self, el: Element, out: &mut Vec<Action>) {
        if el.is("error", ns::STREAM) {
            // The peer gave up (stream errors are unrecoverable, RFC 6120 §4.9.1.1): close our
            // side without an error of our own.
            self.close_with(None, out);
            return;
        }
        match self.take_state() {
            State::Open(stage) => self.on_open(stage, &el, out),
            State::Sasl(ex) => self.on_exchange(ex, &el, out),
            State::Bound(jid) => {
                self.state = State::Bound(jid);
                self.on_bound(el, out);
            }
            other => self.state = other, // Closing: the peer's last words are dropped.
        }
    }

    fn on_open(&mut self, stage: Stage, el: &Element, out: &mut Vec<Action>) {
        if starttls::is_starttls(el) {
            if matches!(stage, Stage::Tls) {
                send_el(out, &starttls::proceed());
                out.push(Action::StartTls);
                // Anything pipelined after <starttls/> was sent in the clear: drop it.
                self.parser.reset();
                self.header_sent = false;
                self.state = State::AwaitTls;
            } else {
                self.tls_failure(out);
            }
            return;
        }
        if let Some(cmd) = sasl::read(el) {
            match stage {
                Stage::Tls if self.tls_required() => {
                    self.sasl_failure(&Failure::new(Condition::EncryptionRequired), stage, out);
                }
                Stage::Tls | Stage::Sasl => self.on_sasl_idle(cmd, stage, out),
                Stage::Bind(_) => self.already_authenticated(out),
            }
            return;
        }
        if let Stage::Bind(user) = &stage
            && bind::is_bind_iq(el)
        {
            self.on_bind(user.clone(), el, out);
            return;
        }
        // RFC 6120 §4.9.3.12: nothing else may be processed before authentication, and RFC
        // 6120 §7.1: no stanza before a resource is bound.
        self.close_with(
            Some(stream_error(
                StreamErrorCondition::NotAuthorized,
                "negotiation is not complete",
            )),
            out,
        );
    }

    fn on_bind(&mut self, user: BareJid, el: &Element, out: &mut Vec<Action>) {
        let req = match bind::parse(el) {
            Ok(req) => req,
            Err(reply) => {
                send_el(out, &reply);
                self.state = State::Open(Stage::Bind(user));
                return;
            }
        };
        let (prepared, generated) = match &req.resource {
            Some(r) => (user.with_resource_using(r, self.cfg.profile), false),
            None => (
                user.with_resource_using(&id::new_id(), self.cfg.profile),
                true,
            ),
        };
        if let Ok(jid) = prepared {
            self.state = State::AwaitBind { user, id: req.id };
            out.push(Action::Bind { jid, generated });
        } else {
            // RFC 6120 §7.7.2.1: a resourcepart that fails preparation is bad-request.
            let err = StanzaError::new(StanzaErrorCondition::BadRequest);
            send_el(out, &bind::error_reply(Some(&req.id), &err));
            self.state = State::Open(Stage::Bind(user));
        }
    }

    fn on_sasl_idle(&mut self, cmd: Command, stage: Stage, out: &mut Vec<Action>) {
        match cmd {
            Command::Auth { mechanism, payload } => {
                let Some(name) = mechanism else {
                    self.sasl_failure(&Failure::new(Condition::InvalidMechanism), stage, out);
                    return;
                };
                let mut mech = match self.sasl_context().start(&name) {
                    Ok(m) => m,
                    Err(f) => return self.sasl_failure(&f, stage, out),
                };
                let payload = match payload {
                    Ok(p) => p,
                    Err(c) => return self.sasl_failure(&Failure::new(c), stage, out),
                };
                let step = mech.step(payload.as_deref());
                let ex = Box::new(Exchange {
                    mech,
                    back: stage,
                    awaiting: false,
                    disabled: false,
                });
                self.on_step(ex, step, out);
            }
            Command::Abort => self.sasl_failure(&Failure::aborted(), stage, out),
            Command::Response(_) | Command::Unknown => self.sasl_failure(
                &Failure::with_text(Condition::MalformedRequest, "no exchange in progress"),
                stage,
                out,
            ),
        }
    }

    fn on_exchange(&mut self, mut ex: Box<Exchange>, el: &Element, out: &mut Vec<Action>) {
        let Some(cmd) = sasl::read(el) else {
            self.close_with(
                Some(stream_error(
                    StreamErrorCondition::NotAuthorized,
                    "authentication is not complete",
                )),
                out,
            );
            return;
        };
        match cmd {
            Command::Response(Ok(data)) => {
                let step = ex.mech.step(Some(&data));
                self.on_step(ex, step, out);
            }
            Command::Response(Err(c)) => self.sasl_failure(&Failure::new(c), ex.back, out),
            Command::Abort => self.sasl_failure(&Failure::aborted(), ex.back, out),
            Command::Auth { .. } | Command::Unknown => self.sasl_failure(
                &Failure::with_text(Condition::MalformedRequest, "exchange in progress"),
                ex.back,
                out,
            ),
        }
    }

    fn on_step(&mut self, mut ex: Box<Exchange>, mut step: Step, out: &mut Vec<Action>) {
        // A mechanism asks for credentials at most once; the bound only guards the loop.
        for _ in 0..2 {
            match step {
                Step::Challenge(data) => {
                    send_el(out, &sasl::challenge(&data));
                    self.state = State::Sasl(ex);
                }
                Step::NeedCredentials(req) => {
                    let user = self.domain.as_deref().and_then(|d| {
                        BareJid::from_parts_with(Some(&req.username), d, self.cfg.profile).ok()
                    });
                    if let Some(user) = user {
                        ex.awaiting = true;
                        self.state = State::Sasl(ex);
                        out.push(Action::FetchCredentials {
                            user,
                            hash: req.hash,
                        });
                    } else {
                        // No account can have this name: fail as for an unknown user.
                        step = ex.mech.provide_credentials(None);
                        continue;
                    }
                }
                Step::Success(s) => self.on_success(&ex, &s, out),
                Step::Failure(f) => self.sasl_failure(&f, ex.back, out),
            }
            return;
        }
        self.sasl_failure(&Failure::new(Condition::TemporaryAuthFailure), ex.back, out);
    }

    fn on_success(&mut self, ex: &Exchange, s: &Success, out: &mut Vec<Action>) {
        let user = match self.authorize(&s.identity) {
            Ok(u) => u,
            Err(f) => return self.sasl_failure(&f, ex.back.clone(), out),
        };
        if ex.disabled {
            return self.sasl_failure(
                &Failure::new(Condition::AccountDisabled),
                ex.back.clone(),
                out,
            );
        }
        send_el(out, &sasl::success(s.additional_data.as_deref()));
        out.push(Action::Authenticated {
            user: user.clone(),
            mechanism: ex.mech.mechanism(),
        });
        // RFC 6120 §6.4.6: the stream restarts; nothing sent before the new header counts.
        self.parser.reset();
        self.header_sent = false;
        self.state = State::Header(Stage::Bind(user));
    }

    /// The account an identity authenticates, if it may act as its authzid: for c2s only
    /// none, empty, or the account's own bare JID (RFC 6120 §6.3.8), else `invalid-authzid`.
    fn authorize(&self, identity: &Identity) -> Result<BareJid, Failure> {
        let not_authorized = || Failure::new(Condition::NotAuthorized);
        let domain = self.domain.as_deref().ok_or_else(not_authorized)?;
        let profile = self.cfg.profile;
        let user = match identity {
            Identity::User { authcid, .. } => {
                BareJid::from_parts_with(Some(authcid), domain, profile)
                    .map_err(|_| not_authorized())?
            }
            Identity::Certificate { authcid, .. } => BareJid::parse_with(authcid, profile)
                .ok()
                .filter(|j| j.node().is_some() && j.domain() == domain)
                .ok_or_else(not_authorized)?,
            Identity::Anonymous { .. } => {
                BareJid::from_parts_with(Some(&id::nonce()), domain, profile)
                    .map_err(|_| not_authorized())?
            }
        };
        match identity.authzid().filter(|z| !z.is_empty()) {
            None => Ok(user),
            Some(z) if BareJid::parse_with(z, profile).is_ok_and(|z| z == user) => Ok(user),
            Some(_) => Err(Failure::new(Condition::InvalidAuthzid)),
        }
    }

    /// Sends `<failure/>`; the connection stays open for another attempt until
    /// `max_auth_failures` failures, the last of which closes it with `policy-violation`.
    fn sasl_failure(&mut self, f: &Failure, back: Stage, out: &mut Vec<Action>) {
        send_el(out, &sasl::failure(f));
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.cfg.max_auth_failures {
            let err = stream_error(
                StreamErrorCondition::PolicyViolation,
                "too many failed authentication attempts",
            );
            self.close_with(Some(err), out);
        } else {
            self.state = State::Open(back);
        }
    }

    /// `<starttls/>` when TLS cannot be started: RFC 6120 §5.4.2.2's failure case, which
    /// closes the stream without a stream error.
    fn tls_failure(&mut self, out: &mut Vec<Action>) {
        send_el(out, &starttls::failure());
        self.close_with(None, out);
    }

    /// A SASL element after authentication: RFC 6120 §6.4 has no re-authentication.
    fn already_authenticated(&mut self, out: &mut Vec<Action>) {
        let err = stream_error(
            StreamErrorCondition::PolicyViolation,
            "already authenticated",
        );
        self.close_with(Some(err), out);
    }

    fn on_bound(&mut self, el: Element, out: &mut Vec<Action>) {
        match el.ns() {
            ns::CLIENT => {
                if el.name() == "iq" {
                    if self.cfg.offer_session
                        && let Some(r) = session::reply(&el)
                    {
                        send_el(out, &r);
                        return;
                    }
                    if bind::is_bind_iq(&el) {
                        // One resource per stream: RFC 6120 §7 binds once, at negotiation.
                        let err = StanzaError::new(StanzaErrorCondition::NotAllowed);
                        send_el(out, &bind::error_reply(el.attr_str("id"), &err));
                        return;
                    }
                }
                if matches!(el.name(), "message" | "presence" | "iq") {
                    out.push(Action::Stanza(el));
                } else {
                    let err =
                        stream_error(StreamErrorCondition::UnsupportedStanzaType, "not a stanza");
                    self.close_with(Some(err), out);
                }
            }
            ns::XMPP_TLS => self.tls_failure(out),
            ns::XMPP_SASL => self.already_authenticated(out),
            ns::STREAM => {
                let err = stream_error(
                    StreamErrorCondition::UnsupportedStanzaType,
                    "unexpected stream element",
                );
                self.close_with(Some(err), out);
            }
            _ => out.push(Action::Nonza(el)),
        }
    }

    fn close_with(&mut self, err: Option<StreamError>, out: &mut Vec<Action>) {
        if matches!(self.state, State::Closing | State::Closed) {
            return;
        }
        if !self.header_sent {
            self.write_header(None, out);
            self.header_sent = true;
        }
        send(out, |b| {
            if let Some(e) = &err {
                write_stream_error(e, b);
            }
            write_stream_end(b);
        });
        out.push(Action::Close { error: err });
        self.state = State::Closing;
    }
}
