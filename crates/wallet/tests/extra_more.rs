//! More checks of the HD key commands, `setwalletflag` and `removeprunedfunds` against a
//! real `bitcoind` on regtest (Core's wallet_gethdkeys and wallet_createwalletdescriptor
//! cases that tests/extra.rs leaves out), on the shared harness (`tests/support`), which
//! needs `cargo build -p node --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::secp256k1::Secp256k1;
use bitcoin::{Network, NetworkKind};
use serde_json::{json, Value};
use support::{Node, TempDir};

/// A regtest master key from a fixed seed, as text.
fn tprv(seed: u8) -> String {
    let x = Xpriv::new_master(NetworkKind::Test, &[seed; 32]).unwrap();
    descriptors::encode_xpriv(&x, Network::Regtest)
}

/// The xpub of an xprv given as text.
fn xpub_of(tprv: &str) -> String {
    let secp = Secp256k1::new();
    let x = descriptors::decode_xpriv(tprv, Network::Regtest).unwrap();
    descriptors::encode_xpub(&Xpub::from_priv(&secp, &x), Network::Regtest)
}

fn with_checksum(body: &str) -> String {
    format!("{body}#{}", descriptors::checksum_of(body))
}

fn keys_of(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Imports one descriptor, timestamp now, and asserts that it worked.
fn import(wallet: &support::Wallet<'_>, body: &str, active: bool) {
    let mut request = json!({"desc": with_checksum(body), "timestamp": "now", "active": active});
    if body.contains('*') {
        request["range"] = json!([0, 5]);
    }
    let r = wallet.call("importdescriptors", json!([[request]]));
    assert_eq!(r[0]["success"], json!(true), "import of {body}: {r}");
}

/// The `desc` strings of `listdescriptors`, in its order.
fn listed_descs(wallet: &support::Wallet<'_>) -> Vec<String> {
    wallet.call("listdescriptors", json!([]))["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["desc"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn hd_keys_of_imports_watch_only_and_blank_wallets() {
    let dir = TempDir::new("hd-imports");
    let node = Node::start(&dir.0, &["-keypool=5"]);
    node.call("createwallet", json!(["w"]));
    let w = node.wallet("w");
    let own = w.call("gethdkeys", json!({"private": true}));
    let xpub = own[0]["xpub"].as_str().unwrap().to_string();
    let xprv = own[0]["xprv"].as_str().unwrap().to_string();

    // An inactive descriptor of another key lists that key, but not with active_only.
    let other = tprv(7);
    let other_xpub = xpub_of(&other);
    import(&w, &format!("pkh({other}/0/*)"), false);
    let all = w.call("gethdkeys", json!([]));
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let entry = all
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["xpub"] == json!(other_xpub))
        .unwrap();
    assert_eq!(entry["has_private"], json!(true));
    assert_eq!(
        entry["descriptors"],
        json!([{"desc": with_checksum(&format!("pkh({other_xpub}/0/*)")), "active": false}])
    );
    let active = w.call("gethdkeys", json!({"active_only": true}));
    assert_eq!(active[0]["xpub"], json!(xpub));
    assert_eq!(active.as_array().unwrap().len(), 1);

    // A wallet without private keys lists an imported xpub, with nothing private to show.
    node.call(
        "createwallet",
        json!({"wallet_name": "watch", "disable_private_keys": true}),
    );
    let watch = node.wallet("watch");
    import(&watch, &format!("wpkh({other_xpub}/1/*)"), true);
    let watched = watch.call("gethdkeys", json!({"private": true}));
    assert_eq!(
        watched,
        json!([{
            "xpub": other_xpub,
            "has_private": false,
            "descriptors": [{"desc": with_checksum(&format!("wpkh({other_xpub}/1/*)")), "active": true}],
        }])
    );

    // A blank wallet with one active descriptor of the key makes the same descriptors as
    // the wallet generated from it (Core's wallet_createwalletdescriptor).
    node.call(
        "createwallet",
        json!({"wallet_name": "blank", "blank": true}),
    );
    let blank = node.wallet("blank");
    assert_eq!(
        blank.err(
            "createwalletdescriptor",
            json!({"type": "bech32", "hdkey": xpub})
        ),
        (-5, format!("Private key for {xpub} is not known"))
    );
    assert!(blank
        .try_call("getnewaddress", json!(["", "bech32"]))
        .is_err());
    import(&blank, &format!("pkh({xprv}/44h/2h/0h/0/0/*)"), true);
    let expected: Vec<String> = listed_descs(&w)
        .into_iter()
        .filter(|d| d.starts_with("wpkh("))
        .collect();
    let made = blank.call("createwalletdescriptor", json!(["bech32"]));
    assert_eq!(keys_of(&made), ["descs"]);
    assert_eq!(strings(&made["descs"]), expected);
    assert_eq!(
        blank.call("gethdkeys", json!([])).as_array().unwrap().len(),
        1
    );
    assert_eq!(blank.address("bech32"), w.address("bech32"));
    let change = blank.call(
        "createwalletdescriptor",
        json!({"type": "bech32m", "internal": true}),
    );
    let change = strings(&change["descs"]);
    assert_eq!(change.len(), 1);
    let listed = blank.call("listdescriptors", json!([]))["descriptors"].clone();
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["desc"] == json!(change[0]))
        .unwrap();
    assert_eq!(entry["active"], json!(true));
    assert_eq!(entry["internal"], json!(true));
    assert!(change[0].starts_with("tr([") && change[0].contains("/86h/1h/0h]"));
    assert!(change[0].contains("/1/*)#"), "{change:?}");
    assert_eq!(
        blank.err(
            "createwalletdescriptor",
            json!({"type": "bech32m", "internal": true})
        ),
        (-4, "Descriptor already exists".into())
    );
    // Only the change descriptor is there: no bech32m receive address yet.
    assert!(blank
        .try_call("getnewaddress", json!(["", "bech32m"]))
        .is_err());
    assert!(blank
        .call("getrawchangeaddress", json!(["bech32m"]))
        .as_str()
        .unwrap()
        .starts_with("bcrt1p"));
}

