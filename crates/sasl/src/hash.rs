//! The hash functions SCRAM is instantiated with (RFC 5802 §2.2, RFC 7677).

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha512};

/// The hash of a SCRAM family member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScramHash {
    /// SHA-1 (RFC 5802).
    Sha1,
    /// SHA-256 (RFC 7677).
    Sha256,
    /// SHA-512 (by analogy with RFC 7677).
    Sha512,
}

impl ScramHash {
    /// All supported hashes, weakest first.
    pub const ALL: [Self; 3] = [Self::Sha1, Self::Sha256, Self::Sha512];

    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// The hash's name as it appears in mechanism names, e.g. `SHA-256`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        }
    }

    /// `HMAC(key, part1 || part2 || ...)`.
    pub(crate) fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        match self {
            Self::Sha1 => mac::<Hmac<Sha1>>(key, parts),
            Self::Sha256 => mac::<Hmac<Sha256>>(key, parts),
            Self::Sha512 => mac::<Hmac<Sha512>>(key, parts),
        }
    }

    /// `H(data)`.
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => Sha1::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// `Hi(password, salt, i)` of RFC 5802 §2.2, i.e. PBKDF2 with HMAC and dkLen = output length.
    pub fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0; self.output_len()];
        match self {
            Self::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out),
            Self::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out),
            Self::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out),
        }
        out
    }

    /// ClientKey, StoredKey and ServerKey from SaltedPassword (RFC 5802 §3).
    pub(crate) fn keys(self, salted_password: &[u8]) -> Keys {
        let client_key = self.hmac(salted_password, &[b"Client Key"]);
        let stored_key = self.digest(&client_key);
        let server_key = self.hmac(salted_password, &[b"Server Key"]);
        Keys {
            client_key,
            stored_key,
            server_key,
        }
    }
}

#[allow(clippy::struct_field_names)] // the RFC 5802 §3 names
pub(crate) struct Keys {
    pub(crate) client_key: Vec<u8>,
    pub(crate) stored_key: Vec<u8>,
    pub(crate) server_key: Vec<u8>,
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this never fails; an empty result would only make
    // every later comparison fail closed.
    let Ok(mut m) = <M as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    for part in parts {
        m.update(part);
    }
    m.finalize().into_bytes().to_vec()
}

/// XOR of two equally long byte strings.
pub(crate) fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}
