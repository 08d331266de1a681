//! The HD key commands (Core's `gethdkeys`, `addhdkey`, `derivehdkey` and
//! `createwalletdescriptor` in `wallet/rpc/wallet.cpp`).

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::secp256k1::Secp256k1;
use rpc::codes::{RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR};
use rpc::request::{value_bool, value_str};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::util::{ensure_unlocked, wallet_error, wallet_for};
use crate::address::parse_output_type;
use crate::context::WalletContext;
use crate::hdkeys::{derive_ext_key, format_hd_keypath, parse_hd_keypath, HdKeyFilter, XpubOrder};
use crate::import::NewDescriptor;
use crate::state::{flags, WalletState};
use crate::WalletError;

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "gethdkeys",
        "Lists the BIP 32 HD keys the wallet's descriptors are written with, and those descriptors.\n",
        vec![Arg::omitted("options", ArgType::ObjNamedParams, "")
            .with_inner(vec![
                Arg::optional("active_only", ArgType::Bool, json!(false), "Only the keys of active descriptors"),
                Arg::optional("private", ArgType::Bool, json!(false), "Include the private keys"),
            ])
            .oneline("options")],
        "[                              (json array)\n  {                            (json object)\n    \"xpub\" : \"str\",            (string) the extended public key\n    \"has_private\" : true|false, (boolean) whether the wallet holds its private key\n    \"xprv\" : \"str\",            (string, optional) the extended private key, with \"private\"\n    \"descriptors\" : [           (json array) the descriptors written with it\n      {                        (json object)\n        \"desc\" : \"str\",        (string) the public descriptor\n        \"active\" : true|false  (boolean) whether it hands out new addresses\n      },\n      ...\n    ]\n  },\n  ...\n]",
        move |req| get_hd_keys(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "addhdkey",
        "Adds a BIP 32 HD key to the wallet, for use by 'createwalletdescriptor' and 'derivehdkey'.\n",
        vec![Arg::hint(
            "hdkey",
            ArgType::Str,
            "Automatically generated new key",
            "The extended private key to add; a new random one when left out.",
        )],
        "{                 (json object)\n  \"xpub\" : \"str\"   (string) the extended public key of the added key\n}",
        move |req| add_hd_key(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "derivehdkey",
        "Derives the extended key at a BIP 32 path below one of the wallet's HD keys.\nNeeds the wallet passphrase for an encrypted wallet.\n",
        vec![
            Arg::required("path", ArgType::Str, "The BIP 32 path; it needs at least one hardened step."),
            Arg::omitted("options", ArgType::ObjNamedParams, "")
                .with_inner(vec![
                    Arg::optional("private", ArgType::Bool, json!(false), "Include the extended private key"),
                    Arg::hint("hdkey", ArgType::Str, "Either the HD key of an unused(KEY) descriptor, or any other active descriptor.", "The HD key to derive from, as 'gethdkeys' lists it"),
                ])
                .oneline("options"),
        ],
        "{                 (json object)\n  \"origin\" : \"str\", (string) fingerprint and path, as descriptors write them\n  \"xpub\" : \"str\",   (string) the extended public key\n  \"xprv\" : \"str\"    (string, optional) the extended private key, with \"private\"\n}",
        move |req| derive_hd_key(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "createwalletdescriptor",
        "Adds the wallet's active descriptor for an address type, from one of its HD keys.\nThe wallet must not have that descriptor already.\nNeeds the wallet passphrase for an encrypted wallet.\n",
        vec![
            Arg::required("type", ArgType::Str, "The address type: \"legacy\", \"p2sh-segwit\", \"bech32\" or \"bech32m\"."),
            Arg::omitted("options", ArgType::ObjNamedParams, "")
                .with_inner(vec![
                    Arg::hint("internal", ArgType::Bool, "Both external and internal will be generated unless this parameter is specified", "Only the change descriptor (true) or only the receive one (false)"),
                    Arg::hint("hdkey", ArgType::Str, "The HD key used by all other active descriptors", "The HD key to use, as 'gethdkeys' lists it; the wallet must hold its private key"),
                ])
                .oneline("options"),
        ],
        "{               (json object)\n  \"descs\" : [    (json array) the public descriptors added\n    \"str\",       (string)\n    ...\n  ]\n}",
        move |req| create_wallet_descriptor(&c, req),
    ));
}

/// The options object of argument `i`, empty when not given.
fn options(req: &Request, i: usize) -> Map<String, Value> {
    match req.param(i) {
        Some(Value::Object(o)) => o.clone(),
        _ => Map::new(),
    }
}

/// `options.exists(key) ? options[key].get_bool() : false`.
fn option_bool(options: &Map<String, Value>, key: &str) -> Result<bool, RpcError> {
    options
        .get(key)
        .map(value_bool)
        .transpose()
        .map(|b| b.unwrap_or(false))
}

/// An option's value, `None` when absent or null; its type is checked where Core reads it.
fn option_value<'a>(options: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    options.get(key).filter(|v| !v.is_null())
}

fn invalid_key(message: impl Into<String>) -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, message)
}

