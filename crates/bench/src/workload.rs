//! The workloads (W1–W5 of the benchmark issue). Each is bounded in count and in time.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use memchr::memmem;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::task::JoinSet;

use crate::client::{self, After, Ctx, RosterReply, Session};
use crate::opts::{IdleArgs, LatencyArgs, LoginBurstArgs, PingpongArgs, RosterArgs};
use crate::report::{Meter, Report, rate};
use crate::scan::Scanner;
use crate::stats::percentiles;

/// Phase-wide settings.
#[derive(Debug, Clone)]
pub struct Run {
    /// Client context.
    pub ctx: Ctx,
    /// Server PID for CPU/RSS.
    pub server_pid: Option<u32>,
    /// Logins in flight.
    pub concurrency: usize,
    /// Bound on every phase.
    pub phase_timeout: Duration,
}

const READ: usize = 16 * 1024;

/// Logs in clients `indices` with at most `concurrency` logins in flight; sessions in index
/// order. Fails on the first failed login.
pub async fn login_many(
    run: &Run,
    indices: std::ops::Range<usize>,
    after: After,
) -> Result<Vec<Session>, String> {
    let deadline = Instant::now() + run.phase_timeout;
    let mut set = JoinSet::new();
    let mut out: Vec<(usize, Session)> = Vec::with_capacity(indices.len());
    let mut next = indices.start;
    loop {
        while next < indices.end && set.len() < run.concurrency.max(1) {
            let ctx = run.ctx.clone();
            let i = next;
            set.spawn(async move { client::login(&ctx, i, after).await.map(|s| (i, s)) });
            next += 1;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, set.join_next()).await {
            Err(_) => {
                return Err(format!(
                    "logins did not finish within {:?}",
                    run.phase_timeout
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(format!("login task: {e}")),
            Ok(Some(Ok(Err(e)))) => return Err(e),
            Ok(Some(Ok(Ok(s)))) => out.push(s),
        }
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

fn settle(secs: u64) -> tokio::time::Sleep {
    tokio::time::sleep(Duration::from_secs(secs))
}

/// W1: idle sessions.
pub async fn idle(run: &Run, a: &IdleArgs) -> Result<Vec<Report>, String> {
    if a.to <= a.from {
        return Err("--to must be larger than --from".to_owned());
    }
    let after = After {
        roster: false,
        presence: true,
    };
    let m1 = Meter::start(run.server_pid);
    let mut sessions = login_many(run, 0..a.from, after).await?;
    let c1 = m1.stop();
    settle(a.settle_secs).await;
    let before = Meter::start(run.server_pid).stop();
    let m2 = Meter::start(run.server_pid);
    sessions.extend(login_many(run, a.from..a.to, after).await?);
    let c2 = m2.stop();
    settle(a.settle_secs).await;
    let afterwards = Meter::start(run.server_pid).stop();
    let mut r = Report::new("W1 logins");
    r.add("sessions", a.to);
    r.add("logins_per_s", rate(a.to, c1.wall + c2.wall));
    let mut cost = c2;
    cost.wall += c1.wall;
    cost.server_cpu_us = c1.server_cpu_us.zip(c2.server_cpu_us).map(|(x, y)| x + y);
    cost.own_cpu_us = c1.own_cpu_us.zip(c2.own_cpu_us).map(|(x, y)| x + y);
    cost.server_rss_kib = None;
    cost.add_to(&mut r, "login", a.to);
    let mut reports = vec![r];
    let mut r = Report::new("W1 idle");
    r.add("sessions", sessions.len());
    if let (Some((_, x)), Some((_, y))) = (before.server_rss_kib, afterwards.server_rss_kib) {
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_wrap)]
        let slope = (y as i64 - x as i64) as f64 * 1024.0 / (a.to - a.from) as f64;
        r.add("rss_kib_at_from", x)
            .add("rss_kib_at_to", y)
            .add("rss_bytes_per_session", slope);
    }
    let idle = Meter::start(run.server_pid);
    settle(a.idle_secs).await;
    let ci = idle.stop();
    r.add("idle_secs", a.idle_secs);
    if let Some(cpu) = ci.server_cpu_us {
        r.add("server_cpu_ms_idle", cpu / 1000);
    }
    reports.push(r);
    drop(sessions);
    Ok(reports)
}

fn message(to: &str, body: &str) -> Vec<u8> {
    format!(
        "<message to='{}' type='chat'><body>{body}</body></message>",
        client::escape(to)
    )
    .into_bytes()
}

struct Flow {
    received: usize,
    errors: usize,
    sent: usize,
}

/// One side of a ping-pong pair: sends `initial` messages, then one more per message
/// received until `quota` were sent; done when `quota` were received.
async fn pingpong_side(
    mut s: Session,
    peer: String,
    initial: usize,
    quota: usize,
    deadline: Instant,
) -> Result<(Flow, Session), String> {
    let template = message(&peer, "p");
    let mut scanner = Scanner::new(false);
    let mut flow = Flow {
        received: 0,
        errors: 0,
        sent: 0,
    };
    let mut out = Vec::with_capacity(template.len() * initial.max(1));
    let send = |n: usize, flow: &mut Flow, out: &mut Vec<u8>| {
        let n = n.min(quota - flow.sent);
        for _ in 0..n {
            out.extend_from_slice(&template);
        }
        flow.sent += n;
    };
    send(initial, &mut flow, &mut out);
    let pending = std::mem::take(&mut s.pending);
    let f = scanner.feed(&pending)?;
    flow.received += f.messages;
    send(f.messages, &mut flow, &mut out);
    let mut buf = vec![0; READ];
    while flow.received < quota {
        if !out.is_empty() {
            s.io.write_all(&out)
                .await
                .map_err(|e| format!("write: {e}"))?;
            s.io.flush().await.map_err(|e| format!("write: {e}"))?;
            out.clear();
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let n = match tokio::time::timeout(left, s.io.read(&mut buf)).await {
            Err(_) => break,
            Ok(r) => r.map_err(|e| format!("read: {e}"))?,
        };
        if n == 0 {
            return Err(format!("{}: connection closed by the server", s.jid));
        }
        let f = scanner.feed(buf.get(..n).unwrap_or_default())?;
        flow.received += f.messages;
        flow.errors += f.errors;
        if f.errors > 0 {
            break;
        }
        send(f.messages, &mut flow, &mut out);
    }
    // The echo of the last message received is still to be sent.
    if !out.is_empty() {
        s.io.write_all(&out)
            .await
            .map_err(|e| format!("write: {e}"))?;
        s.io.flush().await.map_err(|e| format!("write: {e}"))?;
    }
    Ok((flow, s))
}

/// W2 and W2b: `pairs` pairs, `in_flight` messages in flight per pair.
pub async fn pingpong(run: &Run, a: &PingpongArgs) -> Result<Vec<Report>, String> {
    let after = After {
        roster: false,
        presence: true,
    };
    let sessions = login_many(run, 0..a.pairs * 2, after).await?;
    // Let presence broadcasts of the logins pass before measuring.
    settle(1).await;
    let jids: Vec<String> = sessions.iter().map(|s| s.jid.clone()).collect();
    let quota = a.round_trips.max(1) * a.in_flight.max(1);
    let deadline = Instant::now() + Duration::from_secs(a.secs);
    let meter = Meter::start(run.server_pid);
    let mut set = JoinSet::new();
    for (i, s) in sessions.into_iter().enumerate() {
        let peer = jids.get(i ^ 1).cloned().unwrap_or_default();
        let initial = if i % 2 == 0 { a.in_flight.max(1) } else { 0 };
        set.spawn(pingpong_side(s, peer, initial, quota, deadline));
    }
    let mut routed = 0;
    let mut errors = 0;
    let mut done = Vec::new();
    let mut failure = None;
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Ok((f, s))) => {
                routed += f.received;
                errors += f.errors;
                done.push(s);
            }
            Ok(Err(e)) => failure = Some(e),
            Err(e) => failure = Some(format!("task: {e}")),
        }
    }
    let cost = meter.stop();
    if let Some(e) = failure {
        return Err(e);
    }
    let name = if a.in_flight > 1 {
        "W2b pingpong"
    } else {
        "W2 pingpong"
    };
    let mut r = Report::new(name);
    r.add("pairs", a.pairs)
        .add("in_flight", a.in_flight)
        .add("routed", routed)
        .add("errors", errors);
    r.add("expected", a.pairs * 2 * quota);
    r.add("msgs_per_s", rate(routed, cost.wall));
    cost.add_to(&mut r, "msg", routed);
    drop(done);
    if errors > 0 {
        return Err(format!(
            "{}; the server bounced {errors} messages",
            r.to_text()
        ));
    }
    Ok(vec![r])
}

/// W3 receiver: latencies (µs) of the messages it gets, until `expected` or `deadline`.
async fn latency_receiver(
    mut s: Session,
    base: Instant,
    expected: usize,
    deadline: Instant,
) -> Result<Vec<u64>, String> {
    let mut scanner = Scanner::new(true);
    let mut lat = Vec::with_capacity(expected);
    let mut buf = vec![0; READ];
    let record = |f: crate::scan::Found, lat: &mut Vec<u64>| {
        let now = u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX);
        for b in f.bodies {
            if let Some(t) = std::str::from_utf8(&b)
                .ok()
                .and_then(|t| t.parse::<u64>().ok())
            {
                lat.push(now.saturating_sub(t));
            }
        }
        f.errors
    };
    let pending = std::mem::take(&mut s.pending);
    let mut errors = record(scanner.feed(&pending)?, &mut lat);
    while lat.len() < expected && errors == 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = match tokio::time::timeout(left, s.io.read(&mut buf)).await {
            Err(_) => break,
            Ok(r) => r.map_err(|e| format!("read: {e}"))?,
        };
        if n == 0 {
            return Err("connection closed by the server".to_owned());
        }
        errors += record(scanner.feed(buf.get(..n).unwrap_or_default())?, &mut lat);
    }
    if errors > 0 {
        return Err(format!("the server bounced {errors} messages"));
    }
    Ok(lat)
}

