//! The client-side SCRAM salted-password cache (RFC 5802 §3: `SaltedPassword` depends only on
//! the password, salt and iteration count), so that thousands of logins to accounts sharing a
//! password cost the generator one PBKDF2 per distinct salt instead of one per login.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use waxwing_sasl::{SaltedPasswordSource, ScramHash};

/// Entries kept at most; past it the cache is cleared (servers with a random salt per account
/// and very many accounts would otherwise grow it without bound).
pub const MAX_ENTRIES: usize = 100_000;

type Key = (ScramHash, String, Vec<u8>, u32);

/// A shared cache of `Hi(password, salt, i)` per (hash, password, salt, iterations).
#[derive(Debug, Default)]
pub struct SaltedCache {
    map: Mutex<HashMap<Key, Vec<u8>>>,
    misses: AtomicU64,
    hits: AtomicU64,
}

impl SaltedCache {
    /// An empty cache, shareable with every client.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// How many lookups computed Hi.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// How many lookups were answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

fn hash_name(h: ScramHash) -> &'static str {
    h.name()
}

fn hash_from(name: &str) -> Option<ScramHash> {
    ScramHash::ALL.into_iter().find(|h| h.name() == name)
}

impl SaltedCache {
    /// Loads entries saved by [`SaltedCache::save`] (a missing file is an empty cache), so
    /// that successive runs against the same accounts skip PBKDF2 entirely. Malformed lines
    /// are ignored.
    pub fn load(path: &Path) -> Arc<Self> {
        let cache = Self::default();
        if let (Ok(text), Ok(mut map)) = (std::fs::read_to_string(path), cache.map.lock()) {
            for line in text.lines().take(MAX_ENTRIES) {
                let f: Vec<&str> = line.split(' ').collect();
                let [h, it, salt, pw, salted] = f.as_slice() else {
                    continue;
                };
                let parsed = (|| {
                    let key = (
                        hash_from(h)?,
                        String::from_utf8(unhex(pw)?).ok()?,
                        unhex(salt)?,
                        it.parse().ok()?,
                    );
                    Some((key, unhex(salted)?))
                })();
                if let Some((k, v)) = parsed {
                    map.insert(k, v);
                }
            }
        }
        Arc::new(cache)
    }

    /// Writes the entries: `hash iterations salt password salted`, hex-encoded. The file
    /// holds password equivalents of the benchmark accounts: keep it with the test data.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut out = String::new();
        if let Ok(map) = self.map.lock() {
            for ((h, pw, salt, it), salted) in map.iter() {
                let _ = writeln!(
                    out,
                    "{} {it} {} {} {}",
                    hash_name(*h),
                    hex(salt),
                    hex(pw.as_bytes()),
                    hex(salted)
                );
            }
        }
        std::fs::write(path, out)
    }
}

impl SaltedPasswordSource for SaltedCache {
    fn salted_password(
        &self,
        hash: ScramHash,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Vec<u8> {
        let key = (hash, password.to_owned(), salt.to_vec(), iterations);
        if let Ok(map) = self.map.lock()
            && let Some(v) = map.get(&key)
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return v.clone();
        }
        // Computed outside the lock: PBKDF2 takes milliseconds and other logins must not wait.
        self.misses.fetch_add(1, Ordering::Relaxed);
        let salted = hash.hi(password.as_bytes(), salt, iterations);
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, salted.clone());
        }
        salted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_per_salt_iterations_hash_and_password() {
        let c = SaltedCache::new();
        let a = c.salted_password(ScramHash::Sha1, "pencil", b"salt-one", 4096);
        let again = c.salted_password(ScramHash::Sha1, "pencil", b"salt-one", 4096);
        assert_eq!(a, again);
        assert_eq!((c.misses(), c.hits()), (1, 1));
        // Any differing input is a different entry with a different value.
        let salt2 = c.salted_password(ScramHash::Sha1, "pencil", b"salt-two", 4096);
        let iter2 = c.salted_password(ScramHash::Sha1, "pencil", b"salt-one", 4097);
        let sha256 = c.salted_password(ScramHash::Sha256, "pencil", b"salt-one", 4096);
        let pw2 = c.salted_password(ScramHash::Sha1, "pen", b"salt-one", 4096);
        assert_eq!(c.misses(), 5);
        for other in [&salt2, &iter2, &sha256, &pw2] {
            assert_ne!(&a, other);
        }
        assert_eq!(sha256.len(), 32);
    }

    #[test]
    fn saved_and_loaded() {
        let dir = std::env::temp_dir().join(format!("waxwing-bench-cache-{}", std::process::id()));
        let c = SaltedCache::new();
        let a = c.salted_password(ScramHash::Sha256, "p w", b"\x00salt\xff", 4096);
        c.salted_password(ScramHash::Sha1, "x", b"s", 4096);
        c.save(&dir).unwrap();
        std::fs::write(
            &dir,
            std::fs::read_to_string(&dir).unwrap() + "garbage line\nSHA-1 1 zz 00 00\n",
        )
        .unwrap();
        let loaded = SaltedCache::load(&dir);
        assert_eq!(loaded.map.lock().unwrap().len(), 2);
        assert_eq!(
            loaded.salted_password(ScramHash::Sha256, "p w", b"\x00salt\xff", 4096),
            a
        );
        assert_eq!((loaded.misses(), loaded.hits()), (0, 1));
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(SaltedCache::load(&dir).map.lock().unwrap().len(), 0);
        assert_eq!(unhex("0aff"), Some(vec![10, 255]));
        assert_eq!(unhex("0af"), None);
    }

    #[test]
    fn value_is_rfc_5802_salted_password() {
        // RFC 5802 §5 example: user "user", password "pencil", salt QSXCR+Q6sek8bf92,
        // i=4096; its ClientProof is checked end to end in `client_proof_matches_rfc_5802`.
        let salt = [
            0x41, 0x25, 0xc2, 0x47, 0xe4, 0x3a, 0xb1, 0xe9, 0x3c, 0x6d, 0xff, 0x76,
        ];
        let c = SaltedCache::new();
        let v = c.salted_password(ScramHash::Sha1, "pencil", &salt, 4096);
        assert_eq!(v, ScramHash::Sha1.hi(b"pencil", &salt, 4096));
    }

    #[test]
    fn client_proof_matches_rfc_5802() {
        use waxwing_sasl::{ClientBinding, ClientMechanism as _, ScramClient};
        let cache = SaltedCache::new();
        for round in 0..2 {
            let mut client = ScramClient::new(
                ScramHash::Sha1,
                "user",
                "pencil",
                ClientBinding::Unsupported,
            )
            .unwrap()
            .with_nonce("fyko+d2lbbFgONRv9qkxdawL")
            .unwrap()
            .with_salted_password_source(cache.clone());
            let first = client.initial_response().unwrap().unwrap();
            assert_eq!(first, b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
            let fin = client
                .respond(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
                .unwrap();
            assert_eq!(
                fin,
                b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
                    .to_vec()
            );
            client
                .finish(Some(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="))
                .unwrap();
            assert_eq!((cache.misses(), cache.hits()), (1, round));
        }
    }
}
