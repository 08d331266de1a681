//! Decoding hex transactions, blocks and headers as Core's RPCs do.

use bitcoin::block::Header;
use bitcoin::{Block, Transaction};

use crate::hex::from_hex;
use crate::ops::{has_valid_ops, MAX_SCRIPT_SIZE};
use crate::wire::Reader;

/// Whether every script of the transaction has valid ops and fits the size
/// limit (coinbase scriptSigs exempt), used to choose between readings.
fn scripts_sane(tx: &Transaction) -> bool {
    let ok = |s: &[u8]| has_valid_ops(s) && s.len() <= MAX_SCRIPT_SIZE;
    (tx.is_coinbase() || tx.input.iter().all(|i| ok(i.script_sig.as_bytes())))
        && tx.output.iter().all(|o| ok(o.script_pubkey.as_bytes()))
}

fn read_whole_tx(data: &[u8], allow_witness: bool) -> Option<Transaction> {
    let mut reader = Reader::new(data);
    let tx = reader.transaction(allow_witness)?;
    reader.is_empty().then_some(tx)
}

/// Decodes a hex transaction as Core's `DecodeHexTx`.
///
/// The bytes are read in the extended (witness) format when `try_witness`
/// and in the legacy format when `try_no_witness`; a reading counts only if
/// it uses every byte. When both succeed, the one whose scripts all look
/// sane wins, the extended one on a tie.
pub fn parse_hex_tx(hex: &str, try_no_witness: bool, try_witness: bool) -> Option<Transaction> {
    let data = from_hex(hex)?;
    let extended = if try_witness {
        read_whole_tx(&data, true)
    } else {
        None
    };
    if let Some(tx) = extended.as_ref().filter(|tx| scripts_sane(tx)) {
        return Some(tx.clone());
    }
    let legacy = if try_no_witness {
        read_whole_tx(&data, false)
    } else {
        None
    };
    if let Some(tx) = legacy.as_ref().filter(|tx| scripts_sane(tx)) {
        return Some(tx.clone());
    }
    extended.or(legacy)
}

/// Decodes a hex block as Core's `DecodeHexBlk` (transactions in the
/// extended format; trailing bytes after the block are ignored, as in Core).
pub fn decode_hex_block(hex: &str) -> Option<Block> {
    Reader::new(&from_hex(hex)?).block()
}

/// Decodes a hex block header as Core's `DecodeHexBlockHeader` (the first 80
/// bytes; trailing bytes are ignored, as in Core).
pub fn decode_hex_header(hex: &str) -> Option<Header> {
    Reader::new(&from_hex(hex)?).header()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::serialize_tx;

    #[test]
    fn empty_and_ambiguous() {
        // No inputs, no outputs: legacy format, read by the extended reader
        // as an empty input list with a zero flag byte.
        let tx = parse_hex_tx("01000000000000000000", true, true).unwrap();
        assert!(tx.input.is_empty() && tx.output.is_empty());
        assert_eq!(serialize_tx(&tx, true).len(), 10);
        assert!(parse_hex_tx("0100000000000000000000", true, true).is_none());
        assert!(parse_hex_tx("", true, true).is_none());
        assert!(parse_hex_tx("0", true, true).is_none());
        assert!(parse_hex_tx("zz", true, true).is_none());
    }

    #[test]
    fn genesis_block() {
        let hex = concat!(
            "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd",
            "7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c",
            "0101000000010000000000000000000000000000000000000000000000000000000000000000ffff",
            "ffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c",
            "6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73",
            "ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a6",
            "7962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f",
            "ac00000000"
        );
        let block = decode_hex_block(hex).unwrap();
        assert_eq!(
            block.block_hash().to_string(),
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        );
        assert_eq!(block.txdata.len(), 1);
        let header = decode_hex_header(&hex[..160]).unwrap();
        assert_eq!(header.block_hash(), block.block_hash());
        assert!(decode_hex_header(&hex[..158]).is_none());
    }
}
