//! Finding a remote domain's s2s service (RFC 6120 §3.2, XEP-0368): a static override
//! table, then `_xmpps-server._tcp` (direct TLS) and `_xmpp-server._tcp` (STARTTLS) SRV
//! records ordered per RFC 2782, then the domain's A/AAAA records on port 5269.
//!
//! DNS failures: a failed SRV query (SERVFAIL, REFUSED, timeout) is logged and the
//! A/AAAA fallback is used (RFC 6120 §3.2.1 step 3 and §3.2.2 allow it); a definitive
//! "no such domain" (NXDOMAIN, or no address records) for the A/AAAA lookup is
//! [`ResolveError::NoSuchDomain`]; other failures are [`ResolveError::Dns`]. Every DNS error
//! is logged at debug with the name queried and the response code.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::xfer::Protocol;

/// The default s2s port (RFC 6120 §14.7).
pub const DEFAULT_PORT: u16 = 5269;

/// One SRV record (RFC 2782), tagged with the kind of TLS its service uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Priority: lower first.
    pub priority: u16,
    /// Weight within a priority.
    pub weight: u16,
    /// Port.
    pub port: u16,
    /// Target host, without the trailing dot.
    pub target: String,
    /// From `_xmpps-server` (XEP-0368 direct TLS) rather than `_xmpp-server`.
    pub direct_tls: bool,
}

/// Where to connect, in order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// A host name to look up, or an address.
    pub host: Host,
    /// Port.
    pub port: u16,
    /// Direct TLS (XEP-0368) rather than STARTTLS.
    pub direct_tls: bool,
}

/// A target's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A name whose A/AAAA records are looked up at connect time.
    Name(String),
    /// A fixed address (override table).
    Addr(IpAddr),
}

/// Why a domain has no s2s service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The `_xmpp-server` SRV record set says "no service" (a single record with target
    /// `.`, RFC 2782, RFC 6120 §3.2.1) and no direct TLS service is published.
    #[error("the domain publishes no XMPP server service")]
    NoService,
    /// The DNS says the name does not exist or has no addresses (NXDOMAIN, or NOERROR
    /// with no A/AAAA records): the name queried and the response code.
    #[error("DNS: {0}")]
    NoSuchDomain(String),
    /// DNS failed (SERVFAIL, REFUSED, timeout, no resolver): the name queried and why.
    #[error("DNS: {0}")]
    Dns(String),
}

/// A DNS error read for logs and decisions: the response code when the server answered,
/// and whether the answer is definitive (the name or the records do not exist) rather
/// than a failure to get one.
fn describe(name: &str, e: &hickory_resolver::ResolveError) -> (bool, String) {
    let kind = e.proto().map(hickory_resolver::proto::ProtoError::kind);
    match kind {
        Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => {
            let definitive = matches!(
                response_code,
                ResponseCode::NXDomain | ResponseCode::NoError
            );
            let code = u16::from(*response_code);
            let text = if *response_code == ResponseCode::NoError {
                format!("{name}: no records (rcode {code} {response_code})")
            } else {
                format!("{name}: rcode {code} {response_code}")
            };
            (definitive, text)
        }
        Some(ProtoErrorKind::Timeout) => (false, format!("{name}: no answer (timed out)")),
        _ => (false, format!("{name}: {e}")),
    }
}

/// What the SRV queries for a domain found: the records in connection order, and the
/// queries that failed without a definitive answer (A/AAAA fallback applies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SrvAnswer {
    /// The records, ordered per RFC 2782 and XEP-0368.
    pub records: Vec<SrvRecord>,
    /// Failed queries: the name and the response code or error.
    pub failures: Vec<String>,
}

/// Orders SRV records per RFC 2782: by priority, and within a priority by weighted random
/// selection (records of weight 0 have a small chance, RFC 2782 "Usage rules"). At equal
/// priority, direct TLS records are tried before STARTTLS ones (XEP-0368 §3).
/// `rand(n)` returns a uniform integer in `0..=n`.
pub fn order_srv(mut records: Vec<SrvRecord>, rand: &mut dyn FnMut(u32) -> u32) -> Vec<SrvRecord> {
    records.sort_by_key(|r| (r.priority, !r.direct_tls));
    let mut out = Vec::with_capacity(records.len());
    let mut rest = records.into_iter().peekable();
    while let Some(first) = rest.next() {
        let key = (first.priority, first.direct_tls);
        let mut group = vec![first];
        while let Some(r) = rest.next_if(|r| (r.priority, r.direct_tls) == key) {
            group.push(r);
        }
        // RFC 2782: zero-weight records first, then repeatedly pick the first record whose
        // running sum of weights reaches a random number in 0..=sum.
        group.sort_by_key(|r| r.weight != 0);
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight)).sum();
            let pick = rand(total);
            let mut running = 0u32;
            let idx = group
                .iter()
                .position(|r| {
                    running += u32::from(r.weight);
                    running >= pick
                })
                .unwrap_or(0);
            out.push(group.remove(idx));
        }
    }
    out
}

