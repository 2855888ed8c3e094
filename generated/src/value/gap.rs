//! Why an event stream may have missed events: a value the error type carries
//! ([`crate::Error::EventsLost`]), defined below both.

use std::fmt;

/// Why an event stream may have missed events ([`crate::Error::EventsLost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GapReason {
    /// The server no longer knew the listener: it expires after about 10 minutes
    /// without a fetch (a consumer that did not poll the stream), or another listener
    /// was registered on the same session.
    ListenerLost,
    /// The client signed in again, and the old session's listener died with it.
    SessionRenewed,
    /// A fetch failed after the server may have answered it: the events it carried
    /// are gone.
    FetchFailed,
    /// A local-first client ([`crate::Client::local_first`]) switched between the
    /// local gateway and the cloud: the stream left the old source's listener and
    /// registers on the new source, which did not keep the events in between.
    SourceChanged,
}

impl fmt::Display for GapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GapReason::ListenerLost => "the event listener expired or was replaced",
            GapReason::SessionRenewed => "the session was renewed",
            GapReason::FetchFailed => "a fetch failed after it may have been answered",
            GapReason::SourceChanged => {
                "the events' source switched between the local gateway and the cloud"
            }
        })
    }
}
