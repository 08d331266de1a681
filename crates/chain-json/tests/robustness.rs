//! Arbitrary bytes never make the decoders or printers panic, and every
//! transaction that decodes serializes back to the same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::{Amount, Network, Script, ScriptBuf, TxOut};
use chain_json::{
    bytes_to_asm, classify, decode_hex_block, decode_hex_header, decode_script_json,
    infer_descriptor, parse_hex_tx, script_to_json, serialize_tx, to_hex, tx_to_json, SpentCoin,
    TxVerbosity,
};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Bytes biased towards opcodes and lengths that matter to scripts.
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len)
            .map(|_| match self.below(4) {
                0 => [
                    0x00, 0x01, 0x02, 0x14, 0x20, 0x21, 0x41, 0x4c, 0x4d, 0x4e, 0x51, 0x60, 0x6a,
                    0xa9, 0x87, 0xac, 0xae, 0xff,
                ][self.below(18)],
                _ => self.next() as u8,
            })
            .collect()
    }
}

const NETWORKS: [Network; 4] = [
    Network::Bitcoin,
    Network::Testnet,
    Network::Signet,
    Network::Regtest,
];

fn exercise_script(bytes: &[u8], network: Network) {
    let script = Script::from_bytes(bytes);
    let _ = bytes_to_asm(bytes, true);
    let _ = bytes_to_asm(bytes, false);
    let _ = classify(bytes).name();
    let desc = infer_descriptor(script, network);
    assert!(desc.contains('#'));
    let _ = script_to_json(script, true, true, network);
    let _ = decode_script_json(script, network);
}

#[test]
fn random_scripts() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for i in 0..10_000 {
        let bytes = rng.bytes(120);
        exercise_script(&bytes, NETWORKS[i % NETWORKS.len()]);
    }
}

fn exercise_tx_hex(hex: &str, rng: &mut Rng) {
    for (no_witness, witness) in [(true, true), (true, false), (false, true), (false, false)] {
        let Some(tx) = parse_hex_tx(hex, no_witness, witness) else {
            continue;
        };
        assert_eq!(to_hex(&serialize_tx(&tx, true)), hex.to_ascii_lowercase());
        let undo: Vec<SpentCoin> = (0..tx.input.len())
            .map(|_| SpentCoin {
                output: TxOut {
                    value: Amount::from_sat(rng.next()),
                    script_pubkey: ScriptBuf::from_bytes(rng.bytes(40)),
                },
                height: rng.next() as u32,
                coinbase: rng.below(2) == 1,
            })
            .collect();
        let _ = tx_to_json(
            &tx,
            None,
            true,
            Some(&undo),
            TxVerbosity::ShowDetailsAndPrevout,
            Network::Bitcoin,
        );
        let _ = tx_to_json(
            &tx,
            None,
            true,
            None,
            TxVerbosity::ShowDetails,
            Network::Regtest,
        );
    }
    let _ = decode_hex_block(hex);
    let _ = decode_hex_header(hex);
}

#[test]
fn random_and_mutated_transactions() {
    let seeds = [
        "0100000000010100010000000000000000000000000000000000000000000000000000000000000000000000ffffffff01e8030000000000001976a9144c9c3dfac4207d5d8cb89df5722cb3d712385e3f88ac02483045022100cfb07164b36ba64c1b1e8c7720a56ad64d96f6ef332d3d37f9cb3c96477dc44502200a464cd7a9cf94cd70f66ce4f4f0625ef650052c7afcfe29d7d7e01830ff91ed012103596d3451025c19dbbdeb932d6bf8bfb4ad499b95b6f88db8899efac102e5fc7100000000",
        "01000000000100e1f5050000000069522102a5613bd857b7048924264d1e70e08fb2a7e6527d32b7ab1bb993ac59964ff39721021ac43c7ff740014c3b33737ede99c967e4764553d1b2b83db77c83b8715fa72d2102df2089105c77f266fa11a9d33f05c735234075f2e8780824c6b709415f9fb48553ae00000000",
        "01000000000000000000",
    ];
    let mut rng = Rng(0x0bad_cafe_f00d_d00d);
    for seed in seeds {
        let bytes = chain_json::from_hex(seed).unwrap();
        exercise_tx_hex(seed, &mut rng);
        for _ in 0..1_500 {
            let mut m = bytes.clone();
            for _ in 0..=rng.below(4) {
                match rng.below(3) {
                    0 if !m.is_empty() => {
                        let i = rng.below(m.len());
                        m[i] = rng.next() as u8;
                    }
                    1 if !m.is_empty() => {
                        let i = rng.below(m.len());
                        m.truncate(i.max(1));
                    }
                    _ => {
                        let i = rng.below(m.len() + 1);
                        m.insert(i, rng.next() as u8);
                    }
                }
            }
            exercise_tx_hex(&to_hex(&m), &mut rng);
        }
    }
    for _ in 0..5_000 {
        let bytes = rng.bytes(200);
        if !bytes.is_empty() {
            exercise_tx_hex(&to_hex(&bytes), &mut rng);
        }
    }
}

#[test]
fn huge_announced_lengths_fail_cleanly() {
    // Counts that announce far more items or bytes than present.
    for hex in [
        "01000000fdffff",
        "01000000feffffff01",
        "01000000ffffffffffffffffff",
        "0100000001000000000000000000000000000000000000000000000000000000000000000000000000fe00000002",
        "0100000000 01 fe00000002".replace(' ', "").as_str(),
    ] {
        assert!(parse_hex_tx(hex, true, true).is_none(), "{hex}");
    }
    assert!(decode_hex_block(&format!("{}ffffffffffffffffff", "00".repeat(80))).is_none());
}
