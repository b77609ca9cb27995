use waxwing_sasl::{
    ChannelBindingType, ChannelBindings, ClientMechanism, Failure, ScramCredentials, ServerConfig,
    ServerMechanism, Step, Success,
};

pub const SECRET: [u8; 32] = [42; 32];

pub fn config() -> ServerConfig {
    ServerConfig::new(SECRET).with_fake_iterations(4096)
}

pub fn bindings() -> ChannelBindings {
    ChannelBindings::none()
        .with(
            ChannelBindingType::TlsExporter,
            b"exporter-keying-material-32bytes".to_vec(),
        )
        .with(ChannelBindingType::TlsServerEndPoint, vec![0xAB; 32])
}

/// What happened at the end of an exchange.
#[derive(Debug)]
pub enum End {
    Ok(Success),
    ServerFailed(Failure),
    #[allow(dead_code)]
    ClientFailed(waxwing_sasl::ClientError),
}

/// Drives a whole exchange, answering credential requests with `creds`, returning the
/// server's final step, and recording every client message in `transcript`.
pub fn run_with(
    server: &mut dyn ServerMechanism,
    client: &mut dyn ClientMechanism,
    creds: Option<&ScramCredentials>,
    transcript: &mut Vec<Vec<u8>>,
) -> End {
    let mut input = match client.initial_response() {
        Ok(r) => r,
        Err(e) => return End::ClientFailed(e),
    };
    if let Some(i) = &input {
        transcript.push(i.clone());
    }
    for _ in 0..10 {
        let mut step = server.step(input.as_deref());
        if let Step::NeedCredentials(req) = &step {
            assert!(!req.username.is_empty());
            step = server.provide_credentials(creds);
        }
        match step {
            Step::Challenge(c) => match client.respond(&c) {
                Ok(r) => {
                    transcript.push(r.clone());
                    input = Some(r);
                }
                Err(e) => return End::ClientFailed(e),
            },
            Step::Success(s) => {
                return match client.finish(s.additional_data.as_deref()) {
                    Ok(()) => End::Ok(s),
                    Err(e) => End::ClientFailed(e),
                };
            }
            Step::Failure(f) => return End::ServerFailed(f),
            Step::NeedCredentials(_) => panic!("asked twice"),
        }
    }
    panic!("exchange did not terminate")
}

pub fn run(
    server: &mut dyn ServerMechanism,
    client: &mut dyn ClientMechanism,
    creds: Option<&ScramCredentials>,
) -> End {
    run_with(server, client, creds, &mut Vec::new())
}
