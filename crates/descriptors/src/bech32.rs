//! Bech32 and Bech32m (BIP 173 / BIP 350) as Core implements them, including its
//! error locator that points at up to two mistyped characters.

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const CHECKSUM_LEN: usize = 6;
/// Longest string accepted (BIP 173's limit).
pub(crate) const CHAR_LIMIT: usize = 90;

/// Which checksum constant a string verified with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// BIP 173.
    Bech32,
    /// BIP 350.
    Bech32m,
}

impl Encoding {
    fn constant(self) -> u32 {
        match self {
            Encoding::Bech32 => 1,
            Encoding::Bech32m => 0x2bc8_30a3,
        }
    }
}

/// A successfully decoded string: lower-cased prefix and 5-bit data without checksum.
pub(crate) struct Decoded {
    pub encoding: Encoding,
    pub hrp: String,
    pub data: Vec<u8>,
}

fn rev(c: u8) -> Option<u8> {
    let c = c.to_ascii_lowercase();
    CHARSET.iter().position(|&x| x == c).map(|p| p as u8)
}

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut c: u32 = 1;
    for &v in values {
        let top = c >> 25;
        c = ((c & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                c ^= g;
            }
        }
    }
    c
}

fn expand(hrp: &str, values: &[u8]) -> Vec<u8> {
    let h = hrp.as_bytes();
    let mut out: Vec<u8> = h.iter().map(|c| c >> 5).collect();
    out.push(0);
    out.extend(h.iter().map(|c| c & 31));
    out.extend_from_slice(values);
    out
}

/// Encodes `hrp` (lower case) and 5-bit `values` with the checksum of `encoding`.
pub(crate) fn encode(encoding: Encoding, hrp: &str, values: &[u8]) -> String {
    let mut enc = expand(hrp, values);
    enc.extend([0u8; CHECKSUM_LEN]);
    let m = polymod(&enc) ^ encoding.constant();
    let mut s = String::with_capacity(hrp.len() + 1 + values.len() + CHECKSUM_LEN);
    s.push_str(hrp);
    s.push('1');
    for &v in values {
        s.push(char::from(CHARSET[usize::from(v & 31)]));
    }
    for i in 0..CHECKSUM_LEN {
        s.push(char::from(CHARSET[((m >> (5 * (5 - i))) & 31) as usize]));
    }
    s
}

/// Positions of characters outside printable ASCII and of case changes.
fn bad_characters(s: &str) -> Vec<usize> {
    let (mut lower, mut upper) = (false, false);
    let mut errors = Vec::new();
    for (i, c) in s.bytes().enumerate() {
        if c.is_ascii_lowercase() {
            if upper {
                errors.push(i);
            } else {
                lower = true;
            }
        } else if c.is_ascii_uppercase() {
            if lower {
                errors.push(i);
            } else {
                upper = true;
            }
        } else if !(33..=126).contains(&c) {
            errors.push(i);
        }
    }
    errors
}

/// Splits `s` into lower-cased prefix and 5-bit values (checksum included).
fn split_parts(s: &str) -> Option<(String, Vec<u8>)> {
    let pos = s.rfind('1')?;
    if pos == 0 || pos + CHECKSUM_LEN >= s.len() {
        return None;
    }
    let values = s.as_bytes()[pos + 1..]
        .iter()
        .map(|&c| rev(c))
        .collect::<Option<Vec<u8>>>()?;
    Some((s[..pos].to_ascii_lowercase(), values))
}

/// Decodes `s`, or `None` when it is not a valid Bech32/Bech32m string.
pub(crate) fn decode(s: &str) -> Option<Decoded> {
    if !bad_characters(s).is_empty() || s.len() > CHAR_LIMIT {
        return None;
    }
    let (hrp, values) = split_parts(s)?;
    let check = polymod(&expand(&hrp, &values));
    let encoding = [Encoding::Bech32, Encoding::Bech32m]
        .into_iter()
        .find(|e| e.constant() == check)?;
    let data = values[..values.len() - CHECKSUM_LEN].to_vec();
    Some(Decoded {
        encoding,
        hrp,
        data,
    })
}

