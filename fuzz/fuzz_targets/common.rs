//! Checks shared by the negotiator targets.

use waxwing_xml::{Limits, Parser};

/// Asserts that what a negotiator wrote is well-formed: one XML document per stream (restarts
/// begin with a new declaration), each parsing without error.
pub fn assert_streams_parse(written: Vec<u8>) {
    let text = String::from_utf8(written).unwrap_or_else(|_| std::process::abort());
    for doc in text
        .split("<?xml version='1.0'?>")
        .filter(|d| !d.is_empty())
    {
        let mut p = Parser::new(Limits {
            max_stanza_bytes: 1 << 20,
            ..Limits::default()
        });
        p.feed(doc.as_bytes());
        loop {
            match p.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => panic!("we wrote bad XML ({e}): {doc}"),
            }
        }
    }
}
