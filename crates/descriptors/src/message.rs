//! Signed messages (Core's `common/signmessage`): compact recoverable signatures over
//! the double-SHA256 of the magic prefix and the message.

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::Message;
use bitcoin::{Network, PubkeyHash};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};

use crate::address::{decode_destination, Destination};
use crate::keys::{secp, Secret};

/// Outcome of verifying a message, as Core distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// The address does not decode.
    InvalidAddress,
    /// The address is not P2PKH.
    AddressNoKey,
    /// The signature is not base64.
    MalformedSignature,
    /// No public key could be recovered.
    PubkeyNotRecovered,
    /// A key was recovered but it is not the address's.
    NotSigned,
    /// The signature is good.
    Ok,
}

/// Core's `MessageHash`: the double SHA-256 of the magic prefix and the message.
pub fn message_hash(message: &str) -> [u8; 32] {
    bitcoin::sign_message::signed_msg_hash(message).to_byte_array()
}

/// Core's `MessageSign`: the base64 compact signature.
pub fn sign_message(secret: &Secret, message: &str) -> String {
    let msg = Message::from_digest(message_hash(message));
    let sig = secp().sign_ecdsa_recoverable(&msg, &secret.key);
    let (recid, data) = sig.serialize_compact();
    let header = 27 + recid.to_i32() as u8 + if secret.compressed { 4 } else { 0 };
    let mut out = vec![header];
    out.extend_from_slice(&data);
    common::strutil::encode_base64(&out)
}

/// Core's `MessageVerify` on `network`.
pub fn verify_message(
    address: &str,
    signature: &str,
    message: &str,
    network: Network,
) -> Verification {
    let Ok(dest) = decode_destination(address, network) else {
        return Verification::InvalidAddress;
    };
    let Destination::PubKeyHash(hash) = dest else {
        return Verification::AddressNoKey;
    };
    let Some(sig) = common::strutil::decode_base64(signature.as_bytes()) else {
        return Verification::MalformedSignature;
    };
    if sig.len() != 65 {
        return Verification::PubkeyNotRecovered;
    }
    let header = i32::from(sig[0]) - 27;
    let recid = header & 3;
    let compressed = header & 4 != 0;
    let recovered = RecoveryId::from_i32(recid)
        .and_then(|id| RecoverableSignature::from_compact(&sig[1..], id))
        .and_then(|s| secp().recover_ecdsa(&Message::from_digest(message_hash(message)), &s));
    let Ok(key) = recovered else {
        return Verification::PubkeyNotRecovered;
    };
    let key = bitcoin::PublicKey {
        compressed,
        inner: key,
    };
    if PubkeyHash::hash(&key.to_bytes()).to_byte_array() != hash {
        return Verification::NotSigned;
    }
    Verification::Ok
}