/// GF(1024) exponent and logarithm tables (GF(1024) built over GF(32) as Core does).
fn gf_tables() -> ([i32; 1023], [i32; 1024]) {
    let mut gf32_exp = [0i32; 31];
    let mut gf32_log = [0i32; 32];
    gf32_exp[0] = 1;
    gf32_log[0] = -1;
    let mut v = 1i32;
    for (i, slot) in gf32_exp.iter_mut().enumerate().skip(1) {
        v <<= 1;
        if v & 32 != 0 {
            v ^= 41;
        }
        *slot = v;
        gf32_log[v as usize] = i as i32;
    }
    let mul32 = |a: i32, log_b: i32| -> i32 {
        if a == 0 {
            0
        } else {
            gf32_exp[((gf32_log[a as usize] + log_b) % 31) as usize]
        }
    };
    let mut exp = [0i32; 1023];
    let mut log = [0i32; 1024];
    exp[0] = 1;
    log[0] = -1;
    let mut v = 1i32;
    for (i, slot) in exp.iter_mut().enumerate().skip(1) {
        let v0 = v & 31;
        let v1 = v >> 5;
        let v0n = mul32(v1, gf32_log[23]);
        let v1n = mul32(v1, gf32_log[9]) ^ v0;
        v = v1n << 5 | v0n;
        *slot = v;
        log[v as usize] = i as i32;
    }
    (exp, log)
}

fn syndrome(residue: u32, exp: &[i32; 1023], log: &[i32; 1024]) -> u32 {
    let low = residue & 0x1f;
    let mut result = low ^ (low << 10) ^ (low << 20);
    for k in 1..6usize {
        for shift in 0..5usize {
            if (residue >> (5 + 5 * (k - 1) + shift)) & 1 == 1 {
                let b = log[1usize << shift] as usize;
                let c0 = exp[(997 * k + b) % 1023] as u32;
                let c1 = exp[(998 * k + b) % 1023] as u32;
                let c2 = exp[(999 * k + b) % 1023] as u32;
                result ^= c2 << 20 | c1 << 10 | c0;
            }
        }
    }
    result
}

/// Error positions (counted from the right end of the data) for a residue.
fn locate(residue: u32, length: usize, exp: &[i32; 1023], log: &[i32; 1024]) -> Vec<usize> {
    let syn = syndrome(residue, exp, log);
    let s0 = (syn & 0x3ff) as usize;
    let s1 = ((syn >> 10) & 0x3ff) as usize;
    let s2 = (syn >> 20) as usize;
    let (l_s0, l_s1, l_s2) = (log[s0], log[s1], log[s2]);
    if l_s0 != -1 && l_s1 != -1 && l_s2 != -1 && (2 * l_s1 - l_s2 - l_s0 + 2046) % 1023 == 0 {
        let p1 = ((l_s1 - l_s0 + 1023) % 1023) as usize;
        let l_e1 = l_s0 as usize + (1023 - 997) * p1;
        if p1 < length && l_e1.is_multiple_of(33) {
            return vec![p1];
        }
        return Vec::new();
    }
    let mul_exp = |s: usize, l_s: i32, p: usize| -> usize {
        if s == 0 {
            0
        } else {
            exp[(l_s as usize + p) % 1023] as usize
        }
    };
    for p1 in 0..length {
        let s2_s1p1 = s2 ^ mul_exp(s1, l_s1, p1);
        if s2_s1p1 == 0 {
            continue;
        }
        let s1_s0p1 = s1 ^ mul_exp(s0, l_s0, p1);
        if s1_s0p1 == 0 {
            continue;
        }
        let (l_a, l_b) = (log[s2_s1p1], log[s1_s0p1]);
        let p2 = ((l_a - l_b + 1023) % 1023) as usize;
        if p2 >= length || p1 == p2 {
            continue;
        }
        let s1_s0p2 = s1 ^ mul_exp(s0, l_s0, p2);
        if s1_s0p2 == 0 {
            continue;
        }
        let l_c = log[s1_s0p2] as usize;
        let inv = 1023 - log[(exp[p1 % 1023] ^ exp[p2 % 1023]) as usize] as usize;
        let l_e2 = l_b as usize + inv + (1023 - 997) * p2;
        if !l_e2.is_multiple_of(33) {
            continue;
        }
        let l_e1 = l_c + inv + (1023 - 997) * p1;
        if !l_e1.is_multiple_of(33) {
            continue;
        }
        return vec![p1, p2];
    }
    Vec::new()
}

