//! Coins (unspent outputs with their height and coinbase flag) and Core's compressed form
//! of amounts and scripts, shared by undo data and the UTXO set.

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, ScriptBuf, TxOut};

use crate::varint::{self, VarIntError};

/// An unspent output as the UTXO set keeps it (`Coin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// The output.
    pub output: TxOut,
    /// Height of the block that created it.
    pub height: u32,
    /// Whether a coinbase created it.
    pub is_coinbase: bool,
}

/// Why compressed coin data could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoinError {
    /// The data ended early.
    Truncated,
    /// A number did not fit.
    Overflow,
    /// A compressed public key that is not on the curve.
    InvalidPubkey,
}

impl From<VarIntError> for CoinError {
    fn from(e: VarIntError) -> Self {
        match e {
            VarIntError::Truncated => CoinError::Truncated,
            VarIntError::Overflow => CoinError::Overflow,
        }
    }
}

impl std::fmt::Display for CoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoinError::Truncated => f.write_str("coin data truncated"),
            CoinError::Overflow => f.write_str("coin data number overflow"),
            CoinError::InvalidPubkey => f.write_str("compressed public key not on the curve"),
        }
    }
}

impl std::error::Error for CoinError {}

/// `CompressAmount`: trailing decimal zeros folded into an exponent.
pub fn compress_amount(mut n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut e = 0;
    while n.is_multiple_of(10) && e < 9 {
        n /= 10;
        e += 1;
    }
    if e < 9 {
        let d = n % 10;
        n /= 10;
        1 + (n * 9 + d - 1) * 10 + e
    } else {
        1 + (n - 1) * 10 + 9
    }
}

/// `DecompressAmount`.
pub fn decompress_amount(x: u64) -> u64 {
    if x == 0 {
        return 0;
    }
    let mut x = x - 1;
    let e = x % 10;
    x /= 10;
    let mut n = if e < 9 {
        let d = (x % 9) + 1;
        x /= 9;
        x.wrapping_mul(10).wrapping_add(d)
    } else {
        x.wrapping_add(1)
    };
    for _ in 0..e {
        n = n.wrapping_mul(10);
    }
    n
}

const SPECIAL_SCRIPTS: u64 = 6;
const MAX_SCRIPT_SIZE: u64 = 10_000;

/// `CompressScript`: P2PKH, P2SH and P2PK (with a valid key) in 21 or 33 bytes.
fn compress_script(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() == 25 && s[0] == 0x76 && s[1] == 0xa9 && s[2] == 20 && s[23] == 0x88 && s[24] == 0xac
    {
        return Some([&[0u8][..], &s[3..23]].concat());
    }
    if s.len() == 23 && s[0] == 0xa9 && s[1] == 20 && s[22] == 0x87 {
        return Some([&[1u8][..], &s[2..22]].concat());
    }
    if s.len() == 35 && s[0] == 33 && s[34] == 0xac && (s[1] == 2 || s[1] == 3) {
        return Some(s[1..34].to_vec());
    }
    if s.len() == 67
        && s[0] == 65
        && s[66] == 0xac
        && s[1] == 4
        && PublicKey::from_slice(&s[1..66]).is_ok()
    {
        let mut out = vec![4 | (s[65] & 1)];
        out.extend_from_slice(&s[2..34]);
        return Some(out);
    }
    None
}

/// Appends an output in Core's `TxOutCompression` form.
pub fn write_txout(out: &mut Vec<u8>, txout: &TxOut) {
    varint::write(out, compress_amount(txout.value.to_sat()));
    let script = txout.script_pubkey.as_bytes();
    match compress_script(script) {
        Some(c) => out.extend_from_slice(&c),
        None => {
            varint::write(out, script.len() as u64 + SPECIAL_SCRIPTS);
            out.extend_from_slice(script);
        }
    }
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> Result<&'a [u8], CoinError> {
    if data.len() < n {
        return Err(CoinError::Truncated);
    }
    let (a, b) = data.split_at(n);
    *data = b;
    Ok(a)
}

/// Reads an output in `TxOutCompression` form.
pub fn read_txout(data: &mut &[u8]) -> Result<TxOut, CoinError> {
    let value = decompress_amount(varint::read(data)?);
    let size = varint::read(data)?;
    let script = match size {
        0 => [&[0x76, 0xa9, 20][..], take(data, 20)?, &[0x88, 0xac]].concat(),
        1 => [&[0xa9, 20][..], take(data, 20)?, &[0x87]].concat(),
        2 | 3 => [&[33, size as u8][..], take(data, 32)?, &[0xac]].concat(),
        4 | 5 => {
            // The parity is in the size: 4 → even (0x02), 5 → odd (0x03).
            let compressed = [&[size as u8 - 2][..], take(data, 32)?].concat();
            let pk = PublicKey::from_slice(&compressed).map_err(|_| CoinError::InvalidPubkey)?;
            [&[65u8][..], &pk.serialize_uncompressed(), &[0xac]].concat()
        }
        n => {
            let len = n - SPECIAL_SCRIPTS;
            if len > MAX_SCRIPT_SIZE {
                // Core keeps a short unspendable script in place of an overly long one.
                take(data, usize::try_from(len).map_err(|_| CoinError::Overflow)?)?;
                vec![0x6a]
            } else {
                take(data, len as usize)?.to_vec()
            }
        }
    };
    Ok(TxOut {
        value: Amount::from_sat(value),
        script_pubkey: ScriptBuf::from_bytes(script),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_core_compresses_them() {
        // From Core's compress_tests.
        const COIN: u64 = 100_000_000;
        for (n, c) in [
            (0, 0x0),
            (1, 0x1),
            (COIN / 100, 0x7),
            (COIN, 0x9),
            (50 * COIN, 0x32),
            (21_000_000 * COIN, 0x1406f40),
        ] {
            assert_eq!(compress_amount(n), c);
            assert_eq!(decompress_amount(c), n);
        }
        for n in (0..100_000u64)
            .step_by(7)
            .chain([123_456_789, 2_100_000_000_000_000])
        {
            assert_eq!(decompress_amount(compress_amount(n)), n);
        }
    }

    #[test]
    fn scripts_round_trip_compressed_and_raw() {
        let secp = bitcoin::secp256k1::Secp256k1::new();
        let sk = bitcoin::secp256k1::SecretKey::from_slice(&[3; 32]).unwrap();
        let pk = sk.public_key(&secp);
        let scripts: Vec<Vec<u8>> = vec![
            [&[0x76, 0xa9, 20][..], &[7; 20], &[0x88, 0xac]].concat(),
            [&[0xa9, 20][..], &[8; 20], &[0x87]].concat(),
            [&[33][..], &pk.serialize(), &[0xac]].concat(),
            [&[65][..], &pk.serialize_uncompressed(), &[0xac]].concat(),
            [&[65][..], &[4; 65], &[0xac]].concat(),
            vec![0x00, 0x14, 1, 2],
            vec![],
        ];
        for s in scripts {
            let out = TxOut {
                value: Amount::from_sat(12_345),
                script_pubkey: ScriptBuf::from_bytes(s.clone()),
            };
            let mut v = Vec::new();
            write_txout(&mut v, &out);
            let mut r = &v[..];
            assert_eq!(read_txout(&mut r).unwrap(), out);
            assert!(r.is_empty());
        }
        assert_eq!(
            read_txout(&mut &[0x01, 0x00, 1, 2][..]),
            Err(CoinError::Truncated)
        );
    }
}
