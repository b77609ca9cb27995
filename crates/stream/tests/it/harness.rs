//! A scripted client: feeds strings, collects what the server writes as text.

use std::sync::Arc;

use waxwing_jid::{BareJid, FullJid};
use waxwing_sasl::{
    ChannelBindingType, ChannelBindings, ClientBinding, ClientMechanism, PlainClient, ScramClient,
    ScramCredentials, ScramHash, ServerConfig, b64,
};
use waxwing_stream::{Action, C2sConfig, C2sNegotiator, ConnInfo, CredentialsLookup, TlsMode};

pub const DOMAIN: &str = "im.example.com";
pub const PASSWORD: &str = "r0m30myr0m30";
pub const CB: &[u8] = b"fake tls-exporter bytes";

pub const HEADER: &str = "<?xml version='1.0'?><stream:stream from='juliet@im.example.com' \
     to='im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' \
     xmlns:stream='http://etherx.jabber.org/streams'>";

pub fn config(tls: TlsMode) -> C2sConfig {
    let mut cfg = C2sConfig::new(
        [DOMAIN],
        ServerConfig::new([7; 32]).with_fake_iterations(4096),
    );
    cfg.tls = tls;
    cfg
}

pub fn bindings() -> ChannelBindings {
    ChannelBindings::none().with(ChannelBindingType::TlsExporter, CB.to_vec())
}

/// The test account's stored keys, derived once (PBKDF2 is slow in debug builds).
fn creds() -> ScramCredentials {
    static CREDS: std::sync::OnceLock<ScramCredentials> = std::sync::OnceLock::new();
    CREDS
        .get_or_init(|| {
            ScramCredentials::derive(ScramHash::Sha256, PASSWORD, b"0123456789abcdef", 4096)
                .unwrap()
        })
        .clone()
}

pub struct Client {
    pub n: C2sNegotiator,
    /// Every action so far, `Send` included.
    pub actions: Vec<Action>,
    pub creds: ScramCredentials,
    /// Feed every client message one byte at a time.
    pub split: bool,
}

impl Client {
    pub fn new(cfg: C2sConfig, conn: ConnInfo) -> Self {
        Self {
            n: C2sNegotiator::new(Arc::new(cfg), conn),
            actions: Vec::new(),
            creds: creds(),
            split: false,
        }
    }

    /// STARTTLS required, cleartext connection.
    pub fn starttls() -> Self {
        Self::new(
            config(TlsMode::StartTls { required: true }),
            ConnInfo::plain(),
        )
    }

    /// Direct TLS with tls-exporter bindings.
    pub fn direct() -> Self {
        Self::new(config(TlsMode::Direct), ConnInfo::direct_tls(bindings()))
    }

    fn take(&mut self, new: Vec<Action>) -> String {
        let mut s = String::new();
        for a in &new {
            if let Action::Send(b) = a {
                s.push_str(std::str::from_utf8(b).unwrap());
            }
        }
        self.actions.extend(new);
        normalize(&s)
    }

    /// Feeds `input`, returns what the server wrote (stream ids replaced by `ID`).
    pub fn send(&mut self, input: &str) -> String {
        let mut out = Vec::new();
        if self.split {
            for b in input.as_bytes() {
                self.n.feed(std::slice::from_ref(b), &mut out);
            }
        } else {
            self.n.feed(input.as_bytes(), &mut out);
        }
        self.take(out)
    }

    pub fn tls(&mut self, cb: ChannelBindings) -> String {
        let mut out = Vec::new();
        self.n.tls_established(cb, &mut out);
        self.take(out)
    }

    pub fn credentials(&mut self, lookup: CredentialsLookup) -> String {
        let mut out = Vec::new();
        self.n.credentials(lookup, &mut out);
        self.take(out)
    }

    pub fn bind_result(&mut self, res: Result<FullJid, waxwing_stanza::StanzaError>) -> String {
        let mut out = Vec::new();
        self.n.bind_result(res, &mut out);
        self.take(out)
    }

    pub fn close(&mut self, err: Option<waxwing_stanza::StreamError>) -> String {
        let mut out = Vec::new();
        self.n.close(err, &mut out);
        self.take(out)
    }

    /// The actions other than `Send`, in order.
    pub fn events(&self) -> Vec<&Action> {
        self.actions
            .iter()
            .filter(|a| !matches!(a, Action::Send(_)))
            .collect()
    }

    pub fn last_event(&self) -> Option<&Action> {
        self.events().last().copied()
    }

