//! Fuzzes every server-side SASL mechanism with a sequence of client messages.
//!
//! Input: byte 0 picks the set-up (low nibble: index into `Mechanism::ALL`; bit 4: channel
//! binding available; bit 5: credentials exist; bit 6: start without initial response),
//! the rest is client messages separated by 0xFF (a byte UTF-8 never contains).
//! Invariants: no panic; SCRAM never succeeds (the server nonce is random, so no fixed input
//! carries a valid proof); PLAIN succeeds only with the right password and stored
//! credentials; EXTERNAL only as a supplied identity.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waxwing_sasl::{
    AnonymousServer, ChannelBindingType, ChannelBindings, ExternalServer, Identity, Mechanism,
    PlainServer, ScramCredentials, ScramHash, ScramServer, ServerConfig, ServerMechanism, Step,
};

const PASSWORD: &str = "pencil";

fn credentials(hash: ScramHash) -> Option<&'static ScramCredentials> {
    static CREDS: OnceLock<Vec<ScramCredentials>> = OnceLock::new();
    CREDS
        .get_or_init(|| {
            ScramHash::ALL
                .into_iter()
                .filter_map(|h| {
                    ScramCredentials::derive(h, PASSWORD, b"QSXCR+Q6sek8bf92", 4096).ok()
                })
                .collect()
        })
        .iter()
        .find(|c| c.hash == hash)
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, rest)) = data.split_first() else {
        return;
    };
    let Some(&mechanism) = Mechanism::ALL.get(usize::from(setup & 0x0F) % Mechanism::ALL.len())
    else {
        return;
    };
    let with_cb = setup & 0x10 != 0;
    let with_creds = setup & 0x20 != 0;
    let absent_initial = setup & 0x40 != 0;

    let config = ServerConfig::new([7; 32]).with_fake_iterations(4096);
    let cb = if with_cb {
        ChannelBindings::none()
            .with(ChannelBindingType::TlsExporter, b"exporter".to_vec())
            .with(ChannelBindingType::TlsServerEndPoint, vec![0x5A; 32])
    } else {
        ChannelBindings::none()
    };
    let identities = vec!["juliet@example.com".to_owned()];
    let mut server: Box<dyn ServerMechanism> = match mechanism {
        Mechanism::Scram { hash, plus: false } => Box::new(ScramServer::new(&config, hash, cb)),
        Mechanism::Scram { hash, plus: true } => Box::new(ScramServer::new_plus(&config, hash, cb)),
        Mechanism::Plain => Box::new(PlainServer::new(&config)),
        Mechanism::External => Box::new(ExternalServer::new(identities.clone())),
        Mechanism::Anonymous => Box::new(AnonymousServer::new()),
    };

    let mut messages = rest.split(|&b| b == 0xFF).take(8);
    let mut last_message: &[u8] = &[];
    let mut step = if absent_initial {
        server.step(None)
    } else {
        let first = messages.next();
        last_message = first.unwrap_or_default();
        server.step(first)
    };
    loop {
        if let Step::NeedCredentials(request) = &step {
            let creds = match (with_creds, request.hash) {
                (false, _) => None,
                (true, Some(h)) => credentials(h),
                (true, None) => credentials(ScramHash::Sha256),
            };
            step = server.provide_credentials(creds);
            continue;
        }
        match step {
            Step::Challenge(_) => {}
            Step::Success(success) => {
                match (mechanism, &success.identity) {
                    (Mechanism::Scram { .. }, _) => panic!("SCRAM success without a valid proof"),
                    (Mechanism::Plain, Identity::User { .. }) => {
                        assert!(with_creds, "PLAIN success for an unknown user");
                        let password = last_message.rsplit(|&b| b == 0).next();
                        assert_eq!(
                            password,
                            Some(PASSWORD.as_bytes()),
                            "PLAIN success with a wrong password"
                        );
                    }
                    (Mechanism::External, Identity::Certificate { authcid, .. }) => {
                        assert!(identities.contains(authcid));
                    }
                    (Mechanism::Anonymous, Identity::Anonymous { .. }) => {}
                    (m, id) => panic!("{m} produced {id:?}"),
                }
                // A finished exchange must refuse anything further.
                assert!(matches!(server.step(Some(b"")), Step::Failure(_)));
                return;
            }
            Step::Failure(_) => {
                assert!(matches!(server.step(Some(b"x")), Step::Failure(_)));
                return;
            }
            Step::NeedCredentials(_) => return,
        }
        let Some(message) = messages.next() else {
            return;
        };
        last_message = message;
        step = server.step(Some(message));
    }
});
