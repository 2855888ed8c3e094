//! An answer's body read up to a cap, so that a huge or endless answer never fills
//! the memory (the client's calls and the vendor sign-in services alike).

/// A body read up to a limit.
pub(crate) struct LimitedBody {
    pub(crate) bytes: Vec<u8>,
    /// True when the body was longer than the limit (and `bytes` holds its start).
    pub(crate) truncated: bool,
}

/// Reads at most `limit` bytes of the body, chunk by chunk, so that a huge or endless
/// answer never fills the memory.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<LimitedBody, reqwest::Error> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Ok(LimitedBody {
            bytes: Vec::new(),
            truncated: true,
        });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = (limit as usize).saturating_sub(bytes.len());
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(LimitedBody {
                bytes,
                truncated: true,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(LimitedBody {
        bytes,
        truncated: false,
    })
}
