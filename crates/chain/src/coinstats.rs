//! UTXO-set digests as `gettxoutsetinfo` reports them: `hash_serialized_3` and `muhash`.

use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::OutPoint;

use crate::muhash::MuHash3072;
use crate::Coin;

/// A coin as both UTXO-set digests serialize it (`TxOutSer`): outpoint,
/// `height * 2 + coinbase` as 4 bytes, output.
fn serialize_coin(outpoint: &OutPoint, coin: &Coin, out: &mut Vec<u8>) {
    out.extend_from_slice(&bitcoin::consensus::serialize(outpoint));
    out.extend_from_slice(&((coin.height << 1) | u32::from(coin.is_coinbase)).to_le_bytes());
    out.extend_from_slice(&bitcoin::consensus::serialize(&coin.output));
}

/// The `muhash` of `gettxoutsetinfo`: MuHash3072 over every coin, in any order. Bytes in
/// hash order; Core prints them reversed, as [`display_uint256`] does.
pub fn muhash<'a>(coins: impl IntoIterator<Item = (&'a OutPoint, &'a Coin)>) -> [u8; 32] {
    let mut acc = MuHash3072::new();
    let mut buf = Vec::with_capacity(64);
    for (outpoint, coin) in coins {
        buf.clear();
        serialize_coin(outpoint, coin, &mut buf);
        acc.insert(&buf);
    }
    acc.finalize()
}

/// A 256-bit value as Core's `uint256::ToString` prints it: bytes reversed, in hex.
pub fn display_uint256(bytes: &[u8; 32]) -> String {
    bytes.iter().rev().map(|b| format!("{b:02x}")).collect()
}

/// Core's `hash_serialized_3`: every coin in outpoint order (txid bytes, then index),
/// written as outpoint, `height * 2 + coinbase` (4 bytes) and output, double-SHA256ed.
/// Displays as Core prints it.
pub fn hash_serialized_3<'a>(
    coins: impl IntoIterator<Item = (&'a OutPoint, &'a Coin)>,
) -> sha256d::Hash {
    let mut sorted: Vec<(&OutPoint, &Coin)> = coins.into_iter().collect();
    sorted.sort_unstable_by(|(a, _), (b, _)| {
        a.txid
            .as_byte_array()
            .cmp(b.txid.as_byte_array())
            .then(a.vout.cmp(&b.vout))
    });
    let mut engine = sha256d::Hash::engine();
    let mut buf = Vec::with_capacity(64);
    for (outpoint, coin) in sorted {
        buf.clear();
        serialize_coin(outpoint, coin, &mut buf);
        engine.input(&buf);
    }
    sha256d::Hash::from_engine(engine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf, TxOut, Txid};

    #[test]
    fn empty_set_and_order_independence() {
        // The empty set hashes nothing: sha256d of no bytes, shown reversed.
        let empty: Vec<(&OutPoint, &Coin)> = Vec::new();
        assert_eq!(
            hash_serialized_3(empty).to_string(),
            "56944c5d3f98413ef45cf54545538103cc9f298e0575820ad3591376e2e0f65d"
        );
        let coin = |v| Coin {
            output: TxOut {
                value: Amount::from_sat(v),
                script_pubkey: ScriptBuf::new(),
            },
            height: 3,
            is_coinbase: true,
        };
        let a = OutPoint::new(Txid::from_byte_array([1; 32]), 0);
        let b = OutPoint::new(Txid::from_byte_array([1; 32]), 1);
        let (ca, cb) = (coin(5), coin(6));
        assert_eq!(
            hash_serialized_3([(&a, &ca), (&b, &cb)]),
            hash_serialized_3([(&b, &cb), (&a, &ca)])
        );
        assert_ne!(
            hash_serialized_3([(&a, &ca), (&b, &cb)]),
            hash_serialized_3([(&a, &cb), (&b, &ca)])
        );
    }
}
