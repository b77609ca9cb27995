//! Strict Base64 (RFC 4648 §4) as RFC 6120 §6.4.2 requires for SASL payloads.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// The standard alphabet with canonical padding and no stray trailing bits: RFC 6120 §6.4.2
/// demands that anything else be answered with `<incorrect-encoding/>`.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(false),
);

/// The Base64 text was not canonical RFC 4648 §4 Base64 (maps to `incorrect-encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("incorrect Base64 encoding")]
pub struct IncorrectEncoding;

/// Decodes canonical Base64: whitespace, missing or extra padding, characters outside the
/// standard alphabet and non-zero trailing bits are all rejected.
///
/// A lone `=` is the RFC 6120 §6.4.2 spelling of an empty payload and decodes to no bytes;
/// so does the empty string (an empty `<response/>`). To tell an *absent* initial response
/// from an empty one use [`decode_initial_response`].
pub fn decode_strict(text: &str) -> Result<Vec<u8>, IncorrectEncoding> {
    if text.is_empty() || text == "=" {
        return Ok(Vec::new());
    }
    STRICT.decode(text).map_err(|_| IncorrectEncoding)
}

/// Decodes the character data of `<auth/>` (RFC 6120 §6.4.2): no text means no initial
/// response (`None`), `=` means an empty one (`Some(vec![])`).
pub fn decode_initial_response(text: &str) -> Result<Option<Vec<u8>>, IncorrectEncoding> {
    if text.is_empty() {
        return Ok(None);
    }
    decode_strict(text).map(Some)
}

/// Encodes bytes as canonical Base64; zero bytes become `=` (RFC 6120 §6.4.2, §6.4.3).
pub fn encode(data: &[u8]) -> String {
    if data.is_empty() {
        return "=".to_owned();
    }
    STRICT.encode(data)
}

/// Base64 inside SCRAM attributes: there an empty value is not `=` but nothing.
pub(crate) fn encode_raw(data: &[u8]) -> String {
    STRICT.encode(data)
}

/// Strict decoding of SCRAM attribute values (`s=`, `c=`, `p=`, `v=`).
pub(crate) fn decode_raw(text: &str) -> Option<Vec<u8>> {
    STRICT.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_absent() {
        assert_eq!(decode_initial_response(""), Ok(None));
        assert_eq!(decode_initial_response("="), Ok(Some(Vec::new())));
        assert_eq!(decode_strict("="), Ok(Vec::new()));
        assert_eq!(encode(b""), "=");
    }

    #[test]
    fn canonical_round_trip() {
        assert_eq!(encode(b"n,,"), "biws");
        assert_eq!(decode_strict("biws"), Ok(b"n,,".to_vec()));
        assert_eq!(decode_strict("YQ=="), Ok(b"a".to_vec()));
    }

    #[test]
    fn rejects_non_canonical() {
        for bad in [
            "YQ", "YQ=", "YR==", "YQ===", " YQ==", "YQ==\n", "Y Q==", "YQ==YQ==", "====", "==",
            "b!ws", "biws=",
        ] {
            assert_eq!(decode_strict(bad), Err(IncorrectEncoding), "{bad:?}");
        }
    }
}
