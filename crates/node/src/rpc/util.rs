//! Utility commands (Core's `rpc/output_script.cpp`, `rpc/signmessage.cpp` and
//! `getindexinfo`): addresses, descriptors, multisig scripts and signed messages.

use std::sync::Arc;

use bitcoin::{Network, ScriptBuf};
use descriptors::{Descriptor, Destination, Verification};
use rpc::codes::{
    RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_MISC_ERROR, RPC_TYPE_ERROR,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table, Value};
use serde_json::{json, Map};

use super::blockchain::param;
use super::command;
use super::values::{get_array, get_int, get_str, hex};
use crate::context::NodeContext;

/// Most keys a multisig script may list.
const MAX_PUBKEYS_PER_MULTISIG: usize = 20;
/// Largest script a P2SH redeem script may be.
const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;

/// Registers the utility commands.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "util",
        "validateaddress",
        "Return information about the given bitcoin address.\n",
        vec![Arg::required(
            "address",
            ArgType::Str,
            "The address to check",
        )],
        VALIDATEADDRESS_RESULT,
        move |req| validate_address(get_str(param(req, 0)?)?, network(&n)),
    ));
    let n = node.clone();
    table.register(command(
        "util",
        "createmultisig",
        "Creates a multi-signature address with n signatures of m keys required.\nIt returns a json object with the address and redeemScript.\n",
        vec![
            Arg::required("nrequired", ArgType::Num, "How many of the keys must sign."),
            Arg::required("keys", ArgType::Arr, "The public keys, hex-encoded.")
                .with_inner(vec![Arg::omitted("key", ArgType::StrHex, "A hex-encoded public key")]),
            Arg::optional("address_type", ArgType::Str, json!("legacy"), "Address type: \"legacy\", \"p2sh-segwit\" or \"bech32\"."),
        ],
        CREATEMULTISIG_RESULT,
        move |req| create_multisig(req, network(&n)),
    ));
    let n = node.clone();
    table.register(command(
        "util",
        "deriveaddresses",
        "Derives one or more addresses corresponding to an output descriptor.\nExamples of output descriptors are:\n    pkh(<pubkey>)                                     P2PKH outputs for the given pubkey\n    wpkh(<pubkey>)                                    Native segwit P2PKH outputs for the given pubkey\n    sh(multi(<n>,<pubkey>,<pubkey>,...))              P2SH-multisig outputs for the given threshold and pubkeys\n    raw(<hex script>)                                 Outputs whose output script equals the specified hex-encoded bytes\n    tr(<pubkey>,multi_a(<n>,<pubkey>,<pubkey>,...))   P2TR-multisig outputs for the given threshold and pubkeys\n\nIn the above, <pubkey> either refers to a fixed public key in hexadecimal notation, or to an xpub/xprv optionally followed by one\nor more path elements separated by \"/\", where \"h\" represents a hardened child key.\nFor more information on output descriptors, see the documentation in the doc/descriptors.md file.\n",
        vec![
            Arg::required("descriptor", ArgType::Str, "The descriptor."),
            Arg::omitted("range", ArgType::Range, "For a ranged descriptor: the end, or [begin,end], of the indices to derive."),
        ],
        DERIVEADDRESSES_RESULT,
        move |req| derive_addresses(req, network(&n)),
    ));
    let n = node.clone();
    table.register(command(
        "util",
        "getdescriptorinfo",
        "Analyses a descriptor.\n",
        vec![Arg::required("descriptor", ArgType::Str, "The descriptor.")],
        GETDESCRIPTORINFO_RESULT,
        move |req| descriptor_info(get_str(param(req, 0)?)?, network(&n)),
    ));
    let n = node.clone();
    table.register(command(
        "util",
        "verifymessage",
        "Verify a signed message.",
        vec![
            Arg::required("address", ArgType::Str, "The address whose key signed."),
            Arg::required(
                "signature",
                ArgType::Str,
                "The base64 signature (as signmessage returns it).",
            ),
            Arg::required("message", ArgType::Str, "The message that was signed."),
        ],
        "true|false    (boolean) Whether the signature is valid",
        move |req| {
            let result = descriptors::verify_message(
                get_str(param(req, 0)?)?,
                get_str(param(req, 1)?)?,
                get_str(param(req, 2)?)?,
                network(&n),
            );
            match result {
                Verification::InvalidAddress => {
                    Err(RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address"))
                }
                Verification::AddressNoKey => Err(RpcError::new(
                    RPC_TYPE_ERROR,
                    "Address does not refer to key",
                )),
                Verification::MalformedSignature => {
                    Err(RpcError::new(RPC_TYPE_ERROR, "Malformed base64 encoding"))
                }
                Verification::PubkeyNotRecovered | Verification::NotSigned => Ok(json!(false)),
                Verification::Ok => Ok(json!(true)),
            }
        },
    ));
    let n = node.clone();
    table.register(command(
        "util",
        "signmessagewithprivkey",
        "Sign a message with the private key of an address\n",
        vec![
            Arg::required(
                "privkey",
                ArgType::Str,
                "The private key (WIF) to sign with.",
            ),
            Arg::required("message", ArgType::Str, "The message to sign."),
        ],
        "\"str\"    (string) The base64 signature of the message",
        move |req| {
            let secret = descriptors::decode_secret(get_str(param(req, 0)?)?, network(&n))
                .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key"))?;
            Ok(json!(descriptors::sign_message(
                &secret,
                get_str(param(req, 1)?)?
            )))
        },
    ));
    let n = node.clone();
    table.register(command(
        "util",
        "getindexinfo",
        "Returns the status of one or all available indices currently running in the node.\n",
        vec![Arg::omitted(
            "index_name",
            ArgType::Str,
            "Only report on this index.",
        )],
        GETINDEXINFO_RESULT,
        move |req| {
            let name = match req.param(0).filter(|v| !v.is_null()) {
                Some(v) => get_str(v)?,
                None => "",
            };
            let mut out = Map::new();
            if let Some(ix) = n.txindex.get() {
                let s = ix.summary();
                if name.is_empty() || name == s.name {
                    out.insert(
                        s.name.into(),
                        json!({"synced": s.synced, "best_block_height": s.best_block_height}),
                    );
                }
            }
            Ok(Value::Object(out))
        },
    ));
}

