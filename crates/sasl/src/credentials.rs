//! Stored SCRAM credentials (RFC 5802 §3, §5): salt, iteration count, StoredKey, ServerKey.
//! The password itself is never kept; PLAIN is verified by re-deriving StoredKey.

use std::fmt;

use subtle::ConstantTimeEq as _;

use crate::error::CredentialsError;
use crate::hash::ScramHash;
use crate::prep::PasswordPrep;

/// Fewest PBKDF2 iterations accepted anywhere (RFC 7677 §4 sets 4096 as the floor).
pub const MIN_ITERATIONS: u32 = 4096;
/// Iteration count for new credentials.
pub const DEFAULT_ITERATIONS: u32 = 10_000;
/// Most iterations accepted anywhere: bounds the work one message can make us do, on the
/// server (stored data, PLAIN) and on our client (a hostile server's `i=`).
pub const MAX_ITERATIONS: u32 = 1_000_000;
/// Shortest salt accepted (RFC 5802 §5's own example uses 12 bytes).
pub const MIN_SALT_LEN: usize = 8;
/// Longest salt accepted.
pub const MAX_SALT_LEN: usize = 256;
/// Salt length used by [`ScramCredentials::new_random`].
pub const RANDOM_SALT_LEN: usize = 16;

/// What a server stores per user and hash for SCRAM (and PLAIN).
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    /// The hash these keys belong to.
    pub hash: ScramHash,
    /// The salt.
    pub salt: Vec<u8>,
    /// PBKDF2 iteration count.
    pub iterations: u32,
    /// `H(HMAC(SaltedPassword, "Client Key"))`.
    pub stored_key: Vec<u8>,
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Vec<u8>,
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are password equivalents for impersonating the server: keep them out of logs.
        f.debug_struct("ScramCredentials")
            .field("hash", &self.hash)
            .field("salt_len", &self.salt.len())
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl ScramCredentials {
    /// Derives credentials from a password prepared with OpaqueString (RFC 8265).
    pub fn derive(
        hash: ScramHash,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, CredentialsError> {
        Self::derive_with(hash, PasswordPrep::OpaqueString, password, salt, iterations)
    }

    /// Derives credentials with an explicit password preparation profile.
    pub fn derive_with(
        hash: ScramHash,
        prep: PasswordPrep,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, CredentialsError> {
        check_params(salt, iterations)?;
        let password = prep.prepare(password).ok_or(CredentialsError::Password)?;
        let salted = hash.hi(password.as_bytes(), salt, iterations);
        let keys = hash.keys(&salted);
        Ok(Self {
            hash,
            salt: salt.to_vec(),
            iterations,
            stored_key: keys.stored_key,
            server_key: keys.server_key,
        })
    }

    /// New credentials with a random 16-byte salt, [`DEFAULT_ITERATIONS`] and OpaqueString.
    pub fn new_random(hash: ScramHash, password: &str) -> Result<Self, CredentialsError> {
        Self::new_random_with(
            hash,
            PasswordPrep::OpaqueString,
            password,
            DEFAULT_ITERATIONS,
        )
    }

    /// New credentials with a random salt and explicit profile and iteration count.
    pub fn new_random_with(
        hash: ScramHash,
        prep: PasswordPrep,
        password: &str,
        iterations: u32,
    ) -> Result<Self, CredentialsError> {
        let mut salt = [0u8; RANDOM_SALT_LEN];
        getrandom::fill(&mut salt).map_err(|_| CredentialsError::Random)?;
        Self::derive_with(hash, prep, password, &salt, iterations)
    }

    /// Rebuilds credentials loaded from storage, checking every field.
    pub fn from_parts(
        hash: ScramHash,
        salt: Vec<u8>,
        iterations: u32,
        stored_key: Vec<u8>,
        server_key: Vec<u8>,
    ) -> Result<Self, CredentialsError> {
        let creds = Self {
            hash,
            salt,
            iterations,
            stored_key,
            server_key,
        };
        creds.validate()?;
        Ok(creds)
    }

    /// Checks iteration count, salt and key lengths.
    pub fn validate(&self) -> Result<(), CredentialsError> {
        check_params(&self.salt, self.iterations)?;
        if self.stored_key.len() != self.hash.output_len()
            || self.server_key.len() != self.hash.output_len()
        {
            return Err(CredentialsError::KeyLength);
        }
        Ok(())
    }

    /// Checks a cleartext password (PLAIN) by re-deriving StoredKey and comparing in constant
    /// time. Invalid stored parameters or an unpreparable password give `false`.
    pub fn verify_password(&self, prep: PasswordPrep, password: &str) -> bool {
        if self.validate().is_err() {
            return false;
        }
        let Some(password) = prep.prepare(password) else {
            return false;
        };
        let salted = self
            .hash
            .hi(password.as_bytes(), &self.salt, self.iterations);
        let keys = self.hash.keys(&salted);
        keys.stored_key.ct_eq(&self.stored_key).into()
    }
}

fn check_params(salt: &[u8], iterations: u32) -> Result<(), CredentialsError> {
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(CredentialsError::Iterations(iterations));
    }
    if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
        return Err(CredentialsError::Salt(salt.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::decode_strict;

    #[test]
    fn rfc7677_keys_verify_password() {
        let salt = decode_strict("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let c = ScramCredentials::derive(ScramHash::Sha256, "pencil", &salt, 4096).unwrap();
        assert!(c.verify_password(PasswordPrep::OpaqueString, "pencil"));
        assert!(!c.verify_password(PasswordPrep::OpaqueString, "pencil2"));
        assert!(!c.verify_password(PasswordPrep::OpaqueString, "Pencil"));
    }

    #[test]
    fn iteration_floor_and_cap() {
        let salt = [7u8; 16];
        assert_eq!(
            ScramCredentials::derive(ScramHash::Sha1, "p", &salt, 4095),
            Err(CredentialsError::Iterations(4095))
        );
        assert_eq!(
            ScramCredentials::derive(ScramHash::Sha1, "p", &salt, MAX_ITERATIONS + 1),
            Err(CredentialsError::Iterations(MAX_ITERATIONS + 1))
        );
        assert_eq!(
            ScramCredentials::derive(ScramHash::Sha1, "p", &[1; 4], 4096),
            Err(CredentialsError::Salt(4))
        );
        assert_eq!(
            ScramCredentials::derive(ScramHash::Sha1, "", &salt, 4096),
            Err(CredentialsError::Password)
        );
        let mut weak = ScramCredentials::derive(ScramHash::Sha1, "p", &salt, 4096).unwrap();
        weak.iterations = 1000;
        assert!(!weak.verify_password(PasswordPrep::OpaqueString, "p"));
    }

    #[test]
    fn random_credentials_differ_and_verify() {
        let a = ScramCredentials::new_random(ScramHash::Sha512, "secret").unwrap();
        let b = ScramCredentials::new_random(ScramHash::Sha512, "secret").unwrap();
        assert_eq!(a.iterations, DEFAULT_ITERATIONS);
        assert_eq!(a.salt.len(), RANDOM_SALT_LEN);
        assert_ne!(a.salt, b.salt);
        assert_eq!(a.stored_key.len(), 64);
        assert!(a.verify_password(PasswordPrep::OpaqueString, "secret"));
        assert!(!format!("{a:?}").contains("stored_key"));
    }
}
