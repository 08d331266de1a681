//! Addresses of output scripts, as Core's `ExtractDestination` +
//! `EncodeDestination`.

use bitcoin::address::{Address, KnownHrp};
use bitcoin::hashes::Hash;
use bitcoin::{Network, PubkeyHash, ScriptHash, WitnessProgram, WitnessVersion};

use crate::solver::ScriptKind;

/// The address Core shows for a script of this kind, if it has one. Bare
/// keys, bare multisig, data carriers and nonstandard scripts have none.
pub(crate) fn kind_address(kind: &ScriptKind<'_>, network: Network) -> Option<String> {
    let address = match kind {
        ScriptKind::PubKeyHash(hash) => Address::p2pkh(
            PubkeyHash::from_byte_array((*hash).try_into().ok()?),
            network,
        ),
        ScriptKind::ScriptHash(hash) => Address::p2sh_from_hash(
            ScriptHash::from_byte_array((*hash).try_into().ok()?),
            network,
        ),
        ScriptKind::WitnessV0KeyHash(program) | ScriptKind::WitnessV0ScriptHash(program) => {
            segwit(0, program, network)?
        }
        ScriptKind::WitnessV1Taproot(program) => segwit(1, program, network)?,
        ScriptKind::Anchor => segwit(1, &[0x4e, 0x73], network)?,
        ScriptKind::WitnessUnknown { version, program } => segwit(*version, program, network)?,
        ScriptKind::NonStandard
        | ScriptKind::PubKey(_)
        | ScriptKind::Multisig { .. }
        | ScriptKind::NullData => return None,
    };
    Some(address.to_string())
}

fn segwit(version: u8, program: &[u8], network: Network) -> Option<Address> {
    let version = WitnessVersion::try_from(version).ok()?;
    let program = WitnessProgram::new(version, program).ok()?;
    Some(Address::from_witness_program(
        program,
        KnownHrp::from(network),
    ))
}

/// Base58 P2SH address of a script hash.
pub(crate) fn p2sh_address(script: &[u8], network: Network) -> String {
    let hash = ScriptHash::hash(script);
    Address::p2sh_from_hash(hash, network).to_string()
}