/// A uniform random integer in `0..=n`.
pub fn random_up_to(n: u32) -> u32 {
    let mut b = [0u8; 4];
    if getrandom::fill(&mut b).is_err() {
        return 0;
    }
    let r = u32::from_le_bytes(b);
    match n.checked_add(1) {
        Some(m) => r % m,
        None => r,
    }
}

/// Resolution settings.
#[derive(Debug, Clone, Default)]
pub struct ResolverSettings {
    /// Name servers to ask (UDP and TCP); empty: the system's (`/etc/resolv.conf`).
    pub nameservers: Vec<SocketAddr>,
    /// Static overrides: domain → address, STARTTLS on that port. Checked first.
    pub hosts: HashMap<String, SocketAddr>,
}

/// The s2s resolver.
#[derive(Clone)]
pub struct Resolver {
    hosts: HashMap<String, SocketAddr>,
    dns: Option<TokioResolver>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver; DNS is unavailable (only overrides work) if the system configuration
    /// cannot be read and no name servers are given.
    pub fn new(settings: &ResolverSettings) -> Self {
        let dns = if settings.nameservers.is_empty() {
            TokioResolver::builder_tokio()
                .map_err(|e| tracing::warn!(error = %e, "no system DNS configuration"))
                .ok()
                .map(hickory_resolver::ResolverBuilder::build)
        } else {
            let mut cfg = ResolverConfig::new();
            for ns in &settings.nameservers {
                cfg.add_name_server(NameServerConfig::new(*ns, Protocol::Udp));
                cfg.add_name_server(NameServerConfig::new(*ns, Protocol::Tcp));
            }
            let mut b = TokioResolver::builder_with_config(cfg, TokioConnectionProvider::default());
            *b.options_mut() = ResolverOpts::default();
            Some(b.build())
        };
        Self {
            hosts: settings
                .hosts
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), *v))
                .collect(),
            dns,
        }
    }

    /// The connection targets for `domain`, best first.
    pub async fn targets(&self, domain: &str) -> Result<Vec<Target>, ResolveError> {
        if let Some(a) = self.hosts.get(&domain.to_ascii_lowercase()) {
            return Ok(vec![Target {
                host: Host::Addr(a.ip()),
                port: a.port(),
                direct_tls: false,
            }]);
        }
        let records = self.srv_records(domain).await?;
        if !records.is_empty() {
            return Ok(records
                .into_iter()
                .map(|r| Target {
                    host: Host::Name(r.target),
                    port: r.port,
                    direct_tls: r.direct_tls,
                })
                .collect());
        }
        // RFC 6120 §3.2.2: no SRV records: the domain itself on the default port.
        Ok(vec![Target {
            host: Host::Name(domain.to_owned()),
            port: DEFAULT_PORT,
            direct_tls: false,
        }])
    }

    /// The `_xmpps-server._tcp` and `_xmpp-server._tcp` records of `domain` in connection
    /// order (RFC 2782, XEP-0368); empty when none are published.
    /// [`ResolveError::NoService`] when both sets say "no service" (target `.`).
    pub async fn srv_records(&self, domain: &str) -> Result<Vec<SrvRecord>, ResolveError> {
        self.srv_lookup(domain).await.map(|a| a.records)
    }

    /// Like [`Self::srv_records`], with the queries that failed (for `waxwing check`).
    pub async fn srv_lookup(&self, domain: &str) -> Result<SrvAnswer, ResolveError> {
        let Some(dns) = &self.dns else {
            return Err(ResolveError::Dns("no DNS resolver configured".into()));
        };
        let fqdn = format!("{}.", domain.trim_end_matches('.'));
        let mut records = Vec::new();
        let mut failures = Vec::new();
        // RFC 6120 §3.2.1: "." under `_xmpp-server` means abort; under `_xmpps-server`
        // (XEP-0368) only that there is no direct TLS service.
        let mut no_service = false;
        for (prefix, direct_tls) in [("_xmpps-server._tcp.", true), ("_xmpp-server._tcp.", false)] {
            let name = format!("{prefix}{fqdn}");
            match dns.srv_lookup(name.as_str()).await {
                Ok(l) => {
                    let set: Vec<_> = l.iter().collect();
                    // RFC 2782: a lone record with target "." means "no service here".
                    if set.len() == 1 && set.iter().all(|s| s.target().is_root()) {
                        no_service |= !direct_tls;
                        continue;
                    }
                    records.extend(set.into_iter().filter(|s| !s.target().is_root()).map(|s| {
                        SrvRecord {
                            priority: s.priority(),
                            weight: s.weight(),
                            port: s.port(),
                            target: s.target().to_ascii().trim_end_matches('.').to_owned(),
                            direct_tls,
                        }
                    }));
                }
                Err(e) => {
                    let (definitive, text) = describe(&name, &e);
                    if definitive {
                        tracing::debug!(domain, error = %text, "no SRV records");
                    } else {
                        // RFC 6120 §3.2.1 step 3, §3.2.2: the A/AAAA fallback still applies.
                        tracing::debug!(domain, error = %text, "SRV lookup failed");
                        failures.push(text);
                    }
                }
            }
        }
        if records.is_empty() && no_service {
            return Err(ResolveError::NoService);
        }
        Ok(SrvAnswer {
            records: order_srv(records, &mut random_up_to),
            failures,
        })
    }

    /// The addresses of a target.
    pub async fn addresses(&self, t: &Target) -> Result<Vec<SocketAddr>, ResolveError> {
        match &t.host {
            Host::Addr(ip) => Ok(vec![SocketAddr::new(*ip, t.port)]),
            Host::Name(name) => {
                if let Ok(ip) = name.parse::<IpAddr>() {
                    return Ok(vec![SocketAddr::new(ip, t.port)]);
                }
                let Some(dns) = &self.dns else {
                    return Err(ResolveError::Dns("no DNS resolver configured".into()));
                };
                let fqdn = format!("{}.", name.trim_end_matches('.'));
                let l = dns.lookup_ip(fqdn.as_str()).await.map_err(|e| {
                    let (definitive, text) = describe(&fqdn, &e);
                    tracing::debug!(domain = %name, error = %text, "address lookup failed");
                    if definitive {
                        ResolveError::NoSuchDomain(text)
                    } else {
                        ResolveError::Dns(text)
                    }
                })?;
                let v: Vec<_> = l.iter().map(|ip| SocketAddr::new(ip, t.port)).collect();
                if v.is_empty() {
                    return Err(ResolveError::NoSuchDomain(format!("{fqdn}: no addresses")));
                }
                Ok(v)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(priority: u16, weight: u16, target: &str, direct_tls: bool) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port: 5269,
            target: target.into(),
            direct_tls,
        }
    }

    fn names(v: &[SrvRecord]) -> Vec<&str> {
        v.iter().map(|r| r.target.as_str()).collect()
    }

    #[test]
    fn priority_first_then_direct_tls() {
        let v = vec![
            rec(20, 0, "late", false),
            rec(10, 0, "starttls", false),
            rec(10, 0, "direct", true),
        ];
        let got = order_srv(v, &mut |_| 0);
        assert_eq!(names(&got), ["direct", "starttls", "late"]);
    }

    #[test]
    fn weighted_selection_follows_the_running_sum() {
        // Weights 10, 30, 60 (sorted zero-weight first, then as given): a draw of 0..=10 picks
        // the first, 11..=40 the second, 41..=100 the third (RFC 2782).
        let v = || {
            vec![
                rec(1, 10, "a", false),
                rec(1, 30, "b", false),
                rec(1, 60, "c", false),
            ]
        };
        let mut draws = [50u32, 5].into_iter();
        let got = order_srv(v(), &mut |_| draws.next().unwrap_or(0));
        assert_eq!(names(&got), ["c", "a", "b"]);
        let mut draws = [11u32, 0].into_iter();
        let got = order_srv(v(), &mut |_| draws.next().unwrap_or(0));
        assert_eq!(names(&got), ["b", "a", "c"]);
        // The random bound is the total weight left.
        let mut totals = Vec::new();
        let _ = order_srv(v(), &mut |n| {
            totals.push(n);
            n
        });
        assert_eq!(totals, [100, 40, 10]);
    }

    #[test]
    fn zero_weight_records_come_first_in_the_draw() {
        let v = vec![rec(1, 5, "heavy", false), rec(1, 0, "zero", false)];
        // A draw of 0 picks the zero-weight record (running sum 0 >= 0).
        let got = order_srv(v, &mut |_| 0);
        assert_eq!(names(&got), ["zero", "heavy"]);
    }

    #[test]
    fn random_stays_in_range() {
        for _ in 0..100 {
            assert!(random_up_to(3) <= 3);
        }
        assert_eq!(random_up_to(0), 0);
    }

    #[tokio::test]
    async fn override_table_wins() {
        let mut s = ResolverSettings::default();
        s.hosts
            .insert("B.test".into(), "127.0.0.2:5999".parse().unwrap());
        let r = Resolver::new(&s);
        let t = r.targets("b.test").await.unwrap();
        assert_eq!(
            t,
            [Target {
                host: Host::Addr("127.0.0.2".parse().unwrap()),
                port: 5999,
                direct_tls: false
            }]
        );
        assert_eq!(
            r.addresses(&t[0]).await.unwrap(),
            ["127.0.0.2:5999".parse::<SocketAddr>().unwrap()]
        );
    }
}