/// Core's `LocateErrors`: a message and the indices of likely wrong characters of a
/// string that failed to decode.
pub(crate) fn locate_errors(s: &str) -> (String, Vec<usize>) {
    if s.len() > CHAR_LIMIT {
        return (
            "Bech32 string too long".into(),
            (CHAR_LIMIT..s.len()).collect(),
        );
    }
    let bad = bad_characters(s);
    if !bad.is_empty() {
        return ("Invalid character or mixed case".into(), bad);
    }
    let Some(pos) = s.rfind('1') else {
        return ("Missing separator".into(), Vec::new());
    };
    if pos == 0 || pos + CHECKSUM_LEN >= s.len() {
        return ("Invalid separator position".into(), vec![pos]);
    }
    let hrp = s[..pos].to_ascii_lowercase();
    let mut values = Vec::with_capacity(s.len() - pos - 1);
    for (i, &c) in s.as_bytes().iter().enumerate().skip(pos + 1) {
        match rev(c) {
            Some(v) => values.push(v),
            None => return ("Invalid Base 32 character".into(), vec![i]),
        }
    }
    let length = values.len();
    let (exp, log) = gf_tables();
    let mut best: Vec<usize> = Vec::new();
    let mut best_encoding = None;
    for encoding in [Encoding::Bech32, Encoding::Bech32m] {
        let residue = polymod(&expand(&hrp, &values)) ^ encoding.constant();
        if residue == 0 {
            return (String::new(), Vec::new());
        }
        let found = locate(residue, length, &exp, &log);
        if best.is_empty() || (!found.is_empty() && found.len() < best.len()) {
            best = found;
            if !best.is_empty() {
                best_encoding = Some(encoding);
            }
        }
    }
    let message = match best_encoding {
        Some(Encoding::Bech32m) => "Invalid Bech32m checksum",
        Some(Encoding::Bech32) => "Invalid Bech32 checksum",
        None => "Invalid checksum",
    };
    // Positions count from the right; report them left to right.
    let mut indices: Vec<usize> = best.iter().map(|p| s.len() - p - 1).collect();
    indices.sort_unstable();
    (message.into(), indices)
}

/// Regroups bits (`from` to `to` bits per value); `pad` as Core's `ConvertBits`.
pub(crate) fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let maxv: u32 = (1 << to) - 1;
    let max_acc: u32 = (1 << (from + to - 1)) - 1;
    let mut out = Vec::new();
    for &v in data {
        acc = ((acc << from) | u32::from(v)) & max_acc;
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & maxv) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & maxv) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_like_core() {
        // From Core's rpc_invalid_address_message.py.
        let (m, l) = locate_errors("bcrt1q049edschfnwystcqnsvyfpj23mpsg3jcedq9xv");
        assert_eq!((m.as_str(), l), ("Invalid Bech32 checksum", vec![9]));
        let (m, l) = locate_errors("bcrt1qax9suht3qv95sw33xavx8crpxduefdrsvgsklu");
        assert_eq!((m.as_str(), l), ("Invalid Bech32 checksum", vec![22, 43]));
        let (m, l) = locate_errors("BCRT1QPLMTZKC2XHARPPZDLNPAQL78RSHJ68U32RAH7R");
        assert_eq!((m.as_str(), l), ("Invalid Bech32 checksum", vec![38]));
        let (m, l) = locate_errors("bcrtq049ldschfnwystcqnsvyfpj23mpsg3jcedq9xv");
        assert_eq!((m.as_str(), l), ("Missing separator", vec![]));
        let (m, l) = locate_errors("bcrt1q04oldschfnwystcqnsvyfpj23mpsg3jcedq9xv");
        assert_eq!((m.as_str(), l), ("Invalid Base 32 character", vec![8]));
        let (m, l) =
            locate_errors("bcrt1qdg3myrgvzw7ml8q0ejxhlkyxn7vl9r56yzkfgvzclrf4hkpx9yfqhpsuks");
        assert_eq!((m.as_str(), l), ("Invalid Bech32 checksum", vec![19, 30]));
        let (m, l) = locate_errors("bcrt1ptmp74ayg7p24uslctssvjm06q5phz4yrxucgnv");
        assert_eq!((m.as_str(), l), ("Invalid Bech32 checksum", vec![5]));
    }

    #[test]
    fn round_trip() {
        let s = encode(Encoding::Bech32m, "bcrt", &[1, 2, 3]);
        let d = decode(&s).map(|d| (d.encoding, d.hrp, d.data));
        assert_eq!(d, Some((Encoding::Bech32m, "bcrt".into(), vec![1, 2, 3])));
    }
}
