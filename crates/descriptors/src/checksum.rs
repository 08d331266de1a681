//! The `#checksum` suffix: Core's checks and messages.

use chain_json::descriptor_checksum;

/// Splits `s` into payload and verified checksum; returns the payload and the
/// checksum it has (computed when absent and not required).
pub(crate) fn check(s: &str, require: bool) -> Result<(&str, String), String> {
    let parts: Vec<&str> = s.split('#').collect();
    if parts.len() > 2 {
        return Err("Multiple '#' symbols".into());
    }
    if parts.len() == 1 && require {
        return Err("Missing checksum".into());
    }
    if let Some(given) = parts.get(1) {
        if given.len() != 8 {
            return Err(format!(
                "Expected 8 character checksum, not {} characters",
                given.len()
            ));
        }
    }
    let payload = parts[0];
    let computed = descriptor_checksum(payload)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| "Invalid characters in payload".to_string())?;
    if let Some(given) = parts.get(1) {
        if *given != computed {
            return Err(format!(
                "Provided checksum '{given}' does not match computed checksum '{computed}'"
            ));
        }
    }
    Ok((payload, computed))
}

/// Core's `GetDescriptorChecksum`: the checksum of the payload, empty when the
/// checksum part is malformed or wrong.
pub fn checksum_of(s: &str) -> String {
    check(s, false).map(|(_, c)| c).unwrap_or_default()
}
