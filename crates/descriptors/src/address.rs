//! Destinations (Core's `CTxDestination`): decoding address strings with Core's error
//! messages and error locations, encoding them back, and their output scripts.

use bitcoin::opcodes::all::{OP_CHECKSIG, OP_DUP, OP_EQUAL, OP_EQUALVERIFY, OP_HASH160};
use bitcoin::script::Builder;
use bitcoin::{Network, Script, ScriptBuf};
use chain_json::{classify, ScriptKind};

use crate::base58;
use crate::bech32::{self, Encoding};
use crate::network::params;

/// Longest witness program an address may carry.
const MAX_WITNESS_PROGRAM: usize = 40;

/// Where an output pays to, as far as an address can say it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// P2PKH: the hash160 of a public key.
    PubKeyHash([u8; 20]),
    /// P2SH: the hash160 of a redeem script.
    ScriptHash([u8; 20]),
    /// P2WPKH program.
    WitnessV0KeyHash([u8; 20]),
    /// P2WSH program.
    WitnessV0ScriptHash([u8; 32]),
    /// P2TR output key.
    WitnessV1Taproot([u8; 32]),
    /// Pay-to-anchor (`OP_1 <0x4e73>`).
    Anchor,
    /// Another witness version or program size.
    WitnessUnknown {
        /// Witness version, 1 to 16.
        version: u8,
        /// The program, 2 to 40 bytes.
        program: Vec<u8>,
    },
}

/// An address that failed to decode: Core's message and any likely error positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressError {
    /// Core's explanation.
    pub message: String,
    /// Indices into the address of characters that are probably wrong.
    pub locations: Vec<usize>,
}

fn fail(message: impl Into<String>) -> AddressError {
    AddressError {
        message: message.into(),
        locations: Vec::new(),
    }
}

impl Destination {
    /// The output script paying to this destination.
    pub fn script_pubkey(&self) -> ScriptBuf {
        match self {
            Destination::PubKeyHash(h) => Builder::new()
                .push_opcode(OP_DUP)
                .push_opcode(OP_HASH160)
                .push_slice(h)
                .push_opcode(OP_EQUALVERIFY)
                .push_opcode(OP_CHECKSIG)
                .into_script(),
            Destination::ScriptHash(h) => Builder::new()
                .push_opcode(OP_HASH160)
                .push_slice(h)
                .push_opcode(OP_EQUAL)
                .into_script(),
            Destination::WitnessV0KeyHash(p) => witness_script(0, p),
            Destination::WitnessV0ScriptHash(p) => witness_script(0, p),
            Destination::WitnessV1Taproot(p) => witness_script(1, p),
            Destination::Anchor => witness_script(1, &[0x4e, 0x73]),
            Destination::WitnessUnknown { version, program } => witness_script(*version, program),
        }
    }

    /// The address text on `network` (empty for a witness destination Core would not
    /// encode).
    pub fn encode(&self, network: Network) -> String {
        let p = params(network);
        let base58 = |prefix: u8, h: &[u8; 20]| {
            let mut data = vec![prefix];
            data.extend_from_slice(h);
            base58::encode_check(&data)
        };
        match self {
            Destination::PubKeyHash(h) => base58(p.pubkey_prefix, h),
            Destination::ScriptHash(h) => base58(p.script_prefix, h),
            Destination::WitnessV0KeyHash(prog) => segwit(p.hrp, 0, prog),
            Destination::WitnessV0ScriptHash(prog) => segwit(p.hrp, 0, prog),
            Destination::WitnessV1Taproot(prog) => segwit(p.hrp, 1, prog),
            Destination::Anchor => segwit(p.hrp, 1, &[0x4e, 0x73]),
            Destination::WitnessUnknown { version, program } => {
                if !(1..=16).contains(version)
                    || !(2..=MAX_WITNESS_PROGRAM).contains(&program.len())
                {
                    return String::new();
                }
                segwit(p.hrp, *version, program)
            }
        }
    }

    /// Core's `ExtractDestination` for scripts that have an address.
    pub fn from_script(script: &Script) -> Option<Destination> {
        let arr20 = |b: &[u8]| <[u8; 20]>::try_from(b).ok();
        let arr32 = |b: &[u8]| <[u8; 32]>::try_from(b).ok();
        Some(match classify(script.as_bytes()) {
            ScriptKind::PubKeyHash(h) => Destination::PubKeyHash(arr20(h)?),
            ScriptKind::ScriptHash(h) => Destination::ScriptHash(arr20(h)?),
            ScriptKind::WitnessV0KeyHash(h) => Destination::WitnessV0KeyHash(arr20(h)?),
            ScriptKind::WitnessV0ScriptHash(h) => Destination::WitnessV0ScriptHash(arr32(h)?),
            ScriptKind::WitnessV1Taproot(h) => Destination::WitnessV1Taproot(arr32(h)?),
            ScriptKind::Anchor => Destination::Anchor,
            ScriptKind::WitnessUnknown { version, program } => Destination::WitnessUnknown {
                version,
                program: program.to_vec(),
            },
            _ => return None,
        })
    }