fn network(n: &NodeContext) -> Network {
    n.chainstate().params().network
}

fn validate_address(address: &str, network: Network) -> RpcResult {
    let mut out = Map::new();
    match descriptors::decode_destination(address, network) {
        Ok(dest) => {
            out.insert("isvalid".into(), json!(true));
            out.insert("address".into(), json!(dest.encode(network)));
            out.insert(
                "scriptPubKey".into(),
                json!(hex(dest.script_pubkey().as_bytes())),
            );
            describe(&dest, &mut out);
        }
        Err(e) => {
            out.insert("isvalid".into(), json!(false));
            out.insert("error_locations".into(), json!(e.locations));
            out.insert("error".into(), json!(e.message));
        }
    }
    Ok(Value::Object(out))
}

/// Core's `DescribeAddress`.
fn describe(dest: &Destination, out: &mut Map<String, Value>) {
    if let Some(is_script) = dest.is_script() {
        out.insert("isscript".into(), json!(is_script));
    }
    out.insert("iswitness".into(), json!(dest.is_witness()));
    if let Some((version, program)) = dest.witness() {
        out.insert("witness_version".into(), json!(version));
        out.insert("witness_program".into(), json!(hex(&program)));
    }
}

fn parse_error(e: descriptors::DescriptorError) -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, e.0)
}

fn descriptor_info(text: &str, network: Network) -> RpcResult {
    let descs = descriptors::parse(text, false, network).map_err(parse_error)?;
    let first = descs
        .first()
        .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, ""))?;
    let mut out = Map::new();
    out.insert("descriptor".into(), json!(first.to_string_checksummed()));
    if descs.len() > 1 {
        let all: Vec<String> = descs
            .iter()
            .map(Descriptor::to_string_checksummed)
            .collect();
        out.insert("multipath_expansion".into(), json!(all));
    }
    out.insert("checksum".into(), json!(descriptors::checksum_of(text)));
    out.insert("isrange".into(), json!(first.is_range()));
    out.insert("issolvable".into(), json!(first.is_solvable()));
    out.insert("hasprivatekeys".into(), json!(first.has_private_keys()));
    Ok(Value::Object(out))
}

fn derive_addresses(req: &Request, network: Network) -> RpcResult {
    let text = get_str(param(req, 0)?)?;
    let range = req
        .param(1)
        .map(super::scan::parse_descriptor_range)
        .transpose()?;
    let descs = descriptors::parse(text, true, network).map_err(parse_error)?;
    let first = descs
        .first()
        .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, ""))?;
    if !first.is_range() && range.is_some() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Range should not be specified for an un-ranged descriptor",
        ));
    }
    if first.is_range() && range.is_none() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Range must be specified for a ranged descriptor",
        ));
    }
    let (begin, end) = range.unwrap_or((0, 0));
    if descs.len() == 1 {
        return derive(first, begin, end, network);
    }
    let all = descs
        .iter()
        .map(|d| derive(d, begin, end, network))
        .collect::<Result<Vec<Value>, RpcError>>()?;
    Ok(Value::Array(all))
}

