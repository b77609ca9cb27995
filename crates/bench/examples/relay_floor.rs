//! The I/O floor under W2: what it costs a server process to relay one message between two TCP
//! connections on loopback, with Waxwing's shape (one tokio task per connection on a
//! multi-thread runtime, the receiver's task woken to write) but none of XMPP (fixed-size
//! messages: no parsing, routing, hooks or serialisation). Waxwing's W2 figure minus this one is
//! what XMPP processing costs; this one is what the architecture costs.
//!
//! ```text
//! cargo run --release -p waxwing-bench --example relay_floor -- [mailbox|direct] [pairs] [round_trips] [size]
//! ```
//! `mailbox`: the reading task queues the message for the partner's task, which writes it (as
//! Waxwing does). `direct`: the reading task writes to the partner's socket itself (no second
//! task wake-up: the lower bound of a design that writes from the sender's task).
//! The clients run in a child process (this program with `--client`), one message in flight per
//! pair as in W2; the relay reports its own CPU (`/proc/self/stat`) per relayed message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use waxwing_bench::procfs::Proc;

type Registry = Arc<Mutex<HashMap<u32, Peer>>>;

#[derive(Clone)]
enum Peer {
    Mailbox(mpsc::Sender<Box<[u8]>>),
    Direct(Arc<tokio::sync::Mutex<OwnedWriteHalf>>),
}

fn arg(args: &[String], i: usize, default: usize) -> usize {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--client") {
        let port = arg(&args, 2, 0);
        let (pairs, rts, size) = (arg(&args, 3, 1000), arg(&args, 4, 100), arg(&args, 5, 200));
        return tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(client(port, pairs, rts, size));
    }
    let direct = args.get(1).map(String::as_str) == Some("direct");
    let (pairs, rts, size) = (arg(&args, 2, 1000), arg(&args, 3, 100), arg(&args, 4, 200));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(relay(direct, pairs, rts, size))
}

async fn relay(
    direct: bool,
    pairs: usize,
    rts: usize,
    size: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let registry: Registry = Arc::default();
    let (ready_tx, mut ready_rx) = mpsc::channel::<()>(1);
    let reg = Arc::clone(&registry);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            s.set_nodelay(true).ok();
            tokio::spawn(conn(
                s,
                Arc::clone(&reg),
                direct,
                size,
                ready_tx.clone(),
                pairs,
            ));
        }
    });
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["--client", &port.to_string()])
        .args([pairs.to_string(), rts.to_string(), size.to_string()])
        .spawn()?;
    ready_rx.recv().await;
    let before = Proc::Own.sample().ok_or("no /proc/self")?;
    let start = Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait()).await??;
    let wall = start.elapsed();
    let after = Proc::Own.sample().ok_or("no /proc/self")?;
    let messages = pairs * rts * 2;
    let cpu_us = after.cpu_us().saturating_sub(before.cpu_us());
    #[allow(clippy::cast_precision_loss)]
    let per = cpu_us as f64 / messages as f64;
    #[allow(clippy::cast_precision_loss)]
    let rate = messages as f64 / wall.as_secs_f64();
    println!(
        "relay-floor: mode={} pairs={pairs} round_trips={rts} size={size} messages={messages} \
         server_cpu_us_per_message={per:.2} messages_per_s={rate:.0} client={status}",
        if direct { "direct" } else { "mailbox" }
    );
    Ok(())
}

/// One relayed connection: its first 8 bytes are its id and its partner's.
async fn conn(
    s: TcpStream,
    reg: Registry,
    direct: bool,
    size: usize,
    ready: mpsc::Sender<()>,
    pairs: usize,
) {
    let (mut rd, wr) = s.into_split();
    let mut ids = [0u8; 8];
    if rd.read_exact(&mut ids).await.is_err() {
        return;
    }
    let [a0, a1, a2, a3, b0, b1, b2, b3] = ids;
    let (me, partner) = (
        u32::from_be_bytes([a0, a1, a2, a3]),
        u32::from_be_bytes([b0, b1, b2, b3]),
    );
    let (tx, mut rx) = mpsc::channel::<Box<[u8]>>(64);
    let wr = Arc::new(tokio::sync::Mutex::new(wr));
    let peer = if direct {
        Peer::Direct(Arc::clone(&wr))
    } else {
        Peer::Mailbox(tx)
    };
    let all = {
        let mut r = reg
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        r.insert(me, peer);
        r.len() == pairs * 2
    };
    if all {
        let _ = ready.send(()).await;
    }
    drop(ready);
    let mut to: Option<Peer> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        tokio::select! {
            r = rd.read(&mut buf) => {
                let n = match r { Ok(0) | Err(_) => return, Ok(n) => n };
                pending.extend_from_slice(buf.get(..n).unwrap_or_default());
                while pending.len() >= size {
                    let msg: Box<[u8]> = pending.drain(..size).collect();
                    if to.is_none() {
                        to = reg.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&partner).cloned();
                    }
                    match &to {
                        Some(Peer::Mailbox(p)) => { let _ = p.try_send(msg); }
                        Some(Peer::Direct(w)) => { let _ = w.lock().await.write_all(&msg).await; }
                        None => {}
                    }
                }
            }
            Some(msg) = rx.recv() => {
                let mut out = msg.into_vec();
                while let Ok(more) = rx.try_recv() {
                    out.extend_from_slice(&more);
                }
                if wr.lock().await.write_all(&out).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn client(
    port: usize,
    pairs: usize,
    rts: usize,
    size: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let addr = format!("127.0.0.1:{port}");
    let mut conns = Vec::with_capacity(pairs * 2);
    for i in 0..pairs * 2 {
        let mut s = TcpStream::connect(&addr).await?;
        s.set_nodelay(true)?;
        let me = u32::try_from(i)?;
        let mut ids = me.to_be_bytes().to_vec();
        ids.extend_from_slice(&(me ^ 1).to_be_bytes());
        s.write_all(&ids).await?;
        conns.push(s);
    }
    let mut tasks = tokio::task::JoinSet::new();
    let mut it = conns.into_iter();
    while let (Some(mut a), Some(mut b)) = (it.next(), it.next()) {
        tasks.spawn(async move {
            let msg = vec![b'x'; size];
            let mut got = vec![0u8; size];
            for _ in 0..rts {
                a.write_all(&msg).await?;
                b.read_exact(&mut got).await?;
                b.write_all(&got).await?;
                a.read_exact(&mut got).await?;
            }
            Ok::<(), std::io::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    Ok(())
}
