//! `CScriptNum`: the little-endian sign-magnitude numbers of script arithmetic.

use super::ScriptError;

/// A script number; arithmetic inputs are at most 4 bytes, results may be 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScriptNum(pub i64);

impl ScriptNum {
    /// Decodes a stack element of at most `max_size` bytes; with `require_minimal`,
    /// a non-minimal encoding is an error (`SCRIPT_ERR_SCRIPTNUM`).
    pub fn decode(
        v: &[u8],
        require_minimal: bool,
        max_size: usize,
    ) -> Result<ScriptNum, ScriptError> {
        // Beyond 8 bytes a value would not fit in i64.
        if v.len() > max_size || v.len() > 8 {
            return Err(ScriptError::ScriptNum);
        }
        if require_minimal {
            if let Some(&last) = v.last() {
                // The top byte may only be zero (or the sign bit) if the next one needs its top bit.
                if last & 0x7f == 0 && (v.len() <= 1 || v[v.len() - 2] & 0x80 == 0) {
                    return Err(ScriptError::ScriptNum);
                }
            }
        }
        if v.is_empty() {
            return Ok(ScriptNum(0));
        }
        let mut result: i64 = 0;
        for (i, &b) in v.iter().enumerate() {
            result |= (b as i64) << (8 * i);
        }
        let last = v[v.len() - 1];
        if last & 0x80 != 0 {
            let mask = !(0x80i64 << (8 * (v.len() - 1)));
            Ok(ScriptNum(-(result & mask)))
        } else {
            Ok(ScriptNum(result))
        }
    }

    /// The minimal encoding of `n` (`CScriptNum::serialize`).
    pub fn serialize(n: i64) -> Vec<u8> {
        if n == 0 {
            return Vec::new();
        }
        let neg = n < 0;
        let mut abs = n.unsigned_abs();
        let mut out = Vec::with_capacity(9);
        while abs != 0 {
            out.push((abs & 0xff) as u8);
            abs >>= 8;
        }
        // The top bit carries the sign: add a byte if it is already used by the magnitude.
        let last = out.len() - 1;
        if out[last] & 0x80 != 0 {
            out.push(if neg { 0x80 } else { 0 });
        } else if neg {
            out[last] |= 0x80;
        }
        out
    }

    /// The value clamped to `i32`, as `CScriptNum::getint`.
    pub fn getint(self) -> i32 {
        self.0.clamp(i32::MIN as i64, i32::MAX as i64) as i32
    }

    /// This number's encoding.
    pub fn to_vec(self) -> Vec<u8> {
        ScriptNum::serialize(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_minimality() {
        for n in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            255,
            256,
            32767,
            -32768,
            0x7fffffff,
            -0x7fffffff,
            1 << 39,
        ] {
            assert_eq!(
                ScriptNum::decode(&ScriptNum::serialize(n), true, 8),
                Ok(ScriptNum(n)),
                "{n}"
            );
        }
        assert_eq!(ScriptNum::serialize(128), vec![0x80, 0x00]);
        assert_eq!(ScriptNum::serialize(-1), vec![0x81]);
        assert_eq!(
            ScriptNum::decode(&[0x00], true, 4),
            Err(ScriptError::ScriptNum)
        );
        assert_eq!(
            ScriptNum::decode(&[0x80], true, 4),
            Err(ScriptError::ScriptNum)
        );
        assert_eq!(ScriptNum::decode(&[0x80], false, 4), Ok(ScriptNum(0)));
        assert_eq!(
            ScriptNum::decode(&[0x80, 0x00], true, 4),
            Ok(ScriptNum(128))
        );
        assert_eq!(
            ScriptNum::decode(&[1, 2, 3, 4, 5], false, 4),
            Err(ScriptError::ScriptNum)
        );
        assert_eq!(ScriptNum(1 << 40).getint(), i32::MAX);
        assert_eq!(
            ScriptNum::decode(&[0xff; 9], false, 100),
            Err(ScriptError::ScriptNum)
        );
        assert_eq!(
            ScriptNum::decode(&[0xff; 8], false, 8),
            Ok(ScriptNum(-0x7fff_ffff_ffff_ffff))
        );
    }
}
