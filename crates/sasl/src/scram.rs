//! SCRAM message grammar (RFC 5802 §7), shared by the server and client state machines.
//!
//! Parse errors carry the RFC 5802 §7 `server-error-value` that names them.

use crate::prep::unescape_saslname;

/// `e=invalid-encoding`.
pub(crate) const E_INVALID_ENCODING: &str = "invalid-encoding";
/// `e=extensions-not-supported` (the reserved `m=` attribute).
pub(crate) const E_EXTENSIONS: &str = "extensions-not-supported";
/// `e=invalid-proof`.
pub(crate) const E_INVALID_PROOF: &str = "invalid-proof";
/// `e=channel-bindings-dont-match`.
pub(crate) const E_CB_MISMATCH: &str = "channel-bindings-dont-match";
/// `e=server-does-support-channel-binding`.
pub(crate) const E_SERVER_DOES_CB: &str = "server-does-support-channel-binding";
/// `e=channel-binding-not-supported`.
pub(crate) const E_CB_NOT_SUPPORTED: &str = "channel-binding-not-supported";
/// `e=unsupported-channel-binding-type`.
pub(crate) const E_CB_TYPE: &str = "unsupported-channel-binding-type";
/// `e=invalid-username-encoding`.
pub(crate) const E_USERNAME: &str = "invalid-username-encoding";
/// `e=other-error`.
pub(crate) const E_OTHER: &str = "other-error";

/// The GS2 channel-binding flag (RFC 5802 §7 `gs2-cbind-flag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CbFlag<'a> {
    /// `n`: the client does not support channel binding.
    No,
    /// `y`: the client supports it but thinks the server does not.
    Yes,
    /// `p=<cb-name>`: the client uses channel binding of that type.
    Plus(&'a str),
}

pub(crate) struct ClientFirst<'a> {
    pub(crate) gs2_header: &'a str,
    pub(crate) flag: CbFlag<'a>,
    pub(crate) authzid: Option<String>,
    pub(crate) bare: &'a str,
    pub(crate) username: String,
    pub(crate) nonce: &'a str,
}

pub(crate) struct ClientFinal<'a> {
    pub(crate) without_proof: &'a str,
    pub(crate) channel_binding: &'a str,
    pub(crate) nonce: &'a str,
    pub(crate) proof: &'a str,
}

pub(crate) struct ServerFirst<'a> {
    pub(crate) nonce: &'a str,
    pub(crate) salt: &'a str,
    pub(crate) iterations: u32,
}

pub(crate) enum ServerFinal<'a> {
    Verifier(&'a str),
    Error(&'a str),
}

/// `printable = %x21-2B / %x2D-7E`, one or more (RFC 5802 §7, erratum 2652 on `c-nonce`).
pub(crate) fn is_printable(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, 0x21..=0x2B | 0x2D..=0x7E))
}

fn is_cb_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// `attr-val = ALPHA "=" value`, `value = 1*value-char` (no NUL; `,` is the separator).
fn is_extension(attr: &str) -> bool {
    let b = attr.as_bytes();
    matches!(b, [a, b'=', _, ..] if a.is_ascii_alphabetic()) && !attr.contains('\0')
}

fn value<'a>(attr: Option<&'a str>, name: &str) -> Option<&'a str> {
    attr?.strip_prefix(name)?.strip_prefix('=')
}

/// `client-first-message = gs2-header client-first-message-bare`.
pub(crate) fn parse_client_first(msg: &str) -> Result<ClientFirst<'_>, &'static str> {
    let (flag_text, rest) = msg.split_once(',').ok_or(E_INVALID_ENCODING)?;
    let (authz_text, bare) = rest.split_once(',').ok_or(E_INVALID_ENCODING)?;
    let gs2_len = flag_text.len() + authz_text.len() + 2;
    let gs2_header = msg.get(..gs2_len).ok_or(E_INVALID_ENCODING)?;
    let flag = match flag_text {
        "n" => CbFlag::No,
        "y" => CbFlag::Yes,
        other => match other.strip_prefix("p=") {
            Some(name) if is_cb_name(name) => CbFlag::Plus(name),
            _ => return Err(E_INVALID_ENCODING),
        },
    };
    let authzid = if authz_text.is_empty() {
        None
    } else {
        let name = authz_text.strip_prefix("a=").ok_or(E_INVALID_ENCODING)?;
        Some(unescape_saslname(name).ok_or(E_INVALID_ENCODING)?)
    };
    let mut attrs = bare.split(',');
    let first = attrs.next();
    if first.is_some_and(|a| a.starts_with("m=")) {
        return Err(E_EXTENSIONS);
    }
    let username =
        unescape_saslname(value(first, "n").ok_or(E_INVALID_ENCODING)?).ok_or(E_USERNAME)?;
    let nonce = value(attrs.next(), "r").ok_or(E_INVALID_ENCODING)?;
    if !is_printable(nonce) {
        return Err(E_INVALID_ENCODING);
    }
    if !attrs.all(is_extension) {
        return Err(E_INVALID_ENCODING);
    }
    Ok(ClientFirst {
        gs2_header,
        flag,
        authzid,
        bare,
        username,
        nonce,
    })
}

/// `client-final-message = channel-binding "," nonce ["," extensions] "," proof`.
pub(crate) fn parse_client_final(msg: &str) -> Result<ClientFinal<'_>, &'static str> {
    let (without_proof, proof_attr) = msg.rsplit_once(',').ok_or(E_INVALID_ENCODING)?;
    let proof = value(Some(proof_attr), "p").ok_or(E_INVALID_ENCODING)?;
    let mut attrs = without_proof.split(',');
    let channel_binding = value(attrs.next(), "c").ok_or(E_INVALID_ENCODING)?;
    let nonce = value(attrs.next(), "r").ok_or(E_INVALID_ENCODING)?;
    if !is_printable(nonce) || !attrs.all(is_extension) {
        return Err(E_INVALID_ENCODING);
    }
    Ok(ClientFinal {
        without_proof,
        channel_binding,
        nonce,
        proof,
    })
}

