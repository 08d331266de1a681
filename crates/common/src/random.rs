//! Randomness from the operating system, for keys, salts and passwords.

use std::io::Read;

/// `N` random bytes from the operating system (`/dev/urandom`).
pub fn random_bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut buf = [0u8; N];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

/// A salt that peers cannot guess, for hash tables and caches keyed by their data. When
/// the operating system gives no randomness, the clock and this process's address-space
/// layout stand in: weaker, but a cache must still work.
pub fn salt() -> [u8; 32] {
    if let Ok(s) = random_bytes::<32>() {
        return s;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let local = 0u8;
    let mut salt = [0u8; 32];
    salt[..16].copy_from_slice(&now.to_le_bytes());
    salt[16..24].copy_from_slice(&(&local as *const u8 as usize as u64).to_le_bytes());
    salt[24..28].copy_from_slice(&std::process::id().to_le_bytes());
    salt
}

#[cfg(test)]
mod tests {
    #[test]
    fn salts_differ() {
        assert_ne!(super::salt(), super::salt());
        assert_ne!(super::random_bytes::<16>().ok(), Some([0u8; 16]));
    }
}
