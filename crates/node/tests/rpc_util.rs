//! The utility commands (validateaddress, getdescriptorinfo, deriveaddresses,
//! createmultisig, verifymessage, signmessagewithprivkey, getindexinfo) against a
//! running `bitcoind`, with the values Core's functional tests expect.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{json, Value};
use support::{TempDir, TestNode, BITCOIND};

const TPRV: &str = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";
const TPUB: &str = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B";

fn with_checksum(node: &TestNode, desc: &str) -> String {
    node.call("getdescriptorinfo", json!([desc]))["checksum"]
        .as_str()
        .map(|c| format!("{desc}#{c}"))
        .unwrap()
}

#[test]
fn utility_commands() {
    let dir = TempDir::new("rpc-util");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    validateaddress(&node);
    getdescriptorinfo(&node);
    deriveaddresses(&node);
    messages(&node);
    createmultisig(&node);
    assert_eq!(node.call("getindexinfo", json!([])), json!({}));
    assert_eq!(node.call("getindexinfo", json!(["txindex"])), json!({}));
}

fn validateaddress(node: &TestNode) {
    let ok = node.call(
        "validateaddress",
        json!(["bcrt1qtmp74ayg7p24uslctssvjm06q5phz4yrxucgnv"]),
    );
    let keys: Vec<&String> = ok.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "isvalid",
            "address",
            "scriptPubKey",
            "isscript",
            "iswitness",
            "witness_version",
            "witness_program"
        ]
    );
    assert_eq!(ok["isscript"], json!(false));
    assert_eq!(ok["witness_version"], json!(0));
    let p2pkh = node.call(
        "validateaddress",
        json!(["mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"]),
    );
    assert_eq!(p2pkh["isvalid"], json!(true));
    assert_eq!(p2pkh["iswitness"], json!(false));
    let unknown = node.call("validateaddress", json!(["bcrt1p424qxxyd0r"]));
    assert!(unknown.get("isscript").is_none());
    let cases: &[(&str, &str, Value)] = &[
        (
            "bcrt1q049edschfnwystcqnsvyfpj23mpsg3jcedq9xv",
            "Invalid Bech32 checksum",
            json!([9]),
        ),
        (
            "bcrt1qax9suht3qv95sw33xavx8crpxduefdrsvgsklu",
            "Invalid Bech32 checksum",
            json!([22, 43]),
        ),
        (
            "bcrtq049ldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
            "Missing separator",
            json!([]),
        ),
        (
            "bcrt1q04oldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
            "Invalid Base 32 character",
            json!([8]),
        ),
        (
            "bcrt1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqdmchcc",
            "Version 1+ witness address must use Bech32m checksum",
            json!([]),
        ),
        (
            "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kqqq5k3my",
            "Invalid Bech32 v0 address program size (21 bytes), per BIP141",
            json!([]),
        ),
        (
            "17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem",
            "Invalid or unsupported Base58-encoded address.",
            json!([]),
        ),
        (
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJJfn",
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)",
            json!([]),
        ),
        (
            "asfah14i8fajz0123f",
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
            json!([]),
        ),
    ];
    for (addr, error, locations) in cases {
        let res = node.call("validateaddress", json!([addr]));
        assert_eq!(
            res,
            json!({"isvalid": false, "error_locations": locations, "error": error}),
            "{addr}"
        );
    }
    let (code, message) = node.call_err("validateaddress", json!([null]));
    assert_eq!(code, -3);
    assert!(message.contains("JSON value of type null is not of expected type string"));
}

