//! Addresses of scripts and names of output types, as Core's wallet prints them.

use bitcoin::{Network, Script};
use walletdb::records::OutputType;

/// Core's `EncodeDestination` of the script's destination, `None` for a script without
/// an address.
pub fn encode(script: &Script, network: Network) -> Option<String> {
    descriptors::Destination::from_script(script).map(|d| d.encode(network))
}

/// Core's `FormatOutputType`.
pub fn output_type_name(t: OutputType) -> &'static str {
    match t {
        OutputType::Legacy => "legacy",
        OutputType::P2shSegwit => "p2sh-segwit",
        OutputType::Bech32 => "bech32",
        OutputType::Bech32m => "bech32m",
        _ => "unknown",
    }
}

/// Core's `ParseOutputType`.
pub fn parse_output_type(s: &str) -> Option<OutputType> {
    match s {
        "legacy" => Some(OutputType::Legacy),
        "p2sh-segwit" => Some(OutputType::P2shSegwit),
        "bech32" => Some(OutputType::Bech32),
        "bech32m" => Some(OutputType::Bech32m),
        _ => None,
    }
}

/// Every output type a descriptor wallet makes descriptors for, in Core's order.
pub const OUTPUT_TYPES: [OutputType; 4] = [
    OutputType::Legacy,
    OutputType::P2shSegwit,
    OutputType::Bech32,
    OutputType::Bech32m,
];
