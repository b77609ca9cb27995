//! Property tests: no panics, no success without a proof, round trips.

use proptest::prelude::*;
use waxwing_sasl::b64::{decode_strict, encode};
use waxwing_sasl::prep::{escape_saslname, unescape_saslname};
use waxwing_sasl::{
    ChannelBindings, ScramCredentials, ScramHash, ScramServer, ServerMechanism, Step,
};

use crate::common::{bindings, config};

fn stored() -> ScramCredentials {
    ScramCredentials::derive(ScramHash::Sha1, "pw", b"0123456789abcdef", 4096).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn base64_round_trip(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(decode_strict(&encode(&data)).unwrap(), data);
    }

    #[test]
    fn base64_never_panics(text in ".{0,40}") {
        if let Ok(bytes) = decode_strict(&text) {
            // Anything accepted is canonical: it re-encodes to itself.
            if !bytes.is_empty() {
                prop_assert_eq!(encode(&bytes), text);
            }
        }
    }

    #[test]
    fn saslname_round_trip(name in "[a-z,=é]{1,20}") {
        prop_assert_eq!(unescape_saslname(&escape_saslname(&name)), Some(name));
    }

    #[test]
    fn scram_server_never_succeeds_on_garbage(
        first in proptest::collection::vec(any::<u8>(), 0..80),
        last in proptest::collection::vec(any::<u8>(), 0..120),
        plus in any::<bool>(),
        known in any::<bool>(),
    ) {
        let creds = stored();
        let mut server = if plus {
            ScramServer::new_plus(&config(), ScramHash::Sha1, bindings())
        } else {
            ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none())
        };
        let mut step = server.step(Some(&first));
        if let Step::NeedCredentials(_) = step {
            step = server.provide_credentials(known.then_some(&creds));
        }
        if let Step::Challenge(_) = step {
            prop_assert!(!matches!(server.step(Some(&last)), Step::Success(_)));
        }
    }

    #[test]
    fn scram_first_message_grammar(user in "[a-z]{1,8}", nonce in "[!-+--~]{1,30}", ext in "(,[a-z]=[a-z=]{1,5}){0,2}") {
        let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
        let msg = format!("n,,n={user},r={nonce}{ext}");
        let step = server.step(Some(msg.as_bytes()));
        prop_assert!(matches!(step, Step::NeedCredentials(_)), "{msg}: {step:?}");
    }
}
