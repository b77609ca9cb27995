//! Phase costs (server and generator CPU, server RSS) and the output: text lines or JSON.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::procfs::{Proc, Sample};

/// A figure in a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A count or integral figure.
    Int(u64),
    /// A measured figure.
    Float(f64),
    /// Text.
    Str(String),
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Self::Int(v)
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Self::Int(v as u64)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}

/// The result of one phase.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// e.g. `W2 pingpong`.
    pub phase: String,
    /// Figures, in output order.
    pub fields: Vec<(String, Value)>,
}

impl Report {
    /// An empty report for `phase`.
    pub fn new(phase: &str) -> Self {
        Self {
            phase: phase.to_owned(),
            fields: Vec::new(),
        }
    }

    /// Adds a figure.
    pub fn add(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.fields.push((key.to_owned(), value.into()));
        self
    }

    /// A figure by key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// `phase: key=value …`.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}:", self.phase);
        for (k, v) in &self.fields {
            let _ = match v {
                Value::Int(i) => write!(s, " {k}={i}"),
                Value::Float(f) => write!(s, " {k}={f:.3}"),
                Value::Str(t) => write!(s, " {k}={t}"),
            };
        }
        s
    }

    /// One JSON object.
    pub fn to_json(&self) -> String {
        let mut s = format!("{{\"phase\":{}", json_str(&self.phase));
        for (k, v) in &self.fields {
            let _ = match v {
                Value::Int(i) => write!(s, ",{}:{i}", json_str(k)),
                Value::Float(f) if f.is_finite() => write!(s, ",{}:{f}", json_str(k)),
                Value::Float(_) => write!(s, ",{}:null", json_str(k)),
                Value::Str(t) => write!(s, ",{}:{}", json_str(k), json_str(t)),
            };
        }
        s.push('}');
        s
    }
}

/// A JSON string literal (RFC 8259 §7).
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Readings at the start of a phase.
#[derive(Debug, Clone, Copy)]
pub struct Meter {
    server: Option<Proc>,
    server_start: Option<Sample>,
    own_start: Option<Sample>,
    start: Instant,
}

/// What a phase cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    /// Wall time.
    pub wall: Duration,
    /// Server CPU in µs, if a server PID was given.
    pub server_cpu_us: Option<u64>,
    /// Server RSS at start and end, KiB.
    pub server_rss_kib: Option<(u64, u64)>,
    /// Generator CPU in µs.
    pub own_cpu_us: Option<u64>,
}

impl Meter {
    /// Takes the start readings.
    pub fn start(server: Option<u32>) -> Self {
        let server = server.map(Proc::Pid);
        Self {
            server,
            server_start: server.and_then(Proc::sample),
            own_start: Proc::Own.sample(),
            start: Instant::now(),
        }
    }

    /// Takes the end readings.
    pub fn stop(&self) -> Cost {
        let server_end = self.server.and_then(Proc::sample);
        let own_end = Proc::Own.sample();
        let pair = |a: Option<Sample>, b: Option<Sample>| a.zip(b);
        Cost {
            wall: self.start.elapsed(),
            server_cpu_us: pair(self.server_start, server_end)
                .map(|(a, b)| b.cpu_us().saturating_sub(a.cpu_us())),
            server_rss_kib: pair(self.server_start, server_end)
                .map(|(a, b)| (a.rss_kib, b.rss_kib)),
            own_cpu_us: pair(self.own_start, own_end)
                .map(|(a, b)| b.cpu_us().saturating_sub(a.cpu_us())),
        }
    }
}

#[allow(clippy::cast_precision_loss)] // counts and µs stay far below 2^52
fn per(total: u64, count: usize) -> f64 {
    if count == 0 {
        0.0
    } else {
        total as f64 / count as f64
    }
}

impl Cost {
    /// Adds wall time, CPU (total and per `unit` over `count`) and RSS to a report.
    pub fn add_to(&self, r: &mut Report, unit: &str, count: usize) {
        r.add("wall_s", self.wall.as_secs_f64());
        if let Some(cpu) = self.server_cpu_us {
            r.add("server_cpu_ms", per(cpu, 1000));
            if count > 0 {
                r.add(&format!("server_cpu_us_per_{unit}"), per(cpu, count));
            }
        }
        if let Some((a, b)) = self.server_rss_kib {
            r.add("server_rss_kib_start", a)
                .add("server_rss_kib_end", b);
        }
        if let Some(cpu) = self.own_cpu_us {
            r.add("own_cpu_ms", per(cpu, 1000));
            if count > 0 {
                r.add(&format!("own_cpu_us_per_{unit}"), per(cpu, count));
            }
        }
    }
}

/// `count / wall` per second.
#[allow(clippy::cast_precision_loss)]
pub fn rate(count: usize, wall: Duration) -> f64 {
    let s = wall.as_secs_f64();
    if s > 0.0 { count as f64 / s } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_text() {
        let mut r = Report::new("W2 \"pp\"");
        r.add("msgs", 10_usize)
            .add("rate", 2.5)
            .add("label", "a\\b\n");
        assert_eq!(
            r.to_json(),
            "{\"phase\":\"W2 \\\"pp\\\"\",\"msgs\":10,\"rate\":2.5,\"label\":\"a\\\\b\\n\"}"
        );
        assert_eq!(r.to_text(), "W2 \"pp\": msgs=10 rate=2.500 label=a\\b\n");
        r.add("nan", f64::NAN);
        assert!(r.to_json().ends_with(",\"nan\":null}"));
    }

    #[test]
    fn cost_per_unit() {
        let c = Cost {
            wall: Duration::from_secs(2),
            server_cpu_us: Some(50_000),
            server_rss_kib: Some((100, 300)),
            own_cpu_us: Some(10_000),
        };
        let mut r = Report::new("x");
        c.add_to(&mut r, "msg", 1000);
        assert_eq!(r.get("server_cpu_us_per_msg"), Some(&Value::Float(50.0)));
        assert_eq!(r.get("own_cpu_us_per_msg"), Some(&Value::Float(10.0)));
        assert_eq!(r.get("server_rss_kib_end"), Some(&Value::Int(300)));
        assert!((rate(1000, c.wall) - 500.0).abs() < 1e-9);
    }
}