fn derive(desc: &Descriptor, begin: i64, end: i64, network: Network) -> RpcResult {
    let mut addresses = Vec::new();
    for i in begin..=end {
        let pos = u32::try_from(i).unwrap_or(u32::MAX);
        let scripts = desc.expand(pos).map_err(|_| {
            RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                "Cannot derive script without private keys",
            )
        })?;
        let several = scripts.len() > 1;
        for script in &scripts {
            match Destination::from_script(script) {
                Some(dest) => addresses.push(json!(dest.encode(network))),
                // combo() includes a bare P2PK script, which has no address.
                None if several && is_p2pk(script) => {}
                None => {
                    return Err(RpcError::new(
                        RPC_INVALID_ADDRESS_OR_KEY,
                        "Descriptor does not have a corresponding address",
                    ))
                }
            }
        }
    }
    if addresses.is_empty() {
        return Err(RpcError::new(RPC_MISC_ERROR, "Unexpected empty result"));
    }
    Ok(Value::Array(addresses))
}

fn is_p2pk(script: &ScriptBuf) -> bool {
    matches!(
        chain_json::classify(script.as_bytes()),
        chain_json::ScriptKind::PubKey(_)
    )
}

/// Core's `HexToPubKey`: the key's bytes as given, once checked.
fn hex_to_pubkey(text: &str) -> Result<Vec<u8>, RpcError> {
    let bytes = super::values::decode_hex(text).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            format!("Pubkey \"{text}\" must be a hex string"),
        )
    })?;
    if bytes.len() != 33 && bytes.len() != 65 {
        return Err(RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            format!("Pubkey \"{text}\" must have a length of either 33 or 65 bytes"),
        ));
    }
    let expected = match bytes[0] {
        2 | 3 => 33,
        4 | 6 | 7 => 65,
        _ => 0,
    };
    if expected != bytes.len() || bitcoin::secp256k1::PublicKey::from_slice(&bytes).is_err() {
        return Err(RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            format!("Pubkey \"{text}\" must be cryptographically valid."),
        ));
    }
    Ok(bytes)
}

fn create_multisig(req: &Request, network: Network) -> RpcResult {
    let required: i32 = get_int(param(req, 0)?)?;
    let mut raw = Vec::new();
    for v in get_array(param(req, 1)?)? {
        raw.push(hex_to_pubkey(get_str(v)?)?);
    }
    let address_type = match req.param(2) {
        Some(v) => get_str(v)?,
        None => "legacy",
    };
    let mut kind = match address_type {
        "legacy" => MultisigType::Legacy,
        "p2sh-segwit" => MultisigType::P2shSegwit,
        "bech32" => MultisigType::Bech32,
        "bech32m" => {
            return Err(RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                "createmultisig cannot create bech32m multisig addresses",
            ))
        }
        other => {
            return Err(RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                format!("Unknown address type '{other}'"),
            ))
        }
    };
    let requested = kind;
    if required < 1 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "a multisignature address must require at least one key to redeem",
        ));
    }
    if raw.len() < required as usize {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!(
                "not enough keys supplied (got {} keys, but need at least {required} to redeem)",
                raw.len()
            ),
        ));
    }
    if raw.len() > MAX_PUBKEYS_PER_MULTISIG {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!(
                "Number of keys involved in the multisignature address creation > {MAX_PUBKEYS_PER_MULTISIG}\nReduce the number"
            ),
        ));
    }
    let script = multisig_from_raw(required as u32, &raw);
    if raw.iter().any(|k| k.len() != 33) {
        kind = MultisigType::Legacy;
    }
    if kind == MultisigType::Legacy && script.len() > MAX_SCRIPT_ELEMENT_SIZE {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!(
                "redeemScript exceeds size limit: {} > {MAX_SCRIPT_ELEMENT_SIZE}",
                script.len()
            ),
        ));
    }
    let dest_script = match kind {
        MultisigType::Legacy => ScriptBuf::new_p2sh(&script.script_hash()),
        MultisigType::P2shSegwit => {
            ScriptBuf::new_p2sh(&ScriptBuf::new_p2wsh(&script.wscript_hash()).script_hash())
        }
        MultisigType::Bech32 => ScriptBuf::new_p2wsh(&script.wscript_hash()),
    };
    let address = Destination::from_script(&dest_script)
        .map(|d| d.encode(network))
        .unwrap_or_default();
    // The descriptor Core infers: hybrid keys cannot appear in one, leaving addr().
    let descriptor = if raw.iter().any(|k| matches!(k.first(), Some(6 | 7))) {
        format!("addr({address})")
    } else {
        let inner = format!(
            "multi({required},{})",
            raw.iter().map(|k| hex(k)).collect::<Vec<_>>().join(",")
        );
        match kind {
            MultisigType::Legacy => format!("sh({inner})"),
            MultisigType::P2shSegwit => format!("sh(wsh({inner}))"),
            MultisigType::Bech32 => format!("wsh({inner})"),
        }
    };
    let mut out = Map::new();
    out.insert("address".into(), json!(address));
    out.insert("redeemScript".into(), json!(hex(script.as_bytes())));
    out.insert(
        "descriptor".into(),
        json!(chain_json::add_checksum(&descriptor)),
    );
    // The inferred descriptor's type differs from the request only when uncompressed
    // keys forced a legacy address (addr() of a P2SH address counts as legacy too).
    if kind != requested {
        out.insert(
            "warnings".into(),
            json!(["Unable to make chosen address type, please ensure no uncompressed public keys are present."]),
        );
    }
    Ok(Value::Object(out))
}