fn getdescriptorinfo(node: &TestNode) {
    let desc = "pkh([d34db33f/44h/0h/0h]tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/1/*)";
    let info = node.call("getdescriptorinfo", json!([desc]));
    let expected = with_checksum(node, desc);
    assert_eq!(
        info,
        json!({"descriptor": expected, "checksum": expected[expected.len() - 8..], "isrange": true, "issolvable": true, "hasprivatekeys": false})
    );
    let multipath = format!("wpkh({TPUB}/<0;1>/*)");
    let info = node.call("getdescriptorinfo", json!([multipath]));
    assert_eq!(
        info["multipath_expansion"],
        json!([
            with_checksum(node, &format!("wpkh({TPUB}/0/*)")),
            with_checksum(node, &format!("wpkh({TPUB}/1/*)"))
        ])
    );
    assert_eq!(
        node.call_err("getdescriptorinfo", json!([""])),
        (-5, "'' is not a valid descriptor function".into())
    );
    assert_eq!(
        node.call_err("getdescriptorinfo", json!(["pk( 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)"])),
        (-5, "pk(): Key ' 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798' is invalid due to whitespace".into())
    );
    let (code, message) = node.call_err("getdescriptorinfo", json!([1]));
    assert_eq!(code, -3);
    assert!(message.contains("JSON value of type number is not of expected type string"));
    let miniscript = format!("wsh(and_v(v:pk({TPUB}/0/*),older(144)))");
    let info = node.call("getdescriptorinfo", json!([miniscript]));
    assert_eq!(info["descriptor"], json!(with_checksum(node, &miniscript)));
    assert_eq!(info["isrange"], json!(true));
    assert_eq!(info["issolvable"], json!(true));
    assert_eq!(
        node.call_err("getdescriptorinfo", json!(["wsh(or_i(older(1),pk(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)))"])),
        (-5, "or_i(older(1),pk(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)) is not sane: witnesses without signature exist".into())
    );
    let private = node.call("getdescriptorinfo", json!([format!("wpkh({TPRV}/1/1/0)")]));
    assert_eq!(private["hasprivatekeys"], json!(true));
    assert_eq!(
        private["descriptor"],
        json!(format!("wpkh({TPUB}/1/1/0)#s9ga3alw"))
    );
}

fn deriveaddresses(node: &TestNode) {
    assert_eq!(
        node.call_err("deriveaddresses", json!(["a"])),
        (-5, "Missing checksum".into())
    );
    let single = format!("wpkh({TPRV}/1/1/0)#t6wfjs64");
    assert_eq!(
        node.call("deriveaddresses", json!([single])),
        json!(["bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5"])
    );
    let ranged = format!("wpkh({TPRV}/1/1/*)#kft60nuy");
    assert_eq!(
        node.call("deriveaddresses", json!([ranged, [1, 2]])),
        json!([
            "bcrt1qhku5rq7jz8ulufe2y6fkcpnlvpsta7rq4442dy",
            "bcrt1qpgptk2gvshyl0s9lqshsmx932l9ccsv265tvaq"
        ])
    );
    assert_eq!(
        node.call_err("deriveaddresses", json!([ranged])),
        (-8, "Range must be specified for a ranged descriptor".into())
    );
    assert_eq!(
        node.call_err("deriveaddresses", json!([ranged, 10_000_000_000u64])),
        (-8, "End of range is too high".into())
    );
    assert_eq!(
        node.call_err("deriveaddresses", json!([ranged, [2, 0]])),
        (
            -8,
            "Range specified as [begin,end] must not have begin after end".into()
        )
    );
    let multipath = with_checksum(node, &format!("wpkh({TPRV}/1/<0;1>/*)"));
    assert_eq!(
        node.call("deriveaddresses", json!([multipath, [1, 2]])),
        json!([
            [
                "bcrt1q7c8mdmdktrzs8xgpjmqw90tjn65j5a3yj04m3n",
                "bcrt1qs6n37uzu0v0qfzf0r0csm0dwa7prc0v5uavgy0"
            ],
            [
                "bcrt1qhku5rq7jz8ulufe2y6fkcpnlvpsta7rq4442dy",
                "bcrt1qpgptk2gvshyl0s9lqshsmx932l9ccsv265tvaq"
            ]
        ])
    );
    let combo = with_checksum(node, &format!("combo({TPRV}/1/1/0)"));
    assert_eq!(
        node.call("deriveaddresses", json!([combo])),
        json!([
            "mtfUoUax9L4tzXARpw1oTGxWyoogp52KhJ",
            "bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5",
            "2NDvEwGfpEqJWfybzpKPHF2XH3jwoQV3D7x"
        ])
    );
    let pk = with_checksum(node, &format!("pk({TPRV})"));
    assert_eq!(
        node.call_err("deriveaddresses", json!([pk])),
        (
            -5,
            "Descriptor does not have a corresponding address".into()
        )
    );
    let hardened = with_checksum(node, &format!("wpkh({TPUB}/1'/1/0)"));
    assert_eq!(
        node.call_err("deriveaddresses", json!([hardened])),
        (-5, "Cannot derive script without private keys".into())
    );
    let max = with_checksum(node, &format!("wpkh({TPRV}/1/1/*)"));
    assert_eq!(
        node.call(
            "deriveaddresses",
            json!([max, [2147483647u32, 2147483647u32]])
        ),
        json!(["bcrt1qtzs23vgzpreks5gtygwxf8tv5rldxvvsyfpdkg"])
    );
}