#[test]
fn removeprunedfunds_needs_the_deprecated_option() {
    let dir = TempDir::new("pruned-off");
    let node = Node::start(&dir.0, &[]);
    node.call("createwallet", json!(["w"]));
    assert_eq!(
        node.wallet("w").err("removeprunedfunds", json!(["00".repeat(32)])),
        (
            -32,
            "DEPRECATION WARNING: This feature will be removed in the next major release. Start bitcoind with the `-deprecatedrpc=removeprunedfunds` option in order to use this.".into()
        )
    );
}

#[test]
fn setwalletflag_refuses_what_core_refuses() {
    let dir = TempDir::new("flags-more");
    let node = Node::start(&dir.0, &[]);
    node.call("createwallet", json!(["w"]));
    let w = node.wallet("w");
    assert_eq!(
        w.err(
            "setwalletflag",
            json!({"flag": "avoid_reuse", "value": false})
        ),
        (
            -8,
            "Wallet flag is already set to false: avoid_reuse".into()
        )
    );
    for immutable in [
        "blank",
        "descriptor_wallet",
        "disable_private_keys",
        "external_signer",
        "key_origin_metadata",
        "last_hardened_xpub_cached",
    ] {
        assert_eq!(
            w.err("setwalletflag", json!([immutable, false])),
            (-8, format!("Wallet flag is immutable: {immutable}"))
        );
    }
    assert_eq!(
        w.err("setwalletflag", json!(["Avoid_Reuse"])),
        (-8, "Unknown wallet flag: Avoid_Reuse".into())
    );
    assert_eq!(
        w.call("setwalletflag", json!({"flag": "avoid_reuse"}))["flag_state"],
        json!(true)
    );
}
