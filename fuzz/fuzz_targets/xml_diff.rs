//! Fuzz target: differential against rxml 0.14 on standalone elements — the same verdict, and
//! the same tree when both accept. The oracle, with the intended differences factored out, is
//! the one the differential tests use (`crates/xml/tests/it/oracle.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/xml/tests/it/oracle.rs"]
#[allow(dead_code)]
mod oracle;

fuzz_target!(|doc: &[u8]| {
    // rxml limits single tokens to 8 KiB; stay well below that.
    if doc.len() > 4096 {
        return;
    }
    if let Err(e) = oracle::compare(doc) {
        panic!("verdicts or trees differ for {:?}: {e}", String::from_utf8_lossy(doc));
    }
});
