//! Which mechanisms and channel-binding types are offered (RFC 6120 §6.4.1, XEP-0440).

use waxwing_sasl::{ChannelBindingType, ChannelBindings, Condition, Mechanism, ServerContext};

use crate::common::{bindings, config};

#[test]
fn cleartext_offers_scram_only() {
    let ctx = ServerContext::new(config());
    assert_eq!(
        ctx.offered_names(),
        ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1"]
    );
    assert!(ctx.channel_binding_types().is_empty());
}

#[test]
fn tls_without_binding_adds_plain() {
    let ctx = ServerContext::new(config()).encrypted(true);
    assert_eq!(
        ctx.offered_names(),
        ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]
    );
    assert!(ctx.channel_binding_types().is_empty());
}

#[test]
fn tls_with_binding_and_certificate() {
    let ctx = ServerContext::new(config())
        .encrypted(true)
        .with_channel_bindings(bindings())
        .with_peer_identities(vec!["example.org".into()]);
    assert_eq!(
        ctx.offered_names(),
        [
            "EXTERNAL",
            "SCRAM-SHA-512-PLUS",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-1-PLUS",
            "SCRAM-SHA-512",
            "SCRAM-SHA-256",
            "SCRAM-SHA-1",
            "PLAIN"
        ]
    );
    assert_eq!(
        ctx.channel_binding_types(),
        ["tls-exporter", "tls-server-end-point"]
    );
}

#[test]
fn only_offered_binding_types_are_listed() {
    let cb = ChannelBindings::none().with(ChannelBindingType::TlsServerEndPoint, vec![1; 32]);
    let ctx = ServerContext::new(config())
        .encrypted(true)
        .with_channel_bindings(cb);
    assert_eq!(ctx.channel_binding_types(), ["tls-server-end-point"]);
    // Policy without any -PLUS mechanism: nothing to advertise.
    let ctx = ctx.with_enabled(vec![Mechanism::SCRAM_SHA_256, Mechanism::Plain]);
    assert_eq!(ctx.offered(), [Mechanism::SCRAM_SHA_256, Mechanism::Plain]);
    assert!(ctx.channel_binding_types().is_empty());
    assert_eq!(
        ctx.start("SCRAM-SHA-1").unwrap_err().condition,
        Condition::InvalidMechanism
    );
}

#[test]
fn wire_names_of_conditions() {
    let names: Vec<_> = Condition::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "aborted",
            "account-disabled",
            "credentials-expired",
            "encryption-required",
            "incorrect-encoding",
            "invalid-authzid",
            "invalid-mechanism",
            "malformed-request",
            "mechanism-too-weak",
            "not-authorized",
            "temporary-auth-failure"
        ]
    );
    for c in Condition::ALL {
        assert_eq!(Condition::from_wire(c.as_str()), Some(c));
    }
    assert_eq!(Condition::from_wire("bad-auth"), None);
}

#[test]
fn client_chooses_plus_then_strongest() {
    use waxwing_sasl::{ClientBinding, ScramHash, choose_scram};
    let local = bindings();
    let all = ServerContext::new(config())
        .encrypted(true)
        .with_channel_bindings(bindings());
    let (offered, types) = (all.offered_names(), all.channel_binding_types());
    let (hash, binding) = choose_scram(&offered, &types, &local).unwrap();
    assert_eq!(hash, ScramHash::Sha512);
    assert!(matches!(
        binding,
        ClientBinding::Bound(ChannelBindingType::TlsExporter, _)
    ));

    // Server only knows tls-server-end-point.
    let (_, binding) = choose_scram(&offered, &["tls-server-end-point"], &local).unwrap();
    assert!(matches!(
        binding,
        ClientBinding::Bound(ChannelBindingType::TlsServerEndPoint, _)
    ));

    // PLUS of a weak hash still beats a strong plain one.
    let (hash, binding) =
        choose_scram(&["SCRAM-SHA-512", "SCRAM-SHA-1-PLUS"], &[], &local).unwrap();
    assert_eq!(hash, ScramHash::Sha1);
    assert!(matches!(binding, ClientBinding::Bound(..)));

    // No -PLUS offered although we could bind: `y`.
    assert_eq!(
        choose_scram(&["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"], &[], &local),
        Some((ScramHash::Sha256, ClientBinding::NotOffered))
    );
    // -PLUS offered with types we lack: plain SCRAM with `n`, not a false downgrade claim.
    let only_endpoint =
        ChannelBindings::none().with(ChannelBindingType::TlsServerEndPoint, vec![1]);
    assert_eq!(
        choose_scram(
            &["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"],
            &["tls-exporter"],
            &only_endpoint
        ),
        Some((ScramHash::Sha256, ClientBinding::Unsupported))
    );
    // No binding locally: `n`.
    assert_eq!(
        choose_scram(&["SCRAM-SHA-1"], &[], &ChannelBindings::none()),
        Some((ScramHash::Sha1, ClientBinding::Unsupported))
    );
    assert_eq!(choose_scram(&["PLAIN"], &[], &local), None);
}
