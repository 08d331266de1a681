//! The public API beyond Core's vectors: checksum errors,
//! private strings, multipath and regtest encodings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::Network;
use descriptors::parse;

const PK: &str = "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
const TPUB: &str = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B";
const TPRV: &str = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";

fn err(desc: &str, require: bool) -> String {
    parse(desc, require, Network::Regtest).unwrap_err().0
}

#[test]
fn checksum_errors() {
    let desc = format!("pk({PK})");
    let good = chain_json::add_checksum(&desc);
    assert_eq!(parse(&good, true, Network::Regtest).unwrap().len(), 1);
    assert_eq!(err(&desc, true), "Missing checksum");
    assert_eq!(
        err(&format!("{good}#abcdefgh"), false),
        "Multiple '#' symbols"
    );
    assert_eq!(
        err(&format!("{desc}#abc"), false),
        "Expected 8 character checksum, not 3 characters"
    );
    let computed = &good[good.len() - 8..];
    assert_eq!(
        err(&format!("{desc}#qqqqqqqq"), false),
        format!("Provided checksum 'qqqqqqqq' does not match computed checksum '{computed}'")
    );
    assert_eq!(err("pk(\u{e9})", false), "Invalid characters in payload");
    assert_eq!(descriptors::checksum_of(&desc), computed);
    assert_eq!(descriptors::checksum_of(&format!("{desc}#qqqqqqqq")), "");
    // Anything after a complete top-level expression fails without a message, as Core.
    assert_eq!(err(&format!("{desc},x"), false), "");
}

#[test]
fn private_and_multipath_forms() {
    let d = &parse(
        &format!("tr({TPRV}/86h/1h/0h/<0;1>/*)"),
        false,
        Network::Regtest,
    )
    .unwrap();
    assert_eq!(d.len(), 2);
    assert!(d[0].is_range() && d[0].has_private_keys() && d[0].is_solvable());
    let (private, any) = d[1].to_private_string();
    assert!(any);
    assert_eq!(
        private,
        chain_json::add_checksum(&format!("tr({TPRV}/86h/1h/0h/1/*)"))
    );
    // Hardened steps derive from the private key; the public form cannot.
    assert!(d[0].expand(5).is_ok());
    let public = parse(&d[0].to_string_checksummed(), true, Network::Regtest).unwrap();
    assert!(public[0].expand(5).is_err());
    assert!(!public[0].has_private_keys());
    // Apostrophes are kept as written.
    let a = &parse(
        &format!("pkh([d34db33f/44'/0h]{TPUB}/1'/*')"),
        false,
        Network::Regtest,
    )
    .unwrap()[0];
    assert_eq!(
        a.to_string_checksummed(),
        chain_json::add_checksum(&format!("pkh([d34db33f/44'/0']{TPUB}/1'/*')"))
    );
    // addr() and raw() are not solvable.
    let r = &parse(
        "addr(bcrt1qtmp74ayg7p24uslctssvjm06q5phz4yrxucgnv)",
        false,
        Network::Regtest,
    )
    .unwrap()[0];
    assert!(!r.is_solvable());
    assert_eq!(
        err("addr(bc1qtmp74ayg7p24uslctssvjm06q5phz4yrxucgnv)", false),
        "Address is not valid"
    );
}

#[test]
fn miniscript_keys_compare_as_keys() {
    // Found by fuzzing: the same key in another letter case is a duplicate, as Core
    // compares the keys themselves.
    let k1 = "03cdabb7f2dce7bfbd8a0b9570c6fd1e712e5d64045e9d6b517b3d5072251dc204";
    let k1_upper = "03cdabb7f2dce7bfbd8a0b9570c6fd1E712e5d64045e9d6b517b3d5072251dc204";
    let k2 = "032707170c71d8f75e4ca4e3fce870b9409dcaf12b051d3bcadff74747fa7619c0";
    let desc = format!("wsh(and_b(or_b(pkh({k1_upper}),s:pk({k2})),s:pk({k1})))");
    assert_eq!(
        err(&desc, false),
        format!("and_b(or_b(pkh({k1}),s:pk({k2})),s:pk({k1})) is not sane: contains duplicate public keys")
    );
    let ok = format!("wsh(and_v(v:pk({k1_upper}),older(10)))");
    let d = &parse(&ok, false, Network::Regtest).unwrap()[0];
    assert_eq!(
        d.to_string_checksummed(),
        chain_json::add_checksum(&format!("wsh(and_v(v:pk({k1}),older(10)))"))
    );
    assert_eq!(d.output_type(), Some("bech32"));
    // Hashes print as lower-case hex, as Core stores them as bytes.
    let h = "AB".repeat(32);
    let d = &parse(
        &format!("wsh(and_v(v:pk({k1}),sha256({h})))"),
        false,
        Network::Regtest,
    )
    .unwrap()[0];
    assert!(d.to_string_checksummed().contains(&h.to_lowercase()));
}

#[test]
fn root_xpubs_are_the_written_extended_keys() {
    let xpub = |s: &str| descriptors::decode_xpub(s, Network::Regtest).unwrap();
    let xprv_pub = {
        let secp = bitcoin::secp256k1::Secp256k1::new();
        let x = descriptors::decode_xpriv(TPRV, Network::Regtest).unwrap();
        bitcoin::bip32::Xpub::from_priv(&secp, &x)
    };
    let d = &parse(
        &format!("wpkh([d34db33f/84h]{TPUB}/84h/1h/0h/0/*)"),
        false,
        Network::Regtest,
    )
    .unwrap()[0];
    assert_eq!(d.root_xpubs(), vec![xpub(TPUB)]);
    assert!(d.has_scripts());
    // Hex keys are not extended keys; private extended keys count by their public half.
    let d = &parse(
        &format!("wsh(multi(1,{PK},{TPRV}/*))"),
        false,
        Network::Regtest,
    )
    .unwrap()[0];
    assert_eq!(d.root_xpubs(), vec![xprv_pub]);
    // Keys in script-path leaves count too.
    let d = &parse(
        &format!("tr({PK},{{pk({TPUB}/0/*),pk({TPRV})}})"),
        false,
        Network::Regtest,
    )
    .unwrap()[0];
    assert_eq!(d.root_xpubs(), vec![xpub(TPUB), xprv_pub]);
    let d = &parse(&format!("unused({TPRV})"), false, Network::Regtest).unwrap()[0];
    assert!(!d.has_scripts());
    assert_eq!(d.root_xpubs(), vec![xprv_pub]);
    assert!(
        parse(&format!("pkh({PK})"), false, Network::Regtest).unwrap()[0]
            .root_xpubs()
            .is_empty()
    );
}
