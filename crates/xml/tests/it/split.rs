//! Resumption: the same events whatever the chunking — every split point, two split points
//! over a prefix, and byte-at-a-time feeding.

use waxwing_xml::{Event, Limits, Parser};

use crate::corpus::STREAM;

fn run(chunks: &[&[u8]]) -> Vec<Event> {
    let mut p = Parser::new(Limits::default());
    let mut out = Vec::new();
    for c in chunks {
        p.feed(c);
        while let Some(ev) = p.next_event().unwrap() {
            out.push(ev);
        }
    }
    assert_eq!(p.buffered(), 0);
    out
}

fn reference() -> Vec<Event> {
    let evs = run(&[STREAM.as_bytes()]);
    assert_eq!(evs.len(), 12, "{evs:#?}");
    assert!(matches!(evs.first(), Some(Event::StreamStart(_))));
    assert_eq!(evs.last(), Some(&Event::StreamEnd));
    evs
}

#[test]
fn every_split_point() {
    let whole = reference();
    let b = STREAM.as_bytes();
    for i in 0..=b.len() {
        assert_eq!(run(&[&b[..i], &b[i..]]), whole, "split at {i}");
    }
}

#[test]
fn every_pair_of_split_points_in_the_prologue_and_first_stanzas() {
    let whole = reference();
    let b = STREAM.as_bytes();
    let n = 150.min(b.len());
    for i in 0..n {
        for j in i..n {
            assert_eq!(
                run(&[&b[..i], &b[i..j], &b[j..]]),
                whole,
                "split at {i}, {j}"
            );
        }
    }
}

#[test]
fn byte_at_a_time() {
    let whole = reference();
    let chunks: Vec<&[u8]> = STREAM.as_bytes().chunks(1).collect();
    assert_eq!(run(&chunks), whole);
}

#[test]
fn errors_do_not_depend_on_chunking() {
    // The error (and its offset) is the same wherever the input is split.
    let cut = STREAM.find("</auth>").unwrap() + 7;
    let bad = format!(
        "{}<message><body>x</body><!-- c --></message>",
        &STREAM[..cut]
    );
    let whole = {
        let mut p = Parser::new(Limits::default());
        p.feed(bad.as_bytes());
        loop {
            match p.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(e) => break e,
            }
        }
    };
    for i in 0..=bad.len() {
        let mut p = Parser::new(Limits::default());
        let mut err = None;
        for c in [&bad.as_bytes()[..i], &bad.as_bytes()[i..]] {
            p.feed(c);
            loop {
                match p.next_event() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
        }
        assert_eq!(err.as_ref(), Some(&whole), "split at {i}");
    }
}
