//! The per-network encoding constants Core's chain parameters carry.

use bitcoin::Network;

/// Prefixes and human-readable parts of one network's encodings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    /// Base58 version byte of P2PKH addresses.
    pub pubkey_prefix: u8,
    /// Base58 version byte of P2SH addresses.
    pub script_prefix: u8,
    /// Base58 version byte of WIF private keys.
    pub secret_prefix: u8,
    /// Version bytes of extended public keys.
    pub ext_pub: [u8; 4],
    /// Version bytes of extended private keys.
    pub ext_priv: [u8; 4],
    /// Bech32 human-readable part.
    pub hrp: &'static str,
}

/// The constants of `network`.
pub(crate) fn params(network: Network) -> Params {
    let main = matches!(network, Network::Bitcoin);
    let hrp = match network {
        Network::Bitcoin => "bc",
        Network::Regtest => "bcrt",
        _ => "tb",
    };
    if main {
        Params {
            pubkey_prefix: 0,
            script_prefix: 5,
            secret_prefix: 128,
            ext_pub: [0x04, 0x88, 0xB2, 0x1E],
            ext_priv: [0x04, 0x88, 0xAD, 0xE4],
            hrp,
        }
    } else {
        Params {
            pubkey_prefix: 111,
            script_prefix: 196,
            secret_prefix: 239,
            ext_pub: [0x04, 0x35, 0x87, 0xCF],
            ext_priv: [0x04, 0x35, 0x83, 0x94],
            hrp,
        }
    }
}