/// `server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]`.
pub(crate) fn parse_server_first(msg: &str) -> Result<ServerFirst<'_>, &'static str> {
    let mut attrs = msg.split(',');
    let first = attrs.next();
    if first.is_some_and(|a| a.starts_with("m=")) {
        return Err(E_EXTENSIONS);
    }
    let nonce = value(first, "r").ok_or(E_INVALID_ENCODING)?;
    let salt = value(attrs.next(), "s").ok_or(E_INVALID_ENCODING)?;
    let count = value(attrs.next(), "i").ok_or(E_INVALID_ENCODING)?;
    if !is_printable(nonce) || !attrs.all(is_extension) {
        return Err(E_INVALID_ENCODING);
    }
    // posit-number = %x31-39 *DIGIT; anything past u32 saturates and is refused by the caller.
    let digits_ok =
        count.bytes().all(|b| b.is_ascii_digit()) && !count.starts_with('0') && !count.is_empty();
    if !digits_ok {
        return Err(E_INVALID_ENCODING);
    }
    let iterations = count.parse::<u32>().unwrap_or(u32::MAX);
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
    })
}

/// `server-final-message = (server-error / verifier) ["," extensions]`.
pub(crate) fn parse_server_final(msg: &str) -> Result<ServerFinal<'_>, &'static str> {
    let mut attrs = msg.split(',');
    let first = attrs.next();
    let result = if let Some(v) = value(first, "v") {
        ServerFinal::Verifier(v)
    } else if let Some(e) = value(first, "e") {
        if e.is_empty() {
            return Err(E_INVALID_ENCODING);
        }
        ServerFinal::Error(e)
    } else {
        return Err(E_INVALID_ENCODING);
    };
    if !attrs.all(is_extension) {
        return Err(E_INVALID_ENCODING);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_first_fields() {
        let m = parse_client_first("p=tls-exporter,a=adm=2Cin,n=us=3Der,r=abc,x=1").unwrap();
        assert_eq!(m.gs2_header, "p=tls-exporter,a=adm=2Cin,");
        assert_eq!(m.flag, CbFlag::Plus("tls-exporter"));
        assert_eq!(m.authzid.as_deref(), Some("adm,in"));
        assert_eq!(m.bare, "n=us=3Der,r=abc,x=1");
        assert_eq!(m.username, "us=er");
        assert_eq!(m.nonce, "abc");
    }

    #[test]
    fn client_first_rejects() {
        for (bad, e) in [
            ("n,,m=x,n=user,r=abc", E_EXTENSIONS),
            ("n,,n=us=2cer,r=abc", E_USERNAME),
            ("n,,n=,r=abc", E_USERNAME),
            ("n,,r=abc,n=user", E_INVALID_ENCODING),
            ("n,,n=user", E_INVALID_ENCODING),
            ("n,,n=user,r=", E_INVALID_ENCODING),
            ("n,,n=user,r=a b", E_INVALID_ENCODING),
            ("n,,n=user,r=abc,", E_INVALID_ENCODING),
            ("n,,n=user,r=abc,1=x", E_INVALID_ENCODING),
            ("x,,n=user,r=abc", E_INVALID_ENCODING),
            ("p=,,n=user,r=abc", E_INVALID_ENCODING),
            ("p=a_b,,n=user,r=abc", E_INVALID_ENCODING),
            ("n,b=x,n=user,r=abc", E_INVALID_ENCODING),
            ("n,a=,n=user,r=abc", E_INVALID_ENCODING),
            ("n,n=user,r=abc", E_INVALID_ENCODING),
            ("n", E_INVALID_ENCODING),
            ("", E_INVALID_ENCODING),
        ] {
            assert_eq!(parse_client_first(bad).err(), Some(e), "{bad:?}");
        }
    }

    #[test]
    fn client_final_fields() {
        let m = parse_client_final("c=biws,r=abc,x=y=z,p=AAAA").unwrap();
        assert_eq!(m.without_proof, "c=biws,r=abc,x=y=z");
        assert_eq!(
            (m.channel_binding, m.nonce, m.proof),
            ("biws", "abc", "AAAA")
        );
        for bad in [
            "c=biws,r=abc",
            "r=abc,c=biws,p=AAAA",
            "c=biws,p=AAAA,r=abc",
            "c=biws,r=abc,p=A,x=1",
            "",
        ] {
            assert!(parse_client_final(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn server_messages() {
        let m = parse_server_first("r=abc,s=QSXCR+Q6sek8bf92,i=4096").unwrap();
        assert_eq!(
            (m.nonce, m.salt, m.iterations),
            ("abc", "QSXCR+Q6sek8bf92", 4096)
        );
        assert_eq!(
            parse_server_first("r=a,s=b,i=99999999999")
                .unwrap()
                .iterations,
            u32::MAX
        );
        for bad in [
            "m=x,r=a,s=b,i=1",
            "r=a,s=b,i=0",
            "r=a,s=b,i=01",
            "r=a,s=b,i=-1",
            "r=a,i=1,s=b",
            "r=a,s=b",
        ] {
            assert!(parse_server_first(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            parse_server_final("v=abc"),
            Ok(ServerFinal::Verifier("abc"))
        ));
        assert!(matches!(
            parse_server_final("e=invalid-proof"),
            Ok(ServerFinal::Error("invalid-proof"))
        ));
        assert!(parse_server_final("x=abc").is_err());
    }
}
