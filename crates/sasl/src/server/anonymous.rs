//! ANONYMOUS server (RFC 4505).

use super::{Identity, ServerMechanism, Step, Success, out_of_order, too_long};
use crate::error::{Condition, Failure};
use crate::mechanism::Mechanism;

/// Most characters of trace information (RFC 4505 §3: `1*255TCHAR`).
pub const MAX_TRACE_CHARS: usize = 255;

/// Server side of `ANONYMOUS`: any well-formed trace succeeds; the caller assigns a
/// temporary identity.
#[derive(Debug)]
pub struct AnonymousServer {
    state: State,
}

#[derive(Debug)]
enum State {
    Start,
    AwaitResponse,
    Done,
}

impl Default for AnonymousServer {
    fn default() -> Self {
        Self::new()
    }
}

impl AnonymousServer {
    /// A new exchange.
    pub const fn new() -> Self {
        Self {
            state: State::Start,
        }
    }
}

/// `message = [ email / token ]`, UTF-8, at most 255 characters; a token has no `@`, so
/// anything with one must at least look like `local@domain`. `Err` for a malformed trace.
fn check_trace(input: &[u8]) -> Result<Option<String>, ()> {
    let text = std::str::from_utf8(input).map_err(|_| ())?;
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_TRACE_CHARS {
        return Err(());
    }
    if let Some((local, domain)) = text.split_once('@')
        && (local.is_empty() || domain.is_empty() || domain.contains('@'))
    {
        return Err(());
    }
    Ok(Some(text.to_owned()))
}

impl ServerMechanism for AnonymousServer {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Anonymous
    }

    fn step(&mut self, response: Option<&[u8]>) -> Step {
        let state = std::mem::replace(&mut self.state, State::Done);
        match (state, response) {
            (State::Start, None) => {
                self.state = State::AwaitResponse;
                Step::Challenge(Vec::new())
            }
            (State::Start | State::AwaitResponse, Some(input)) => {
                too_long(input).unwrap_or_else(|| match check_trace(input) {
                    Ok(trace) => Step::Success(Success {
                        identity: Identity::Anonymous { trace },
                        additional_data: None,
                    }),
                    Err(()) => Step::Failure(Failure::new(Condition::MalformedRequest)),
                })
            }
            _ => out_of_order(),
        }
    }
}
