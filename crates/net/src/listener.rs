//! TCP listeners: accept loops that hand each socket to a [`C2sService`] task.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::c2s::{C2sService, ConnMode};

/// Binds every address; the first failure is returned with the address that caused it.
pub async fn bind_all(addrs: &[SocketAddr]) -> Result<Vec<TcpListener>, (SocketAddr, io::Error)> {
    let mut out = Vec::with_capacity(addrs.len());
    for a in addrs {
        out.push(TcpListener::bind(a).await.map_err(|e| (*a, e))?);
    }
    Ok(out)
}

/// Accepts connections until the service shuts down; each runs in its own task.
pub fn spawn_accept_loop(
    listener: TcpListener,
    service: C2sService,
    mode: ConnMode,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let local = listener.local_addr().ok();
        let mut shutdown = service.shutdown_signal();
        loop {
            tokio::select! {
                r = listener.accept() => match r {
                    Ok((sock, peer)) => {
                        // Stanzas are small and latency matters more than packet count.
                        let _ = sock.set_nodelay(true);
                        service.spawn(sock, peer, mode);
                    }
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(?local, error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                },
                r = shutdown.changed() => {
                    if r.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
        tracing::debug!(?local, "listener stopped");
    })
}
