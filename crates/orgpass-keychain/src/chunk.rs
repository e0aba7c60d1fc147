//! Values longer than one keychain entry allows, split over numbered entries `account#1…#n` with a header in
//! `account` (Windows Credential Manager stores at most ~1280 characters in one entry).

use crate::{KeychainError, SecretBackend};

/// Longest value stored in one keychain entry.
pub const CHUNK_LEN: usize = 1200;
const CHUNK_HEADER: &str = "orgpass-chunks:";

/// Write `value` under `account`, split over `account#1…#n` when longer than [`CHUNK_LEN`]; chunks left over from
/// a longer previous value are removed.
pub fn write_chunked(
    backend: &dyn SecretBackend,
    account: &str,
    value: &str,
) -> Result<(), KeychainError> {
    let old_chunks = chunk_count(backend.get(account)?.as_deref());
    let chunks: Vec<&str> = if value.len() <= CHUNK_LEN {
        Vec::new()
    } else {
        split_chars(value, CHUNK_LEN)
    };
    for (i, chunk) in chunks.iter().enumerate() {
        backend.set(&format!("{account}#{}", i + 1), chunk)?;
    }
    if chunks.is_empty() {
        backend.set(account, value)?;
    } else {
        backend.set(account, &format!("{CHUNK_HEADER}{}", chunks.len()))?;
    }
    for i in chunks.len() + 1..=old_chunks {
        backend.delete(&format!("{account}#{i}"))?;
    }
    Ok(())
}

/// Read a value written by [`write_chunked`]; a missing chunk or a damaged header is [`KeychainError::Corrupt`].
pub fn read_chunked(
    backend: &dyn SecretBackend,
    account: &str,
) -> Result<Option<String>, KeychainError> {
    let Some(head) = backend.get(account)? else {
        return Ok(None);
    };
    let Some(n) = head.strip_prefix(CHUNK_HEADER) else {
        return Ok(Some(head));
    };
    let n: usize = n
        .parse()
        .map_err(|_| KeychainError::Corrupt(format!("bad chunk header `{head}`")))?;
    let mut value = String::new();
    for i in 1..=n {
        let part = backend
            .get(&format!("{account}#{i}"))?
            .ok_or_else(|| KeychainError::Corrupt(format!("chunk {i} of {n} is missing")))?;
        value.push_str(&part);
    }
    Ok(Some(value))
}

/// Delete a value written by [`write_chunked`] and its chunks; `Ok(false)` when there was none.
pub fn delete_chunked(backend: &dyn SecretBackend, account: &str) -> Result<bool, KeychainError> {
    let n = chunk_count(backend.get(account)?.as_deref());
    for i in 1..=n {
        backend.delete(&format!("{account}#{i}"))?;
    }
    backend.delete(account)
}

fn chunk_count(head: Option<&str>) -> usize {
    head.and_then(|h| h.strip_prefix(CHUNK_HEADER))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn split_chars(value: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let mut cut = max.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryBackend;

    #[test]
    fn chunking_round_trips_and_shrinks() {
        let b = MemoryBackend::default();
        for len in [
            0,
            1,
            CHUNK_LEN - 1,
            CHUNK_LEN,
            CHUNK_LEN + 1,
            5 * CHUNK_LEN + 7,
        ] {
            let value: String = "é".repeat(len / 2) + &"x".repeat(len - len / 2);
            write_chunked(&b, "k", &value).unwrap();
            assert_eq!(
                read_chunked(&b, "k").unwrap().as_deref(),
                Some(value.as_str()),
                "len {len}"
            );
            assert!(
                b.longest_value() <= CHUNK_LEN,
                "len {len}: a value of {} chars was stored",
                b.longest_value()
            );
        }
        // Last write had 7 chunks (7200 bytes in é's + x's); shrink to one value: old chunks are gone.
        write_chunked(&b, "k", "small").unwrap();
        assert_eq!(b.accounts(), vec!["k".to_owned()]);
        assert!(delete_chunked(&b, "k").unwrap());
        assert!(b.accounts().is_empty());
        assert_eq!(read_chunked(&b, "k").unwrap(), None);
    }

    #[test]
    fn missing_chunk_or_bad_header_is_corrupt() {
        let b = MemoryBackend::default();
        write_chunked(&b, "k", &"x".repeat(3000)).unwrap();
        b.delete("k#2").unwrap();
        assert!(
            matches!(read_chunked(&b, "k"), Err(KeychainError::Corrupt(m)) if m == "chunk 2 of 3 is missing")
        );
        b.set("k", "orgpass-chunks:two").unwrap();
        assert!(
            matches!(read_chunked(&b, "k"), Err(KeychainError::Corrupt(m)) if m == "bad chunk header `orgpass-chunks:two`")
        );
    }
}
