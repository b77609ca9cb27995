//! Fuzz target: tokenize with arbitrary chunking → serialize → tokenize gives equal events;
//! the chunking never changes the outcome; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waxwing_xml::{Event, Limits, Parser, XmlError, write_stream_end};

/// All events until the input runs out or an error occurs.
fn run(fragments: bool, chunks: &[&[u8]]) -> (Vec<Event>, Option<XmlError>) {
    let limits = Limits {
        max_stanza_bytes: 64 * 1024,
        ..Limits::default()
    };
    let mut p = if fragments {
        Parser::new_fragments(limits)
    } else {
        Parser::new(limits)
    };
    let mut evs = Vec::new();
    for c in chunks {
        p.feed(c);
        loop {
            match p.next_event() {
                Ok(Some(ev)) => evs.push(ev),
                Ok(None) => break,
                Err(e) => return (evs, Some(e)),
            }
        }
    }
    (evs, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let fragments = control & 1 == 1;
    // Chunk sizes from 1 to 16 bytes, varying along the input.
    let mut chunks = Vec::new();
    let mut rest = input;
    let mut step = usize::from(control >> 4) + 1;
    while !rest.is_empty() {
        let n = step.min(rest.len());
        let (a, b) = rest.split_at(n);
        chunks.push(a);
        rest = b;
        step = step % 16 + 1;
    }
    let (whole_evs, whole_err) = run(fragments, &[input]);
    let (evs, err) = run(fragments, &chunks);
    assert_eq!(evs, whole_evs, "chunking changed the events");
    assert_eq!(err, whole_err, "chunking changed the error");

    // Serialize what was parsed and parse it again.
    let mut out = Vec::new();
    let mut default_ns = String::new();
    for ev in &evs {
        match ev {
            Event::StreamStart(h) => {
                h.write_to(&mut out);
                default_ns = h.default_ns.as_deref().unwrap_or("").to_owned();
            }
            Event::Element(e) => e.write_to(&mut out, &default_ns),
            Event::StreamEnd => write_stream_end(&mut out),
        }
    }
    let (again, again_err) = run(fragments, &[&out]);
    assert_eq!(
        again_err,
        None,
        "serialized output rejected: {}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(again.len(), evs.len());
    for (a, b) in again.iter().zip(&evs) {
        match (a, b) {
            // The serializer picks its own prefixes, so compare the header's meaning.
            (Event::StreamStart(x), Event::StreamStart(y)) => {
                assert_eq!(
                    (&x.ns, &x.name, &x.attrs, &x.default_ns),
                    (&y.ns, &y.name, &y.attrs, &y.default_ns)
                );
            }
            _ => assert_eq!(a, b, "round trip changed an event"),
        }
    }
});