    /// Whether this is a script (not key) destination, as `validateaddress` reports it;
    /// `None` for unknown witness programs, where Core leaves the field out.
    pub fn is_script(&self) -> Option<bool> {
        match self {
            Destination::PubKeyHash(_) | Destination::WitnessV0KeyHash(_) => Some(false),
            Destination::WitnessUnknown { .. } => None,
            _ => Some(true),
        }
    }

    /// Witness version and program, for witness destinations other than the anchor.
    pub fn witness(&self) -> Option<(u8, Vec<u8>)> {
        match self {
            Destination::WitnessV0KeyHash(p) => Some((0, p.to_vec())),
            Destination::WitnessV0ScriptHash(p) => Some((0, p.to_vec())),
            Destination::WitnessV1Taproot(p) => Some((1, p.to_vec())),
            Destination::WitnessUnknown { version, program } => Some((*version, program.clone())),
            _ => None,
        }
    }

    /// Whether this is any witness destination.
    pub fn is_witness(&self) -> bool {
        !matches!(
            self,
            Destination::PubKeyHash(_) | Destination::ScriptHash(_)
        )
    }
}

fn witness_script(version: u8, program: &[u8]) -> ScriptBuf {
    let op = if version == 0 { 0 } else { 0x50 + version };
    let mut bytes = vec![op, program.len() as u8];
    bytes.extend_from_slice(program);
    ScriptBuf::from_bytes(bytes)
}

fn segwit(hrp: &str, version: u8, program: &[u8]) -> String {
    let mut data = vec![version];
    data.extend(bech32::convert_bits(program, 8, 5, true).unwrap_or_default());
    let encoding = if version == 0 {
        Encoding::Bech32
    } else {
        Encoding::Bech32m
    };
    bech32::encode(encoding, hrp, &data)
}

/// Core's `DecodeDestination` on `network`, with its error messages.
pub fn decode_destination(s: &str, network: Network) -> Result<Destination, AddressError> {
    let p = params(network);
    let is_bech32 = s.len() >= p.hrp.len()
        && s.as_bytes()[..p.hrp.len()].to_ascii_lowercase() == p.hrp.as_bytes();
    if !is_bech32 {
        return decode_base58(s, p.pubkey_prefix, p.script_prefix);
    }
    match bech32::decode(s) {
        Some(dec) => decode_segwit(dec, p.hrp),
        None => {
            let (message, locations) = bech32::locate_errors(s);
            Err(AddressError { message, locations })
        }
    }
}

fn decode_base58(s: &str, pkh: u8, sh: u8) -> Result<Destination, AddressError> {
    let Some(data) = base58::decode_check(s, 21) else {
        return Err(fail(if base58::decode(s, 100).is_some() {
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
        } else {
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        }));
    };
    if let Ok(hash) = <[u8; 20]>::try_from(data.get(1..).unwrap_or_default()) {
        if data[0] == pkh {
            return Ok(Destination::PubKeyHash(hash));
        }
        if data[0] == sh {
            return Ok(Destination::ScriptHash(hash));
        }
    }
    match data.first() {
        Some(&b) if b == pkh || b == sh => {
            Err(fail("Invalid length for Base58 address (P2PKH or P2SH)"))
        }
        _ => Err(fail("Invalid or unsupported Base58-encoded address.")),
    }
}

fn decode_segwit(dec: bech32::Decoded, hrp: &str) -> Result<Destination, AddressError> {
    let Some(&version) = dec.data.first() else {
        return Err(fail("Empty Bech32 data section"));
    };
    if dec.hrp != hrp {
        return Err(fail(format!(
            "Invalid or unsupported prefix for Segwit (Bech32) address (expected {hrp}, got {}).",
            dec.hrp
        )));
    }
    if version == 0 && dec.encoding != Encoding::Bech32 {
        return Err(fail("Version 0 witness address must use Bech32 checksum"));
    }
    if version != 0 && dec.encoding != Encoding::Bech32m {
        return Err(fail("Version 1+ witness address must use Bech32m checksum"));
    }
    let Some(program) = bech32::convert_bits(&dec.data[1..], 5, 8, false) else {
        return Err(fail("Invalid padding in Bech32 data section"));
    };
    let unit = if program.len() == 1 { "byte" } else { "bytes" };
    if version == 0 {
        if let Ok(h) = <[u8; 20]>::try_from(program.as_slice()) {
            return Ok(Destination::WitnessV0KeyHash(h));
        }
        if let Ok(h) = <[u8; 32]>::try_from(program.as_slice()) {
            return Ok(Destination::WitnessV0ScriptHash(h));
        }
        return Err(fail(format!(
            "Invalid Bech32 v0 address program size ({} {unit}), per BIP141",
            program.len()
        )));
    }
    if version == 1 {
        if let Ok(h) = <[u8; 32]>::try_from(program.as_slice()) {
            return Ok(Destination::WitnessV1Taproot(h));
        }
        if program == [0x4e, 0x73] {
            return Ok(Destination::Anchor);
        }
    }
    if version > 16 {
        return Err(fail("Invalid Bech32 address witness version"));
    }
    if program.len() < 2 || program.len() > MAX_WITNESS_PROGRAM {
        return Err(fail(format!(
            "Invalid Bech32 address program size ({} {unit})",
            program.len()
        )));
    }
    Ok(Destination::WitnessUnknown { version, program })
}