fn messages(node: &TestNode) {
    let key = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N";
    let message = "This is just a test message";
    let sig = node.call("signmessagewithprivkey", json!([key, message]));
    assert_eq!(sig, json!("INbVnW4e6PeRmsv2Qgu8NuopvrVjkcxob+sX8OcZG0SALhWybUjzMLPdAsXI46YZGb0KQTRii+wWIQzRpG/U+S0="));
    let address = "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB";
    assert_eq!(
        node.call("verifymessage", json!([address, sig, message])),
        json!(true)
    );
    assert_eq!(
        node.call("verifymessage", json!([address, sig, "other"])),
        json!(false)
    );
    let wpkh = node.call(
        "deriveaddresses",
        json!([with_checksum(node, &format!("wpkh({key})"))]),
    );
    assert_eq!(
        node.call_err("verifymessage", json!([wpkh[0], sig, message])),
        (-3, "Address does not refer to key".into())
    );
    assert_eq!(
        node.call_err("signmessagewithprivkey", json!(["invalid_key", message])),
        (-5, "Invalid private key".into())
    );
    assert_eq!(
        node.call_err("verifymessage", json!(["invalid_addr", sig, message])),
        (-5, "Invalid address".into())
    );
    assert_eq!(
        node.call_err("verifymessage", json!([address, "invalid_sig", message])),
        (-3, "Malformed base64 encoding".into())
    );
}

fn createmultisig(node: &TestNode) {
    let keys = [
        "03a0434d9e47f3c86235477c7b1ae6ae5d3442d49b1943c2b752a68e2a47e247c7",
        "03774ae7f858a9411e5ef4246b70c65aac5649980be5c17891bbec17895da008cb",
        "03d01115d548e7561b15c38f004d734633687cf4419620095bc5b0f47070afe85a",
    ];
    let inner = format!("multi(2,{})", keys.join(","));
    for (kind, desc) in [
        ("legacy", format!("sh({inner})")),
        ("p2sh-segwit", format!("sh(wsh({inner}))")),
        ("bech32", format!("wsh({inner})")),
    ] {
        let res = node.call("createmultisig", json!([2, keys, kind]));
        let expected = with_checksum(node, &desc);
        assert_eq!(res["descriptor"], json!(expected));
        let derived = node.call("deriveaddresses", json!([expected]));
        assert_eq!(res["address"], derived[0]);
        assert!(res.get("warnings").is_none());
        assert!(res["redeemScript"].as_str().unwrap().starts_with("5221"));
    }
    assert_eq!(
        node.call_err("createmultisig", json!([2, keys, "bech32m"])),
        (
            -5,
            "createmultisig cannot create bech32m multisig addresses".into()
        )
    );
    let many = vec![keys[0]; 16];
    assert_eq!(
        node.call_err("createmultisig", json!([16, many, "legacy"])),
        (-8, "redeemScript exceeds size limit: 547 > 520".into())
    );
    let too_many = vec![keys[0]; 21];
    assert_eq!(
        node.call_err("createmultisig", json!([16, too_many, "bech32"])),
        (-8, "Number of keys involved in the multisignature address creation > 20\nReduce the number".into())
    );
    let uncompressed = "04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235";
    let res = node.call(
        "createmultisig",
        json!([1, [keys[0], uncompressed], "bech32"]),
    );
    assert_eq!(
        res["warnings"],
        json!(["Unable to make chosen address type, please ensure no uncompressed public keys are present."])
    );
    assert!(res["descriptor"]
        .as_str()
        .unwrap()
        .starts_with("sh(multi(1,"));
}