    /// Answers a pending FetchCredentials with the test account (juliet).
    pub fn answer_credentials(&mut self) -> String {
        match self.last_event() {
            Some(Action::FetchCredentials { user, .. }) => {
                assert_eq!(user.as_str(), "juliet@im.example.com");
            }
            other => panic!("expected FetchCredentials, got {other:?}"),
        }
        let creds = self.creds.clone();
        self.credentials(CredentialsLookup::Found(creds))
    }

    /// Runs STARTTLS from the start: header, starttls, handshake, new header. Returns the
    /// features after TLS.
    pub fn through_tls(&mut self, cb: ChannelBindings) -> String {
        self.send(HEADER);
        assert_eq!(
            self.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
        );
        assert_eq!(self.last_event(), Some(&Action::StartTls));
        assert_eq!(self.tls(cb), "");
        self.send(HEADER)
    }

    /// A whole SCRAM exchange; returns the `<success/>` element text.
    pub fn scram(&mut self, binding: ClientBinding) -> String {
        let mut client = ScramClient::new(ScramHash::Sha256, "juliet", PASSWORD, binding).unwrap();
        let mech = client.mechanism().name();
        let first = b64::encode(&client.initial_response().unwrap().unwrap());
        let out = self.send(&format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='{mech}'>{first}</auth>"
        ));
        assert_eq!(out, "", "waiting for credentials");
        let challenge = self.answer_credentials();
        let data = between(
            &challenge,
            "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>",
            "</challenge>",
        );
        let resp = client.respond(&b64::decode_strict(data).unwrap()).unwrap();
        let success = self.send(&format!(
            "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</response>",
            b64::encode(&resp)
        ));
        let v = between(
            &success,
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>",
            "</success>",
        );
        client
            .finish(Some(&b64::decode_strict(v).unwrap()))
            .unwrap();
        success
    }

    /// PLAIN with the given authzid; returns the server's answer after credentials.
    pub fn plain(&mut self, authzid: Option<&str>, password: &str) -> String {
        let mut c = PlainClient::new("juliet", password, authzid).unwrap();
        let ir = b64::encode(&c.initial_response().unwrap().unwrap());
        assert_eq!(
            self.send(&format!(
                "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{ir}</auth>"
            )),
            ""
        );
        self.answer_credentials()
    }

    /// Direct TLS, SCRAM-SHA-256, restart: ready to bind.
    pub fn authenticated() -> Self {
        let mut c = Self::direct();
        c.send(HEADER);
        c.scram(ClientBinding::Unsupported);
        let f = c.send(HEADER);
        assert!(f.ends_with(POST_AUTH_FEATURES), "{f}");
        c
    }

    /// Bound as juliet@im.example.com/balcony.
    pub fn bound() -> Self {
        let mut c = Self::authenticated();
        c.send(BIND_BALCONY);
        let jid = FullJid::parse("juliet@im.example.com/balcony").unwrap();
        c.bind_result(Ok(jid));
        c
    }
}

pub const POST_AUTH_FEATURES: &str = "<stream:features>\
    <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
    <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>\
    </stream:features>";

pub const BIND_BALCONY: &str = "<iq id='tn281v37' type='set'>\
    <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind></iq>";

/// Our response header as the tests expect it, with `to` reflected from HEADER.
pub fn response_header() -> String {
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
     xmlns:stream='http://etherx.jabber.org/streams' from='im.example.com' id='ID' \
     to='juliet@im.example.com' version='1.0' xml:lang='en'>"
        .to_owned()
}

pub fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let i = s
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in {s}"))
        + start.len();
    let j = s[i..]
        .find(end)
        .unwrap_or_else(|| panic!("{end} not in {s}"))
        + i;
    &s[i..j]
}

/// Replaces each stream header's `id='…'` value with `ID`, checking it is a UUID v4.
pub fn normalize(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(h) = rest.find("<stream:stream ") {
        let (before, after) = rest.split_at(h);
        out.push_str(before);
        let end = after.find('>').unwrap();
        let header = &after[..end];
        let i = header.find(" id='").unwrap() + 5;
        let j = header[i..].find('\'').unwrap() + i;
        let id = &header[i..j];
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "a v4 UUID: {id}");
        out.push_str(&header[..i]);
        out.push_str("ID");
        out.push_str(&header[j..]);
        out.push('>');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

pub fn user() -> BareJid {
    BareJid::parse("juliet@im.example.com").unwrap()
}
