//! The buffer never grows past the stanza limit (plus one fed chunk), whatever the input.

use waxwing_xml::{Event, Limit, Limits, Parser, XmlError, XmlErrorCondition};

const CHUNK: usize = 16 * 1024;

fn feed_until_error(p: &mut Parser, open: &[u8], filler: u8) -> (XmlError, usize) {
    let limit = p.limits().max_stanza_bytes;
    p.feed(open);
    assert_eq!(p.next_event(), Ok(None));
    let chunk = vec![filler; CHUNK];
    let mut fed = open.len();
    while fed < 10 * 1024 * 1024 {
        p.feed(&chunk);
        fed += CHUNK;
        assert!(
            p.buffered() <= limit + CHUNK,
            "buffered {} after {fed}",
            p.buffered()
        );
        match p.next_event() {
            Ok(None) => assert!(fed <= limit + CHUNK, "no error after {fed} bytes"),
            Ok(Some(ev)) => panic!("unexpected event {ev:?}"),
            Err(e) => return (e, fed),
        }
    }
    panic!("10 MiB accepted");
}

#[test]
fn unterminated_text_hits_the_stanza_limit() {
    let mut p = Parser::new_fragments(Limits::default());
    let (e, fed) = feed_until_error(&mut p, b"<message><body>", b'a');
    assert!(
        matches!(
            e,
            XmlError::LimitExceeded {
                limit: Limit::StanzaBytes,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.condition(), XmlErrorCondition::PolicyViolation);
    assert!(
        fed > 256 * 1024 && fed <= 256 * 1024 + CHUNK,
        "error as soon as the limit is crossed"
    );
    // Poisoned: more input is dropped, not buffered.
    p.feed(&[b'a'; CHUNK]);
    assert_eq!(p.buffered(), 0);
}

#[test]
fn unterminated_attribute_value_and_start_tag_hit_the_limit() {
    for (open, filler) in [
        (&b"<message id='"[..], b'x'),
        (b"<message", b' '),
        (b"<a><![CDATA[", b']'),
    ] {
        let mut p = Parser::new_fragments(Limits::default());
        let (e, _) = feed_until_error(&mut p, open, filler);
        assert_eq!(
            e.condition(),
            XmlErrorCondition::PolicyViolation,
            "{open:?}"
        );
    }
}

#[test]
fn endless_stream_header_hits_the_limit() {
    let mut p = Parser::new(Limits::default());
    let (e, _) = feed_until_error(&mut p, b"<stream:stream a='", b'x');
    assert_eq!(e.condition(), XmlErrorCondition::PolicyViolation);
}

#[test]
fn many_small_stanzas_are_fine() {
    // The limit is per stanza, not per stream.
    let mut p = Parser::new_fragments(Limits {
        max_stanza_bytes: 1024,
        ..Limits::default()
    });
    let stanza = b"<message><body>hello</body></message>";
    let mut n = 0;
    for _ in 0..10_000 {
        p.feed(stanza);
        while let Some(Event::Element(_)) = p.next_event().unwrap() {
            n += 1;
        }
        assert!(p.buffered() < 1024);
    }
    assert_eq!(n, 10_000);
}

#[test]
fn a_stanza_exactly_at_the_limit_is_accepted() {
    let stanza = format!("<a>{}</a>", "x".repeat(93));
    assert_eq!(stanza.len(), 100);
    let mut p = Parser::new_fragments(Limits {
        max_stanza_bytes: 100,
        ..Limits::default()
    });
    p.feed(stanza.as_bytes());
    assert!(matches!(p.next_event(), Ok(Some(Event::Element(_)))));
    let mut p = Parser::new_fragments(Limits {
        max_stanza_bytes: 99,
        ..Limits::default()
    });
    p.feed(stanza.as_bytes());
    assert_eq!(
        p.next_event().unwrap_err().condition(),
        XmlErrorCondition::PolicyViolation
    );
}
