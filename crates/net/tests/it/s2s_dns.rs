//! A minimal DNS server for the s2s tests (RFC 1035 §4.1 messages, §4.2.1 UDP, §4.2.2 TCP
//! with a length prefix): answers from a table, or with a fixed response code, or not at
//! all, as each test needs.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

#[derive(Clone)]
pub enum Rr {
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: &'static str,
    },
    A(Ipv4Addr),
}

/// What the server does with a question.
#[derive(Clone)]
pub enum Reply {
    /// NOERROR with these records.
    Answer(Vec<Rr>),
    /// An empty answer with this response code (2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED).
    Rcode(u8),
    /// No answer at all.
    Drop,
}

/// A zone: (lower-case name without trailing dot, type code) → records; NXDOMAIN for the
/// rest.
pub type Zone = HashMap<(String, u16), Vec<Rr>>;

type Policy = dyn Fn(&str, u16) -> Reply + Send + Sync;

pub fn zone_reply(zone: Zone) -> impl Fn(&str, u16) -> Reply + Send + Sync + 'static {
    move |name, qtype| {
        zone.get(&(name.to_owned(), qtype))
            .cloned()
            .map_or(Reply::Rcode(3), Reply::Answer)
    }
}

fn name(out: &mut Vec<u8>, n: &str) {
    for label in n.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        out.push(u8::try_from(label.len()).unwrap());
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// The answer to query `q`, or `None` to stay silent.
fn answer(q: &[u8], policy: &Policy) -> Option<Vec<u8>> {
    // Question: labels from offset 12, then type and class.
    let mut i = 12;
    let mut labels = Vec::new();
    while *q.get(i)? != 0 {
        let len = usize::from(q[i]);
        labels.push(String::from_utf8_lossy(q.get(i + 1..=i + len)?).to_lowercase());
        i += len + 1;
    }
    let qtype = u16::from_be_bytes([*q.get(i + 1)?, *q.get(i + 2)?]);
    let question = q.get(12..i + 5)?;
    let (rcode, answers) = match policy(&labels.join("."), qtype) {
        Reply::Drop => return None,
        Reply::Rcode(c) => (c, Vec::new()),
        Reply::Answer(a) => (0, a),
    };
    let mut out = Vec::new();
    out.extend_from_slice(&q[..2]); // id
    out.extend_from_slice(&[0x85, 0x80 | rcode]); // QR AA RD RA
    for c in [1u16, u16::try_from(answers.len()).unwrap(), 0, 0] {
        out.extend_from_slice(&c.to_be_bytes());
    }
    out.extend_from_slice(question);
    for rr in answers {
        out.extend_from_slice(&[0xc0, 12]); // the question's name
        let mut rdata = Vec::new();
        let t: u16 = match rr {
            Rr::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                for v in [priority, weight, port] {
                    rdata.extend_from_slice(&v.to_be_bytes());
                }
                name(&mut rdata, target);
                33
            }
            Rr::A(ip) => {
                rdata.extend_from_slice(&ip.octets());
                1
            }
        };
        out.extend_from_slice(&t.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes()); // IN
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    Some(out)
}

/// Serves `zone` on UDP and TCP until the test ends.
pub async fn serve(zone: Zone) -> SocketAddr {
    serve_with(zone_reply(zone)).await
}

/// Answers every question per `policy`, on UDP and TCP (same port) until the test ends.
pub async fn serve_with(policy: impl Fn(&str, u16) -> Reply + Send + Sync + 'static) -> SocketAddr {
    let policy: Arc<Policy> = Arc::new(policy);
    // The same port on both transports: the resolver asks both.
    let (sock, tcp) = loop {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        if let Ok(tcp) = TcpListener::bind(sock.local_addr().unwrap()).await {
            break (sock, tcp);
        }
    };
    let addr = sock.local_addr().unwrap();
    let p = Arc::clone(&policy);
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                return;
            };
            if let Some(out) = answer(&buf[..n], p.as_ref()) {
                let _ = sock.send_to(&out, peer).await;
            }
        }
    });
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = tcp.accept().await else {
                return;
            };
            let p = Arc::clone(&policy);
            tokio::spawn(async move {
                loop {
                    let Ok(len) = s.read_u16().await else { return };
                    let mut q = vec![0u8; usize::from(len)];
                    if s.read_exact(&mut q).await.is_err() {
                        return;
                    }
                    match answer(&q, p.as_ref()) {
                        Some(out) => {
                            let len = u16::try_from(out.len()).unwrap();
                            if s.write_u16(len).await.is_err() || s.write_all(&out).await.is_err() {
                                return;
                            }
                        }
                        // Silent: hold the connection open without answering.
                        None => std::future::pending::<()>().await,
                    }
                }
            });
        }
    });
    addr
}