/// Core's `DecodeExtPubKey` for an `hdkey` option, with its error.
fn parse_hdkey_option(v: &Value, network: bitcoin::Network) -> Result<Xpub, RpcError> {
    descriptors::decode_xpub(value_str(v)?, network)
        .ok_or_else(|| invalid_key("Unable to parse HD key. Please provide a valid xpub"))
}

/// The single HD key of the active descriptors, or Core's error.
fn single_active_xpub(st: &WalletState) -> Result<Xpub, RpcError> {
    let active = st.hd_pubkeys(HdKeyFilter::Active);
    match (active.len(), active.values().next()) {
        (1, Some(k)) => Ok(k.xpub),
        _ => Err(invalid_key(
            "Unable to determine which HD key to use from active descriptors. Please specify with 'hdkey'",
        )),
    }
}

fn get_hd_keys(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let st = wallet.state();
    let options = options(req, 0);
    let active_only = option_bool(&options, "active_only")?;
    let private = option_bool(&options, "private")?;
    if private {
        ensure_unlocked(&st)?;
    }
    let filter = if active_only {
        HdKeyFilter::Active
    } else {
        HdKeyFilter::All
    };
    let mut out = Vec::new();
    for key in st.hd_pubkeys(filter).into_values() {
        let pubkey = key.xpub.public_key.serialize();
        // Core keeps (desc, active, has_private) in a set: sorted, duplicates merged.
        let mut descs: BTreeSet<(String, bool, bool)> = BTreeSet::new();
        let mut xprv: Option<Xpriv> = None;
        for id in &key.descriptors {
            let Some(spkm) = st.spkms.get(id) else {
                continue;
            };
            let has_private = spkm.plain_keys().contains_key(pubkey.as_slice())
                || spkm.crypted_keys().contains_key(pubkey.as_slice());
            descs.insert((spkm.public_string(), st.is_active_spkm(id), has_private));
            if private {
                if let Some(secret) = spkm.plain_keys().get(pubkey.as_slice()) {
                    xprv = Some(crate::hdkeys::xpriv_of(&key.xpub, secret));
                }
            }
        }
        let has_xprv = descs.iter().any(|d| d.2);
        let mut obj = Map::new();
        obj.insert(
            "xpub".into(),
            json!(descriptors::encode_xpub(&key.xpub, st.network)),
        );
        obj.insert("has_private".into(), json!(has_xprv));
        if private && has_xprv {
            if let Some(x) = &xprv {
                obj.insert(
                    "xprv".into(),
                    json!(descriptors::encode_xpriv(x, st.network)),
                );
            }
        }
        let list: Vec<Value> = descs
            .into_iter()
            .map(|(desc, active, _)| json!({ "desc": desc, "active": active }))
            .collect();
        obj.insert("descriptors".into(), Value::Array(list));
        out.push(Value::Object(obj));
    }
    Ok(Value::Array(out))
}

fn add_hd_key(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let network = cx.network();
    if wallet.state().has_flag(flags::DISABLE_PRIVATE_KEYS) {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "addhdkey is not available for wallets without private keys",
        ));
    }
    ensure_unlocked(&wallet.state())?;
    let hdkey = match req.maybe_str(0)? {
        None => {
            let seed = common::random::random_bytes::<32>()
                .map_err(|e| RpcError::new(RPC_WALLET_ERROR, format!("no randomness: {e}")))?;
            Xpriv::new_master(bitcoin::NetworkKind::from(network), &seed)
                .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))?
        }
        Some(text) => match descriptors::decode_xpriv(text, network) {
            Some(x) => x,
            None if descriptors::decode_xpub(text, network).is_some() => return Err(invalid_key(
                "Extended public key (xpub) provided, but extended private key (xprv) is required",
            )),
            None => return Err(invalid_key("Could not parse HD key")),
        },
    };
    let text = format!("unused({})", descriptors::encode_xpriv(&hdkey, network));
    let parsed = descriptors::parse(&text, false, network)
        .ok()
        .and_then(|d| d.into_iter().next())
        .ok_or_else(|| RpcError::new(RPC_WALLET_ERROR, "Could not parse HD key"))?;
    let secp = Secp256k1::new();
    let xpub = Xpub::from_priv(&secp, &hdkey);
    wallet
        .with(|st, lookup| {
            let new = NewDescriptor {
                descriptor: &parsed,
                secrets: vec![descriptors::Secret {
                    key: hdkey.private_key,
                    compressed: true,
                }],
                creation_time: lookup.now(),
                range_start: 0,
                range_end: 0,
                next_index: 0,
            };
            let id = walletdb::records::WalletDescriptor {
                descriptor: parsed.to_string_checksummed(),
                creation_time: 0,
                next_index: 0,
                range_start: 0,
                range_end: 0,
            }
            .id()
            .map_err(|e| WalletError::Invalid(e.to_string()))?;
            if st.spkms.contains_key(&id) {
                return Err(WalletError::Invalid("HD key already exists".into()));
            }
            st.add_wallet_descriptor(&new, "", false)?;
            Ok(())
        })
        .map_err(|e| match e {
            WalletError::Invalid(m) => RpcError::new(RPC_WALLET_ERROR, m),
            other => wallet_error(other),
        })?;
    Ok(json!({ "xpub": descriptors::encode_xpub(&xpub, network) }))
}

