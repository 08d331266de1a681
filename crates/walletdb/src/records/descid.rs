//! Descriptor checksums and Core's `DescriptorID` (script/descriptor.cpp).
//!
//! Core hashes the descriptor's "compat" string: the public form with every hardened
//! step written with an apostrophe, whatever the user typed, so ids stay stable across
//! releases that changed the default marker to `h`. The id is the single SHA-256 of
//! that string with its checksum appended.

use bitcoin::hashes::{sha256, Hash};

use super::types::DescriptorId;
use super::RecordError;

const INPUT_CHARSET: &[u8] = b"0123456789()[],'/*abcdefgh@:$%{}\
IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~\
ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn poly_mod(c: u64, val: u64) -> u64 {
    let c0 = c >> 35;
    let mut c = ((c & 0x7_ffff_ffff) << 5) ^ val;
    if c0 & 1 != 0 {
        c ^= 0xf5_dee5_1989;
    }
    if c0 & 2 != 0 {
        c ^= 0xa9_fdca_3312;
    }
    if c0 & 4 != 0 {
        c ^= 0x1b_ab10_e32d;
    }
    if c0 & 8 != 0 {
        c ^= 0x37_06b1_677a;
    }
    if c0 & 16 != 0 {
        c ^= 0x64_4d62_6ffd;
    }
    c
}

/// The 8-character descriptor checksum of `payload`, or `None` if it holds a character
/// outside the descriptor alphabet (Core's `DescriptorChecksum` returning "").
pub fn descriptor_checksum(payload: &str) -> Option<String> {
    let mut c: u64 = 1;
    let mut cls: u64 = 0;
    let mut clscount = 0;
    for ch in payload.bytes() {
        let pos = INPUT_CHARSET.iter().position(|&x| x == ch)? as u64;
        c = poly_mod(c, pos & 31);
        cls = cls * 3 + (pos >> 5);
        clscount += 1;
        if clscount == 3 {
            c = poly_mod(c, cls);
            cls = 0;
            clscount = 0;
        }
    }
    if clscount > 0 {
        c = poly_mod(c, cls);
    }
    for _ in 0..8 {
        c = poly_mod(c, 0);
    }
    c ^= 1;
    Some(
        (0..8)
            .map(|j| char::from(CHECKSUM_CHARSET[((c >> (5 * (7 - j))) & 31) as usize]))
            .collect(),
    )
}

/// Splits off and verifies a checksum the way Core's `CheckChecksum` does, with its
/// error texts. Returns the payload.
pub fn check_checksum(descriptor: &str, require: bool) -> Result<&str, RecordError> {
    let parts: Vec<&str> = descriptor.split('#').collect();
    let bad = |msg: String| Err(RecordError::InvalidDescriptor(msg));
    if parts.len() > 2 {
        return bad("Multiple '#' symbols".into());
    }
    if parts.len() == 1 && require {
        return bad("Missing checksum".into());
    }
    if parts.len() == 2 && parts[1].len() != 8 {
        return bad(format!(
            "Expected 8 character checksum, not {} characters",
            parts[1].len()
        ));
    }
    let Some(computed) = descriptor_checksum(parts[0]) else {
        return bad("Invalid characters in payload".into());
    };
    if parts.len() == 2 && parts[1] != computed {
        return bad(format!(
            "Provided checksum '{}' does not match computed checksum '{}'",
            parts[1], computed
        ));
    }
    Ok(parts[0])
}

/// Rewrites every hardened marker (`h` or `H` ending a path step) as `'`.
///
/// A path step follows `/`, or `<`/`;` inside a multipath group; base58 keys, hex and
/// addresses never contain those characters, so an `h` elsewhere is left alone.
fn compat_hardened(payload: &str) -> String {
    let mut out = String::with_capacity(payload.len());
    let mut step_may_start = false;
    let mut in_step = false;
    for ch in payload.chars() {
        match ch {
            '/' | '<' | ';' => {
                step_may_start = true;
                in_step = false;
                out.push(ch);
            }
            '0'..='9' | '*' if step_may_start || in_step => {
                step_may_start = false;
                in_step = true;
                out.push(ch);
            }
            'h' | 'H' | '\'' if in_step => {
                in_step = false;
                out.push('\'');
            }
            _ => {
                step_may_start = false;
                in_step = false;
                out.push(ch);
            }
        }
    }
    out
}

