//! String preparation of usernames and passwords, and SCRAM's `saslname` escaping.
//!
//! Passwords: **OpaqueString** (RFC 8265 §4.2, the XMPP default since RFC 7622) or
//! **SASLprep** (RFC 4013, as RFC 5802 §5.1 specifies, for legacy stored data). The profile
//! used when credentials are derived must be the one used when a PLAIN password is checked.
//!
//! Usernames: in XMPP the SASL simple user name is the localpart of the account's JID
//! (RFC 6120 §6.3.8), so the default is the RFC 7622 §3.3 localpart rules (UsernameCaseMapped
//! plus the forbidden `"&'/:<>@`). RFC 5802 §5.1's SASLprep is selectable for deployments whose
//! stored names were prepared that way.

use std::borrow::Cow;

use precis_core::profile::Profile as _;
use precis_profiles::OpaqueString;
use waxwing_jid::Profile;

/// Longest prepared username or password accepted, in bytes (RFC 7622 §3.3.1 caps a localpart
/// at 1023 octets; the same bound keeps password hashing input bounded).
pub const MAX_IDENTIFIER_LEN: usize = 1023;

/// How passwords are prepared before hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PasswordPrep {
    /// RFC 8265 §4.2 OpaqueString (default).
    #[default]
    OpaqueString,
    /// RFC 4013 SASLprep (legacy, RFC 5802 §5.1).
    SaslPrep,
}

impl PasswordPrep {
    /// Prepares a password; `None` if it is empty, too long or contains prohibited characters.
    pub fn prepare(self, password: &str) -> Option<String> {
        if password.is_empty() || password.len() > MAX_IDENTIFIER_LEN {
            return None;
        }
        let prepared: Cow<'_, str> = match self {
            Self::OpaqueString => OpaqueString::new().enforce(password).ok()?,
            Self::SaslPrep => stringprep::saslprep(password).ok()?,
        };
        if prepared.is_empty() || prepared.len() > MAX_IDENTIFIER_LEN {
            return None;
        }
        Some(prepared.into_owned())
    }
}

/// How the SASL authentication identity (username) is prepared by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UsernamePrep {
    /// RFC 7622 §3.3 localpart rules (default): UsernameCaseMapped and no `"&'/:<>@`.
    #[default]
    Localpart,
    /// RFC 6122 nodeprep, for deployments that keep the legacy JID profile.
    Nodeprep,
    /// RFC 4013 SASLprep as in RFC 5802 §5.1.
    SaslPrep,
}

impl UsernamePrep {
    /// Prepares a username; `None` if it is not acceptable.
    pub fn prepare(self, username: &str) -> Option<String> {
        if username.is_empty() || username.len() > MAX_IDENTIFIER_LEN {
            return None;
        }
        let prepared: Cow<'_, str> = match self {
            // One implementation of the localpart rules for JIDs and SASL usernames, so that
            // the name a user authenticates with is exactly the account's localpart.
            Self::Localpart => {
                Cow::Owned(waxwing_jid::prepare_localpart(username, Profile::Precis).ok()?)
            }
            Self::Nodeprep => {
                Cow::Owned(waxwing_jid::prepare_localpart(username, Profile::Stringprep).ok()?)
            }
            Self::SaslPrep => stringprep::saslprep(username).ok()?,
        };
        if prepared.is_empty() || prepared.len() > MAX_IDENTIFIER_LEN {
            return None;
        }
        Some(prepared.into_owned())
    }
}

/// Escapes a name for SCRAM's `saslname` (RFC 5802 §5.1): `,` → `=2C`, `=` → `=3D`.
pub fn escape_saslname(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ',' => out.push_str("=2C"),
            '=' => out.push_str("=3D"),
            c => out.push(c),
        }
    }
    out
}

/// Reverses [`escape_saslname`]; `None` for an empty name, a raw `,`, NUL, or any `=` not
/// followed by exactly `2C` or `3D` (RFC 5802 §5.1 says the server MUST fail then).
pub fn unescape_saslname(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(['=', ',', '\0']) {
        let (head, tail) = rest.split_at(pos);
        out.push_str(head);
        if let Some(after) = tail.strip_prefix("=2C") {
            out.push(',');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("=3D") {
            out.push('=');
            rest = after;
        } else {
            return None;
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslname_escaping() {
        assert_eq!(escape_saslname("a,b=c"), "a=2Cb=3Dc");
        assert_eq!(unescape_saslname("a=2Cb=3Dc").as_deref(), Some("a,b=c"));
        for bad in ["", "a=", "a=2c", "a=3d", "a=41", "a,b", "=2", "a\0b"] {
            assert_eq!(unescape_saslname(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn localpart_rules() {
        assert_eq!(
            UsernamePrep::Localpart.prepare("User").as_deref(),
            Some("user")
        );
        assert_eq!(UsernamePrep::Localpart.prepare("a@b"), None);
        assert_eq!(UsernamePrep::Localpart.prepare("a b"), None);
        assert_eq!(UsernamePrep::Localpart.prepare(""), None);
        assert_eq!(
            UsernamePrep::SaslPrep.prepare("User").as_deref(),
            Some("User")
        );
        // RFC 4013 §3 example: SOFT HYPHEN is mapped to nothing.
        assert_eq!(
            UsernamePrep::SaslPrep.prepare("I\u{00AD}X").as_deref(),
            Some("IX")
        );
    }

    #[test]
    fn password_profiles() {
        // OpaqueString maps non-ASCII spaces to U+0020 (RFC 8265 §4.2.1).
        assert_eq!(
            PasswordPrep::OpaqueString.prepare("a\u{00A0}b").as_deref(),
            Some("a b")
        );
        assert_eq!(
            PasswordPrep::SaslPrep.prepare("a\u{00A0}b").as_deref(),
            Some("a b")
        );
        assert_eq!(PasswordPrep::OpaqueString.prepare(""), None);
        // Control characters are disallowed by both.
        assert_eq!(PasswordPrep::OpaqueString.prepare("a\u{0007}"), None);
        assert_eq!(PasswordPrep::SaslPrep.prepare("a\u{0007}"), None);
        assert_eq!(
            PasswordPrep::OpaqueString.prepare("pencil").as_deref(),
            Some("pencil")
        );
    }
}