fn derive_hd_key(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let network = cx.network();
    if wallet.state().has_flag(flags::DISABLE_PRIVATE_KEYS) {
        // A wallet without private keys cannot hold unused(KEY) descriptors.
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "derivehdkey is not available for watch-only wallets",
        ));
    }
    let path = parse_hd_keypath(req.arg_str(0)?)
        .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Invalid BIP32 keypath"))?;
    let options = options(req, 1);
    let private = option_bool(&options, "private")?;
    let hdkey = option_value(&options, "hdkey");
    if !path.iter().any(|s| s & 0x8000_0000 != 0) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Derivation path requires at least one hardened step",
        ));
    }
    let st = wallet.state();
    // A hardened step needs the private key, so the wallet must be unlocked.
    ensure_unlocked(&st)?;
    let xpub = match hdkey {
        Some(text) => {
            let xpub = parse_hdkey_option(text, network)?;
            let wanted = XpubOrder::of(&xpub);
            // The key of an active or unused(KEY) descriptor, not of an inactive one.
            let known = st.hd_pubkeys(HdKeyFilter::UnusedKey).contains_key(&wanted)
                || st.hd_pubkeys(HdKeyFilter::Active).contains_key(&wanted);
            if !known {
                return Err(invalid_key(
                    "HD key is not used by an active or unused(KEY) descriptor",
                ));
            }
            xpub
        }
        None => {
            let unused = st.hd_pubkeys(HdKeyFilter::UnusedKey);
            match unused.len() {
                0 => {
                    if st.hd_pubkeys(HdKeyFilter::Active).is_empty() {
                        return Err(invalid_key("No active or unused(KEY) descriptor found"));
                    }
                    single_active_xpub(&st)?
                }
                1 => match unused.values().next() {
                    Some(k) => k.xpub,
                    None => return Err(invalid_key("No active or unused(KEY) descriptor found")),
                },
                _ => {
                    return Err(invalid_key(
                        "Unable to determine which HD key to use. Please specify with 'hdkey'",
                    ))
                }
            }
        }
    };
    let xprv = st.ext_key(&xpub).ok_or_else(|| {
        invalid_key(format!(
            "Private key for {} is not known",
            descriptors::encode_xpub(&xpub, network)
        ))
    })?;
    drop(st);
    let (child, fingerprint) = derive_ext_key(&xprv, &path).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            "Unable to derive HD key at the requested path",
        )
    })?;
    let secp = Secp256k1::new();
    let mut out = Map::new();
    out.insert(
        "origin".into(),
        json!(format!(
            "[{}{}]",
            chain_json::to_hex(&fingerprint),
            format_hd_keypath(&path)
        )),
    );
    out.insert(
        "xpub".into(),
        json!(descriptors::encode_xpub(
            &Xpub::from_priv(&secp, &child),
            network
        )),
    );
    if private {
        out.insert(
            "xprv".into(),
            json!(descriptors::encode_xpriv(&child, network)),
        );
    }
    Ok(Value::Object(out))
}

fn create_wallet_descriptor(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let network = cx.network();
    let type_text = req.arg_str(0)?;
    let output_type = parse_output_type(type_text)
        .ok_or_else(|| invalid_key(format!("Unknown address type '{type_text}'")))?;
    let options = options(req, 1);
    let internals = match options.get("internal").filter(|v| !v.is_null()) {
        None => vec![false, true],
        Some(v) => vec![value_bool(v)?],
    };
    let hdkey = option_value(&options, "hdkey");
    // The closure's own failures are RPC errors, returned inside its result so that
    // only the wallet's failures go through `with`.
    let result = wallet
        .with(|st, lookup| {
            if let Err(e) = ensure_unlocked(st) {
                return Ok(Err(e));
            }
            let xpub = match hdkey.map(|t| parse_hdkey_option(t, network)) {
                None => single_active_xpub(st),
                Some(parsed) => parsed,
            };
            let xpub = match xpub {
                Ok(x) => x,
                Err(e) => return Ok(Err(e)),
            };
            let Some(master) = st.ext_key(&xpub) else {
                return Ok(Err(invalid_key(format!(
                    "Private key for {} is not known",
                    descriptors::encode_xpub(&xpub, network)
                ))));
            };
            let now = lookup.now();
            let mut added = Vec::new();
            for internal in &internals {
                if let Some(id) =
                    st.add_generated_descriptor(&master, output_type, *internal, now)?
                {
                    added.push(id);
                }
            }
            if added.is_empty() {
                return Ok(Err(RpcError::new(
                    RPC_WALLET_ERROR,
                    "Descriptor already exists",
                )));
            }
            Ok(Ok(added
                .iter()
                .filter_map(|id| st.spkms.get(id))
                .map(|s| Value::String(s.public_string()))
                .collect::<Vec<_>>()))
        })
        .map_err(wallet_error)?;
    Ok(json!({ "descs": result? }))
}