/// Core's `DescriptorID` for a descriptor given as Core prints it (the string stored in
/// a `walletdescriptor` record). A checksum, if present, must be right; it is then
/// recomputed over the apostrophe form before hashing.
///
/// The string is not parsed: it must already be in Core's canonical public form (key
/// order, key encoding and so on), which is what Core stores.
pub fn descriptor_id(descriptor: &str) -> Result<DescriptorId, RecordError> {
    let payload = check_checksum(descriptor, false)?;
    let compat = compat_hardened(payload);
    let Some(checksum) = descriptor_checksum(&compat) else {
        return Err(RecordError::InvalidDescriptor(
            "Invalid characters in payload".into(),
        ));
    };
    let full = format!("{compat}#{checksum}");
    Ok(DescriptorId(
        sha256::Hash::hash(full.as_bytes()).to_byte_array(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const XPUB_A: &str = "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL";
    const XPUB_B: &str = "xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y";

    #[test]
    fn checksums_from_core_tests() {
        let d = format!("sh(multi(2,[00000000/111'/222]{XPUB_A},{XPUB_B}/0))");
        assert_eq!(descriptor_checksum(&d).unwrap(), "tjg09x5t");
        assert!(check_checksum(&format!("{d}#tjg09x5t"), true).is_ok());
        let err = check_checksum(&format!("{d}#tjq09x4t"), true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Provided checksum 'tjq09x4t' does not match computed checksum 'tjg09x5t'"
        );
        assert_eq!(
            check_checksum(&format!("{d}##tjq09x4t"), true)
                .unwrap_err()
                .to_string(),
            "Multiple '#' symbols"
        );
        assert_eq!(
            check_checksum(&d, true).unwrap_err().to_string(),
            "Missing checksum"
        );
        assert_eq!(
            check_checksum("raw(Ü)#00000000", true)
                .unwrap_err()
                .to_string(),
            "Invalid characters in payload"
        );
    }

    /// Ids from Core's descriptor_tests.cpp (`op_desc_id`, printed reversed).
    #[test]
    fn ids_from_core_tests() {
        let k = "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
        let u = "04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235";
        let cases = [
            (format!("combo({k})"), "8ef71f7b6ac0918663f6706be469d6109f6922e21f484009d7ab49d77da36e8b"),
            (format!("pk({k})"), "5fe175b43c58ac2cdde40521dc7d1dbc607f3dd795d00770206f4fdefb42229e"),
            (format!("pkh([deadbeef/1/2'/3/4']{k})"), "628130ae0530f2b24faf1ad2744a83568ac0ffac43e703e30c00d5f137869b84"),
            (format!("pkh([deadbeef/1/2h/3/4h]{k})"), "628130ae0530f2b24faf1ad2744a83568ac0ffac43e703e30c00d5f137869b84"),
            (format!("wpkh({k})"), "4a47b7f497721bf3fc48c69a5d22bc1f3617238649a8ba7cb96fbd92fec84a7e"),
            (format!("sh(wpkh({k}))"), "a13112753066b5c59473a87c5771b1694a10531944a60e0ab2d7ad66ecb65bcd"),
            (format!("tr({})", &k[2..]), "4290f3d017b270be53b91abc56d9d2f23a3ff361d5b1d39550ba011e6cae0da5"),
            (format!("combo({u})"), "33f6bb5d32c04e9d9e5466a8212836743bd5466aa0b8d5331ce8aa0812371ffd"),
            (format!("pk({u})"), "52306fc1f5d0cb78aacea9d3933092be9252adc27b146f97c16a94d6fcdb652e"),
            (format!("pkh({u})"), "36657e8690d4015032da1a8c1e37b315c3f7ccb010e6ada12967878711962991"),
            (format!("combo([01234567]{XPUB_A})"), "7f127f7861594e3ede449eb47a7cc623c753acc0b0f0fc03fbb2dac636c20d6f"),
            (format!("pk({XPUB_B}/0)"), "0e54cf04f2bb8d607e2241d611d169c6f7d78f0ab1f15a80642192a19fbdb7cc"),
            (
                "pkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/2147483647h/0)".to_string(),
                "35a5cf511e941a35b9cb0cf515d3ef887aa4246db87d6af463265a386ad856fe",
            ),
            (
                format!("sh(multi(2,[00000000/111h/222]{XPUB_A},{XPUB_B}/0))"),
                "9339b7bfbe8cfd9d0d55819778ef77f52e5786e85b4c83be8a0d5b976e033f4c",
            ),
        ];
        for (desc, id) in cases {
            let with_sum = format!("{desc}#{}", descriptor_checksum(&desc).unwrap());
            assert_eq!(
                descriptor_id(&with_sum).unwrap().to_core_hex(),
                id,
                "{desc}"
            );
            assert_eq!(descriptor_id(&desc).unwrap().to_core_hex(), id, "{desc}");
        }
    }

    #[test]
    fn compat_rewrites_only_path_steps() {
        assert_eq!(
            compat_hardened("tr(xpubh/86h/1H/0'/<0h;1h>/*h)"),
            "tr(xpubh/86'/1'/0'/<0';1'>/*')"
        );
        assert_eq!(compat_hardened("addr(bc1qh0h)"), "addr(bc1qh0h)");
        assert_eq!(compat_hardened("thresh(2,pk(a))"), "thresh(2,pk(a))");
    }
}
