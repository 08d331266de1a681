//! Output script descriptors as Bitcoin Core parses and prints them: the descriptor
//! grammar (`pk`, `pkh`, `wpkh`, `sh`, `wsh`, `multi`, `sortedmulti`, `multi_a`,
//! `sortedmulti_a`, `tr` with script trees, `rawtr`, `addr`, `raw`, `combo`), key
//! expressions (hex keys, WIF, xpub/xprv with origins, ranges and multipath steps),
//! checksums, expansion to scripts, and Core's exact error messages.
//!
//! Alongside: address decoding with Core's errors and Bech32 error locations
//! ([`decode_destination`]), and signed messages ([`sign_message`], [`verify_message`]).
//!
//! Miniscript fragments inside `wsh()`/`tr()` are parsed and compiled with the
//! `miniscript` crate; the messages for invalid fragments are Core's generic ones.

#![warn(missing_docs)]

mod address;
mod base58;
mod bech32;
mod checksum;
mod keyexpr;
mod keys;
mod message;
mod ms;
mod musig;
mod network;
mod node;
mod parser;
mod span;

use bitcoin::{Network, ScriptBuf};

pub use address::{decode_destination, AddressError, Destination};
pub use checksum::checksum_of;
pub use keys::{
    decode_secret, decode_xpriv, decode_xpub, encode_secret, encode_xpriv, encode_xpub, Secret,
};
pub use message::{message_hash, sign_message, verify_message, Verification};

use keyexpr::Ctx;
use node::{Form, Node};

/// A descriptor that failed to parse, with Core's message (which may be empty where
/// Core's is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptorError(pub String);

impl std::fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DescriptorError {}

/// Expansion needs a private key the descriptor lacks (a hardened step), or a
/// derivation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpandError;

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cannot derive script without private keys")
    }
}

impl std::error::Error for ExpandError {}

/// One parsed descriptor (one alternative of a multipath descriptor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    node: Node,
    network: Network,
    /// Whether the text it came from held any private key.
    parsed_private: bool,
}

impl Descriptor {
    /// The public form with checksum (`getdescriptorinfo`'s `descriptor`).
    pub fn to_string_checksummed(&self) -> String {
        let text = self
            .node
            .write(Form::Public, self.network)
            .unwrap_or_default()
            .0;
        chain_json::add_checksum(&text)
    }

    /// Core's normalized form with checksum (hardened steps as `h`, extended keys
    /// at their last hardened step); `None` when that needs a missing private key.
    pub fn to_normalized_string(&self) -> Option<String> {
        let (text, _) = self.node.write(Form::Normalized, self.network)?;
        Some(chain_json::add_checksum(&text))
    }

    /// Core's `GetOutputType`: "legacy", "p2sh-segwit", "bech32" or "bech32m", or
    /// `None` (`pk()`, bare multisig, `combo()`, non-address `raw()`...).
    pub fn output_type(&self) -> Option<&'static str> {
        self.node.output_type()
    }

    /// The form with private keys where known, with checksum, and whether any private
    /// key was printed.
    pub fn to_private_string(&self) -> (String, bool) {
        let (s, any) = self
            .node
            .write(Form::Private, self.network)
            .unwrap_or_default();
        (chain_json::add_checksum(&s), any)
    }

    /// Whether the scripts depend on a derivation index.
    pub fn is_range(&self) -> bool {
        self.node.is_range()
    }

    /// Whether the descriptor has the information to sign (not `addr()`/`raw()`).
    pub fn is_solvable(&self) -> bool {
        self.node.is_solvable()
    }

    /// The extended public keys it is written with (Core's `GetPubKeys`, extended keys
    /// only): each key at its root, before the path after it.
    pub fn root_xpubs(&self) -> Vec<bitcoin::bip32::Xpub> {
        let mut out = Vec::new();
        self.node.root_xpubs(&mut out);
        out
    }

    /// Whether it produces output scripts (Core's `HasScripts`): all but `unused()`.
    pub fn has_scripts(&self) -> bool {
        !matches!(self.node, Node::Unused(_))
    }

    /// Whether the parsed text contained at least one private key.
    pub fn has_private_keys(&self) -> bool {
        self.parsed_private
    }

    /// The output scripts at index `pos` (four or two for `combo()`, else one).
    pub fn expand(&self, pos: u32) -> Result<Vec<ScriptBuf>, ExpandError> {
        self.node.expand(pos).ok_or(ExpandError)
    }

    /// The network whose encodings the descriptor uses.
    pub fn network(&self) -> Network {
        self.network
    }
}

impl std::fmt::Display for Descriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_string_checksummed())
    }
}

/// Core's `Parse`: checks the checksum (required when `require_checksum`) and parses
/// `descriptor` with `network`'s key and address encodings. A multipath descriptor
/// gives one [`Descriptor`] per alternative.
pub fn parse(
    descriptor: &str,
    require_checksum: bool,
    network: Network,
) -> Result<Vec<Descriptor>, DescriptorError> {
    let (payload, _) = checksum::check(descriptor, require_checksum).map_err(DescriptorError)?;
    let mut rest = payload;
    let nodes = parser::parse_script(&mut rest, Ctx::Top, network).map_err(DescriptorError)?;
    if !rest.is_empty() || nodes.is_empty() {
        return Err(DescriptorError(String::new()));
    }
    let parsed_private = nodes.iter().any(Node::any_private);
    Ok(nodes
        .into_iter()
        .map(|node| Descriptor {
            node,
            network,
            parsed_private,
        })
        .collect())
}
