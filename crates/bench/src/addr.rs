//! Target checks and source-address spreading.
//!
//! Loopback connections to one destination run out of local ports near 28k per source
//! address (the ephemeral range), so clients beyond a per-source budget bind 127.0.0.2,
//! 127.0.0.3, … — all of 127.0.0.0/8 is loopback on Linux.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Default number of clients per source address.
pub const DEFAULT_PER_SOURCE: usize = 20_000;

/// Refuses a target outside loopback unless `allow_remote`.
pub fn check_target(target: SocketAddr, allow_remote: bool) -> Result<(), String> {
    if target.ip().is_loopback() || allow_remote {
        Ok(())
    } else {
        Err(format!(
            "{target} is not a loopback address; pass --allow-remote to load a remote server"
        ))
    }
}

/// The source address for client `index` when sending to `target`, or `None` to let the
/// kernel choose (non-IPv4-loopback targets, or the first `per_source` clients).
pub fn source_for(target: SocketAddr, index: usize, per_source: usize) -> Option<SocketAddr> {
    let IpAddr::V4(v4) = target.ip() else {
        return None;
    };
    if !v4.is_loopback() || per_source == 0 {
        return None;
    }
    let slot = index / per_source;
    if slot == 0 {
        return None;
    }
    // 127.0.0.1 is the kernel's choice for slot 0; slots 1.. use .2, .3, … then the next
    // octet, staying inside 127.0.0.0/8 and off the .0 and .255 host numbers.
    let host = u32::try_from(slot).ok()?;
    let (hi, lo) = (host / 254, host % 254 + 1);
    let mid = u8::try_from(hi).ok()?;
    let lo = u8::try_from(lo).ok()?;
    Some(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(127, 0, mid, lo)),
        0,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn remote_targets_need_the_flag() {
        assert!(check_target(t("127.0.0.1:5222"), false).is_ok());
        assert!(check_target(t("[::1]:5222"), false).is_ok());
        assert!(check_target(t("192.0.2.1:5222"), false).is_err());
        assert!(check_target(t("192.0.2.1:5222"), true).is_ok());
    }

    #[test]
    fn spreading_starts_after_the_budget() {
        let target = t("127.0.0.1:5222");
        assert_eq!(source_for(target, 0, 20_000), None);
        assert_eq!(source_for(target, 19_999, 20_000), None);
        assert_eq!(source_for(target, 20_000, 20_000), Some(t("127.0.0.2:0")));
        assert_eq!(source_for(target, 40_000, 20_000), Some(t("127.0.0.3:0")));
        // never .0 or .255: after .254 comes 127.0.1.1
        assert_eq!(source_for(target, 253 * 10, 10), Some(t("127.0.0.254:0")));
        assert_eq!(source_for(target, 254 * 10, 10), Some(t("127.0.1.1:0")));
    }

    #[test]
    fn no_spreading_off_ipv4_loopback() {
        assert_eq!(source_for(t("[::1]:5222"), 50_000, 20_000), None);
        assert_eq!(source_for(t("192.0.2.1:5222"), 50_000, 20_000), None);
        assert_eq!(source_for(t("127.0.0.1:5222"), 50_000, 0), None);
    }
}
