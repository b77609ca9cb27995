//! Server-side cost readings from Linux `/proc`: CPU time (`utime` + `stime`, fields 14 and 15
//! of `/proc/PID/stat`, proc(5)) and resident memory (`VmRSS` in `/proc/PID/status`).

use std::path::PathBuf;

/// Clock ticks per second of `/proc/PID/stat` times. `USER_HZ` is 100 on every Linux ABI
/// this runs on; reading it with `sysconf` would need `unsafe` (forbidden in the workspace).
pub const TICKS_PER_SEC: u64 = 100;

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// `utime + stime`, in clock ticks.
    pub cpu_ticks: u64,
    /// `VmRSS`, in KiB.
    pub rss_kib: u64,
}

impl Sample {
    /// CPU time in microseconds.
    pub const fn cpu_us(self) -> u64 {
        self.cpu_ticks * (1_000_000 / TICKS_PER_SEC)
    }
}

/// Which process to read: a PID, or this process (`/proc/self`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proc {
    /// Another process.
    Pid(u32),
    /// The generator itself.
    Own,
}

impl Proc {
    fn dir(self) -> PathBuf {
        match self {
            Self::Pid(p) => PathBuf::from(format!("/proc/{p}")),
            Self::Own => PathBuf::from("/proc/self"),
        }
    }

    /// Reads CPU and RSS; `None` if the process is gone or the files are unreadable.
    pub fn sample(self) -> Option<Sample> {
        let dir = self.dir();
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        let status = std::fs::read_to_string(dir.join("status")).ok()?;
        Some(Sample {
            cpu_ticks: parse_stat_cpu(&stat)?,
            rss_kib: parse_status_rss(&status)?,
        })
    }
}

/// `utime + stime` from the text of `/proc/PID/stat`. The command name (field 2) is in
/// parentheses and may itself contain spaces and `)`, so fields are counted after the last `)`.
pub fn parse_stat_cpu(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: field 3 (state) is the first; utime and stime are fields 14 and 15.
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` in KiB from the text of `/proc/PID/status`.
pub fn parse_status_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut parts = line["VmRSS:".len()..].split_ascii_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | None => Some(value),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_name_with_spaces_and_parens() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    731 205 0 0 20 0 9 0 123456 987654321 2048 18446744073709551615";
        assert_eq!(parse_stat_cpu(stat), Some(936));
    }

    #[test]
    fn stat_truncated_is_none() {
        assert_eq!(parse_stat_cpu("1 (x) S 1 2 3"), None);
        assert_eq!(parse_stat_cpu("no parens at all"), None);
    }

    #[test]
    fn status_rss() {
        let status = "Name:\twaxwing\nVmPeak:\t  99999 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(parse_status_rss(status), Some(12345));
        assert_eq!(parse_status_rss("Name:\tx\n"), None);
        assert_eq!(parse_status_rss("VmRSS:\t 12 MB\n"), None);
    }

    #[test]
    fn own_process_is_readable() {
        let s = Proc::Own.sample().unwrap();
        assert!(s.rss_kib > 0);
        assert_eq!(
            Sample {
                cpu_ticks: 3,
                rss_kib: 0
            }
            .cpu_us(),
            30_000
        );
    }
}
