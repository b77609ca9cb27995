//! Whole negotiations, fed whole and split at every byte.

use waxwing_jid::FullJid;
use waxwing_sasl::{ChannelBindingType, ClientBinding};
use waxwing_stream::{Action, C2sNegotiator};

use crate::harness::*;

/// STARTTLS, PLAIN, bind, a message, close: the transcript and the events.
fn plain_session(split: bool) -> (String, Vec<Action>) {
    let mut c = Client::starttls();
    c.split = split;
    let mut t = String::new();
    t += &c.send(HEADER);
    t += &c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    t += &c.tls(bindings());
    t += &c.send(HEADER);
    t += &c.plain(None, PASSWORD);
    t += &c.send(HEADER);
    t += &c.send(BIND_BALCONY);
    t += &c.bind_result(Ok(FullJid::parse("juliet@im.example.com/balcony").unwrap()));
    t += &c.send(
        " <message to='romeo@example.net'><body>Wherefore art thou, Romeo?</body></message>\n",
    );
    t += &c.send("</stream:stream>");
    let events = c.events().into_iter().cloned().collect();
    (t, events)
}

#[test]
fn byte_at_a_time_is_the_same_negotiation() {
    let (whole, events) = plain_session(false);
    let (split, split_events) = plain_session(true);
    assert_eq!(whole, split);
    assert_eq!(events, split_events);
    assert_eq!(events.len(), 7, "{events:?}");
    assert!(matches!(events[5], Action::Stanza(_)));
    assert_eq!(events[6], Action::PeerClosed);
}

#[test]
fn scram_plus_byte_at_a_time() {
    let mut c = Client::starttls();
    c.split = true;
    c.through_tls(bindings());
    c.scram(ClientBinding::Bound(
        ChannelBindingType::TlsExporter,
        CB.to_vec(),
    ));
    assert_eq!(c.send(HEADER), response_header() + POST_AUTH_FEATURES);
    c.send(BIND_BALCONY);
    assert!(matches!(
        c.last_event(),
        Some(Action::Bind {
            generated: false,
            ..
        })
    ));
}

#[test]
fn first_flight_split_at_every_position() {
    let input = format!("{HEADER}<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    let expected = Client::starttls().send(&input);
    for i in 0..=input.len() {
        let mut c = Client::starttls();
        let (a, b) = input.as_bytes().split_at(i);
        let mut out = Vec::new();
        c.n.feed(a, &mut out);
        c.n.feed(b, &mut out);
        let text: String = out
            .iter()
            .filter_map(|a| match a {
                Action::Send(b) => Some(String::from_utf8(b.clone()).unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(normalize(&text), expected, "split at {i}");
        assert_eq!(out.last(), Some(&Action::StartTls));
    }
}

#[test]
fn negotiator_is_send() {
    fn is_send<T: Send>() {}
    is_send::<C2sNegotiator>();
}