/// The output type `createmultisig` was asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MultisigType {
    Legacy,
    P2shSegwit,
    Bech32,
}

/// `m <keys> n OP_CHECKMULTISIG` with the keys exactly as given.
fn multisig_from_raw(required: u32, keys: &[Vec<u8>]) -> ScriptBuf {
    use bitcoin::opcodes::all::OP_CHECKMULTISIG;
    use bitcoin::script::{Builder, PushBytesBuf};
    let mut b = Builder::new().push_int(i64::from(required));
    for k in keys {
        b = b.push_slice(PushBytesBuf::try_from(k.clone()).unwrap_or_default());
    }
    b.push_int(keys.len() as i64)
        .push_opcode(OP_CHECKMULTISIG)
        .into_script()
}

const VALIDATEADDRESS_RESULT: &str = "{                               (json object)\n  \"isvalid\" : true|false,        (boolean) Whether the address is valid\n  \"address\" : \"str\",             (string, optional) The address, re-encoded\n  \"scriptPubKey\" : \"hex\",        (string, optional) The output script the address stands for, hex\n  \"isscript\" : true|false,       (boolean, optional) Whether it pays to a script\n  \"iswitness\" : true|false,      (boolean, optional) Whether it is a witness address\n  \"witness_version\" : n,         (numeric, optional) Witness version\n  \"witness_program\" : \"hex\",     (string, optional) Witness program, hex\n  \"error\" : \"str\",               (string, optional) Why the address is invalid\n  \"error_locations\" : [          (json array, optional) Positions of likely mistakes (Bech32)\n    n,                           (numeric) A position in the address\n    ...\n  ]\n}";

const CREATEMULTISIG_RESULT: &str = "{                            (json object)\n  \"address\" : \"str\",          (string) The multisig address\n  \"redeemScript\" : \"hex\",     (string) The multisig script, hex\n  \"descriptor\" : \"str\",       (string) A descriptor of the address\n  \"warnings\" : [              (json array, optional) Warnings about the result\n    \"str\",                    (string)\n    ...\n  ]\n}";

const DERIVEADDRESSES_RESULT: &str = "Result (for single derivation descriptors):\n[           (json array)\n  \"str\",    (string) a derived address\n  ...\n]\n\nResult (for multipath descriptors):\n[           (json array) One list per multipath alternative, in order\n  [         (json array) The addresses of one alternative\n    \"str\",  (string) a derived address\n    ...\n  ],\n  ...\n]";

const GETDESCRIPTORINFO_RESULT: &str = "{                                   (json object)\n  \"descriptor\" : \"str\",             (string) The canonical public form (the first alternative of a multipath descriptor)\n  \"multipath_expansion\" : [         (json array, optional) Every alternative of a multipath descriptor\n    \"str\",                           (string)\n    ...\n  ],\n  \"checksum\" : \"str\",               (string) Checksum of the given descriptor\n  \"isrange\" : true|false,           (boolean) Whether it is ranged\n  \"issolvable\" : true|false,        (boolean) Whether it is solvable\n  \"hasprivatekeys\" : true|false     (boolean) Whether the input held at least one private key\n}";

const GETINDEXINFO_RESULT: &str = "{                               (json object)\n  \"name\" : {                    (json object) Name of an index\n    \"synced\" : true|false,      (boolean) Whether it has caught up with the chain\n    \"best_block_height\" : n     (numeric) Height of the last block it covers\n  },\n  ...\n}";
