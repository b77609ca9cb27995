//! Throughput of the waxwing tokenizer against rxml 0.14 on the same corpus of realistic chat
//! message stanzas, fed in socket-sized chunks, both producing complete element trees.
//! Prints one line: `xml-throughput: waxwing <N> MiB/s, rxml <M> MiB/s, ratio <R>`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::format_push_string,
    clippy::single_match_else,
    missing_docs
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use rxml::{Parse as _, error::EndOrError};
use waxwing_xml::{Attr, ByteString, Element, Event, Limits, Node, Parser};

const CHUNK: usize = 8 * 1024;

fn corpus() -> Vec<u8> {
    let mut s = String::from(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' from='juliet@capulet.example' \
         to='capulet.example' version='1.0' xml:lang='en'>",
    );
    let texts = [
        "Wherefore art thou, Romeo?",
        "Deny thy father &amp; refuse thy name; or, if thou wilt not, be but sworn my love",
        "&lt;3 &quot;see you at 5&quot; &#x1F600;",
        "O, swear not by the moon, th' inconstant moon, that monthly changes in her circled orb, \
         lest that thy love prove likewise variable.",
        "ok",
    ];
    for i in 0..4000 {
        let body = texts[i % texts.len()];
        match i % 4 {
            0 | 1 => s.push_str(&format!(
                "<message from='juliet@capulet.example/balcony' to='romeo@montague.example' \
                 type='chat' id='msg-{i:08}'><body>{body}</body><thread>e0ffe42b28561960c6b12b944a092794b9683a38-{t}</thread>\
                 <request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/>\
                 <origin-id xmlns='urn:xmpp:sid:0' id='de305d54-75b4-431b-adb2-eb6b9e546013-{i}'/></message>",
                t = i % 17
            )),
            2 => s.push_str(&format!(
                "<message from='romeo@montague.example/orchard' to='juliet@capulet.example' \
                 type='chat' id='msg-{i:08}' xml:lang='en'><body>{body}</body>\
                 <delay xmlns='urn:xmpp:delay' from='capulet.example' stamp='2002-09-10T23:08:25Z'>Offline Storage</delay>\
                 <received xmlns='urn:xmpp:receipts' id='msg-{p:08}'/></message>",
                p = i - 1
            )),
            _ => s.push_str(&format!(
                "<message from='romeo@montague.example/orchard' to='juliet@capulet.example' \
                 type='chat' id='msg-{i:08}'><displayed xmlns='urn:xmpp:chat-markers:0' id='msg-{p:08}'/>\
                 <store xmlns='urn:xmpp:hints'/></message>",
                p = i - 2
            )),
        }
        if i % 50 == 0 {
            s.push(' ');
        }
    }
    s.into_bytes()
}

fn run_waxwing(data: &[u8]) -> usize {
    let mut p = Parser::new(Limits::default());
    let mut n = 0;
    for chunk in data.chunks(CHUNK) {
        p.feed(chunk);
        while let Some(ev) = p.next_event().unwrap() {
            if let Event::Element(e) = ev {
                n += e.nodes().len();
                black_box(e);
            }
        }
    }
    n
}

/// Builds trees from rxml's namespace-resolved events, the way an rxml-based server would.
fn run_rxml(data: &[u8]) -> usize {
    let mut p = rxml::Parser::new();
    let mut stack: Vec<Element> = Vec::new();
    let mut depth = 0usize;
    let mut n = 0;
    for chunk in data.chunks(CHUNK) {
        let mut buf = chunk;
        loop {
            match p.parse(&mut buf, false) {
                Ok(Some(ev)) => match ev {
                    rxml::Event::StartElement(_, (ns, name), attrs) => {
                        depth += 1;
                        if depth == 1 {
                            continue;
                        }
                        let attrs = attrs
                            .into_iter()
                            .map(|((ans, aname), v)| Attr {
                                ns: if ans.is_none() {
                                    None
                                } else {
                                    Some(ByteString::from(String::from(ans)))
                                },
                                name: ByteString::from(String::from(aname)),
                                value: ByteString::from(v),
                            })
                            .collect();
                        stack.push(Element::from_parts(
                            ByteString::from(String::from(ns)),
                            ByteString::from(String::from(name)),
                            attrs,
                            Vec::new(),
                        ));
                    }
                    rxml::Event::EndElement(_) => {
                        depth -= 1;
                        if let Some(e) = stack.pop() {
                            match stack.last_mut() {
                                Some(parent) => parent.nodes_mut().push(Node::Element(e)),
                                None => {
                                    n += e.nodes().len();
                                    black_box(e);
                                }
                            }
                        }
                    }
                    rxml::Event::Text(_, t) => {
                        if let Some(top) = stack.last_mut() {
                            top.nodes_mut().push(Node::Text(ByteString::from(t)));
                        }
                    }
                    rxml::Event::XmlDeclaration(..) => {}
                },
                Ok(None) | Err(EndOrError::NeedMoreData) => break,
                Err(EndOrError::Error(e)) => panic!("rxml: {e}"),
            }
        }
    }
    n
}

/// Best-of-rounds throughput of both parsers, alternating rounds so that both see the same
/// machine load (the build machine is shared).
fn measure_both(data: &[u8]) -> (f64, f64) {
    black_box(run_waxwing(data));
    black_box(run_rxml(data));
    let (mut ours, mut theirs) = (f64::MAX, f64::MAX);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        let t = Instant::now();
        black_box(run_waxwing(data));
        ours = ours.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        black_box(run_rxml(data));
        theirs = theirs.min(t.elapsed().as_secs_f64());
    }
    let mib = data.len() as f64 / (1024.0 * 1024.0);
    (mib / ours, mib / theirs)
}

fn measure(data: &[u8], f: fn(&[u8]) -> usize) -> f64 {
    black_box(f(data));
    let mut best = f64::MAX;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        let t = Instant::now();
        black_box(f(data));
        best = best.min(t.elapsed().as_secs_f64());
    }
    data.len() as f64 / (1024.0 * 1024.0) / best
}

fn main() {
    let data = corpus();
    // For profiling one side alone: XML_BENCH_ONLY=waxwing (or rxml).
    if let Ok(only) = std::env::var("XML_BENCH_ONLY") {
        let f = if only == "rxml" {
            run_rxml
        } else {
            run_waxwing
        };
        if let Some(n) = std::env::var("XML_BENCH_ITERS")
            .ok()
            .and_then(|n| n.parse::<usize>().ok())
        {
            for _ in 0..n {
                black_box(f(&data));
            }
            println!("{only}: {} bytes x {n}", data.len());
            return;
        }
        println!("{only}: {:.0} MiB/s", measure(&data, f));
        return;
    }
    assert_eq!(
        run_waxwing(&data),
        run_rxml(&data),
        "both parsers see the same trees"
    );
    let (ours, theirs) = measure_both(&data);
    println!(
        "xml-throughput: waxwing {ours:.0} MiB/s, rxml {theirs:.0} MiB/s, ratio {:.1}",
        ours / theirs
    );
}