/// W3: one-way latency at a fixed total rate; timestamps (µs since `base`) in the body.
pub async fn latency(run: &Run, a: &LatencyArgs) -> Result<Vec<Report>, String> {
    let pairs = a.pairs.max(1);
    let after = After {
        roster: false,
        presence: true,
    };
    let sessions = login_many(run, 0..pairs * 2, after).await?;
    settle(1).await;
    let jids: Vec<String> = sessions.iter().map(|s| s.jid.clone()).collect();
    let per_sender = usize::try_from(a.secs * u64::from(a.rate)).unwrap_or(usize::MAX) / pairs;
    let interval = Duration::from_secs_f64(
        f64::from(u32::try_from(pairs).unwrap_or(u32::MAX)) / f64::from(a.rate.max(1)),
    );
    let base = Instant::now();
    let deadline = base + Duration::from_secs(a.secs + 10);
    let meter = Meter::start(run.server_pid);
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let mut senders: JoinSet<Result<Vec<u64>, String>> = JoinSet::new();
    let mut set: JoinSet<Result<Vec<u64>, String>> = JoinSet::new();
    #[allow(clippy::cast_precision_loss)] // pair counts are far below 2^52
    let spread = |i: usize| (i / 2) as f64 / pairs as f64;
    for (i, mut s) in sessions.into_iter().enumerate() {
        let peer = jids.get(i ^ 1).cloned().unwrap_or_default();
        if i % 2 == 0 {
            let mut done_rx = done_rx.clone();
            // Sender; starts staggered over one interval so the total rate is even.
            let offset = interval.mul_f64(spread(i));
            senders.spawn(async move {
                let mut tick = tokio::time::interval_at((base + offset).into(), interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                for _ in 0..per_sender {
                    tick.tick().await;
                    let t = u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX);
                    s.io.write_all(&message(&peer, &t.to_string()))
                        .await
                        .map_err(|e| format!("write: {e}"))?;
                    s.io.flush().await.map_err(|e| format!("write: {e}"))?;
                }
                // Keep the session until the receivers are done (bounded by the deadline).
                let _ = tokio::time::timeout_at(deadline.into(), done_rx.wait_for(|d| *d)).await;
                drop(s);
                Ok(Vec::new())
            });
        } else {
            set.spawn(latency_receiver(s, base, per_sender, deadline));
        }
    }
    let mut all = Vec::new();
    let mut failure = None;
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Ok(v)) => all.extend(v),
            Ok(Err(e)) => failure = Some(e),
            Err(e) => failure = Some(format!("task: {e}")),
        }
    }
    let cost = meter.stop();
    let _ = done_tx.send(true);
    while let Some(r) = senders.join_next().await {
        match r {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => failure = Some(e),
            Err(e) => failure = Some(format!("task: {e}")),
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let p = percentiles(&mut all);
    let mut r = Report::new("W3 latency");
    r.add("pairs", pairs)
        .add("rate", u64::from(a.rate))
        .add("expected", per_sender * pairs);
    r.add("received", p.count);
    r.add("p50_us", p.p50)
        .add("p90_us", p.p90)
        .add("p99_us", p.p99)
        .add("max_us", p.max);
    cost.add_to(&mut r, "msg", p.count);
    Ok(vec![r])
}

/// W4: login + logout burst.
pub async fn login_burst(run: &Run, a: &LoginBurstArgs) -> Result<Vec<Report>, String> {
    let meter = Meter::start(run.server_pid);
    let deadline = Instant::now() + run.phase_timeout;
    let mut set = JoinSet::new();
    let mut next = 0;
    let mut done = 0;
    let after = After {
        roster: false,
        presence: true,
    };
    let limit = run.ctx.io_timeout;
    while done < a.logins {
        while next < a.logins && set.len() < run.concurrency.max(1) {
            let ctx = run.ctx.clone();
            let i = next;
            set.spawn(async move { client::login(&ctx, i, after).await?.logout(limit).await });
            next += 1;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, set.join_next()).await {
            Err(_) => {
                return Err(format!(
                    "login burst did not finish within {:?}",
                    run.phase_timeout
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(format!("login task: {e}")),
            Ok(Some(Ok(Err(e)))) => return Err(e),
            Ok(Some(Ok(Ok(())))) => done += 1,
        }
    }
    let cost = meter.stop();
    let mut r = Report::new("W4 login-burst");
    r.add("logins", done)
        .add("logins_per_s", rate(done, cost.wall));
    cost.add_to(&mut r, "login", done);
    Ok(vec![r])
}

/// Reads from `s` until `pred` holds on everything received, bounded by `limit` and 4 MiB.
async fn read_until(
    s: &mut Session,
    limit: Duration,
    pred: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, String> {
    let mut all = std::mem::take(&mut s.pending);
    let deadline = Instant::now() + limit;
    let mut buf = vec![0; READ];
    while !pred(&all) {
        if all.len() > 4 << 20 {
            return Err("too much data while waiting".to_owned());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, s.io.read(&mut buf))
            .await
            .map_err(|_| format!("{}: timed out waiting", s.jid))?
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err(format!("{}: connection closed by the server", s.jid));
        }
        all.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    Ok(all)
}

/// Reads whatever `s` has already received into its pending bytes, without waiting.
async fn drain_available(s: &mut Session) -> Result<(), String> {
    let mut buf = vec![0; READ];
    loop {
        match tokio::time::timeout(Duration::from_millis(1), s.io.read(&mut buf)).await {
            Err(_) => return Ok(()),
            Ok(Ok(0)) => return Err(format!("{}: connection closed by the server", s.jid)),
            Ok(Ok(n)) => s
                .pending
                .extend_from_slice(buf.get(..n).unwrap_or_default()),
            Ok(Err(e)) => return Err(format!("read: {e}")),
        }
        if s.pending.len() > 4 << 20 {
            return Err("too much data while waiting".to_owned());
        }
    }
}

fn count_type(data: &[u8], ty: &str) -> usize {
    let a = format!("type='{ty}'");
    let b = format!("type=\"{ty}\"");
    memmem::find_iter(data, a.as_bytes()).count() + memmem::find_iter(data, b.as_bytes()).count()
}

fn bare(jid: &str) -> &str {
    jid.split('/').next().unwrap_or(jid)
}

/// W5 setup: account 0 and accounts 1..=R become mutual contacts through the protocol
/// (RFC 6121 §2.3 roster set, §3.1 subscribe/subscribed both ways).
async fn roster_setup(
    run: &Run,
    r: usize,
    u0: &mut Session,
    contacts: &mut [Session],
) -> Result<(), String> {
    let limit = run.phase_timeout;
    let mut out = String::new();
    for (i, c) in contacts.iter().enumerate() {
        let jid = client::escape(bare(&c.jid));
        let _ = write!(
            out,
            "<iq type='set' id='s{i}'><query xmlns='jabber:iq:roster'><item jid='{jid}'/></query></iq>\
             <presence to='{jid}' type='subscribe'/>"
        );
    }
    u0.io
        .write_all(out.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    u0.io.flush().await.map_err(|e| format!("write: {e}"))?;
    let u0_bare = client::escape(bare(&u0.jid));
    for c in contacts.iter_mut() {
        read_until(c, limit, |d| count_type(d, "subscribe") >= 1).await?;
        let reply = format!(
            "<presence to='{u0_bare}' type='subscribed'/><presence to='{u0_bare}' type='subscribe'/>"
        );
        c.io.write_all(reply.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        c.io.flush().await.map_err(|e| format!("write: {e}"))?;
        // Account 0 gets a push and a request per contact meanwhile: keep reading it, as a
        // real client would, or the server rightly closes it as a slow reader.
        drain_available(u0).await?;
    }
    read_until(u0, limit, |d| count_type(d, "subscribe") >= r).await?;
    let mut out = String::new();
    for c in contacts.iter() {
        let _ = write!(
            out,
            "<presence to='{}' type='subscribed'/>",
            client::escape(bare(&c.jid))
        );
    }
    u0.io
        .write_all(out.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    u0.io.flush().await.map_err(|e| format!("write: {e}"))
}

fn presences_from_others(data: &[u8], own_bare: &str) -> usize {
    let a = format!("from='{own_bare}");
    let b = format!("from=\"{own_bare}");
    memmem::find_iter(data, b"<presence")
        .filter(|&at| {
            let tag = data.get(at..).unwrap_or_default();
            let tag = tag
                .get(..memchr::memchr(b'>', tag).unwrap_or(tag.len()))
                .unwrap_or_default();
            memmem::find(tag, a.as_bytes()).is_none() && memmem::find(tag, b.as_bytes()).is_none()
        })
        .count()
}

/// W5: logins of account 0 whose `contacts` contacts are all online.
pub async fn roster(run: &Run, a: &RosterArgs) -> Result<Vec<Report>, String> {
    let r = a.contacts;
    let mut rep = Report::new("W5 roster");
    if run.ctx.accounts < r + 1 {
        return Err(format!("W5 needs --accounts >= {}", r + 1));
    }
    let limit = run.ctx.io_timeout;
    // Available (initial presence sent), so that the contacts' subscription requests are
    // delivered to it at once (RFC 6121 §3.1.3) rather than kept for its next login.
    let mut u0 = client::login(
        &run.ctx,
        0,
        After {
            roster: true,
            presence: true,
        },
    )
    .await?;
    if u0.roster == RosterReply::Unsupported {
        rep.add(
            "skipped",
            "the server answered the roster get with an error (no roster support)",
        );
        return Ok(vec![rep]);
    }
    let mut contacts = login_many(
        run,
        1..r + 1,
        After {
            roster: false,
            presence: true,
        },
    )
    .await?;
    if !a.no_setup {
        roster_setup(run, r, &mut u0, &mut contacts).await?;
        settle(2).await;
    }
    let own = bare(&u0.jid).to_owned();
    u0.logout(limit).await?;
    let meter = Meter::start(run.server_pid);
    let mut both = None;
    for _ in 0..a.logins.max(1) {
        let mut s = client::login(
            &run.ctx,
            0,
            After {
                roster: true,
                presence: true,
            },
        )
        .await?;
        if let RosterReply::Items { both: b, .. } = s.roster {
            both.get_or_insert(b);
        }
        read_until(&mut s, run.phase_timeout, |d| {
            presences_from_others(d, &own) >= r
        })
        .await?;
        s.logout(limit).await?;
    }
    let cost = meter.stop();
    rep.add("contacts", r)
        .add("roster_both", both.unwrap_or(0))
        .add("logins", a.logins.max(1));
    cost.add_to(&mut rep, "login", a.logins.max(1));
    drop(contacts);
    Ok(vec![rep])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_counting_skips_own() {
        let d = b"<presence from='u0@x/r0' to='u0@x/r0'/><presence from='c1@x/r1' to='u0@x/r0'/>\
                  <presence to='u0@x/r0' from=\"c2@x/r2\"><priority>1</priority></presence>\
                  <presence from='u01@x/r' to='u0@x/r0'/>";
        assert_eq!(presences_from_others(d, "u0@x"), 2 + 1);
        assert_eq!(count_type(b"<presence type='subscribe'/><presence type=\"subscribe\"/><presence type='subscribed'/>", "subscribe"), 2);
    }
}
