//! Structured results of the PSBT commands, for their help and `getopenrpcinfo`; result
//! field names and types are Core's.

use rpc::{Elision, ResultDoc, ResultType, Table};

use super::rawtx_docs::{r, script_pubkey_doc, tx_doc_elided};
use ResultType::{Arr, Bool, Num, Obj, ObjDyn, Str, StrAmount, StrHex};

fn script_doc(what: &'static str) -> ResultDoc {
    r(Obj, what, "").optional().with_inner(vec![
        r(Str, "asm", "The script disassembled"),
        r(StrHex, "hex", "The script, hex-encoded"),
        r(Str, "type", "The script's type, e.g. 'multisig'"),
    ])
}

fn bip32_doc() -> ResultDoc {
    r(Arr, "bip32_derivs", "")
        .optional()
        .with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(Str, "pubkey", "The public key derived along the path"),
            r(Str, "master_fingerprint", "The master key's fingerprint"),
            r(Str, "path", "The derivation path"),
        ])])
}

fn tap_bip32_doc() -> ResultDoc {
    r(Arr, "taproot_bip32_derivs", "")
        .optional()
        .with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(Str, "pubkey", "The x-only key derived along this path"),
            r(Str, "master_fingerprint", "The master key's fingerprint"),
            r(Str, "path", "The derivation path"),
            r(Arr, "leaf_hashes", "The leaves the key is used in").with_inner(vec![r(
                StrHex,
                "hash",
                "A leaf hash",
            )]),
        ])])
}

fn musig_participants_doc() -> ResultDoc {
    r(Arr, "musig2_participant_pubkeys", "")
        .optional()
        .with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(StrHex, "aggregate_pubkey", "The aggregate key (compressed)"),
            r(Arr, "participant_pubkeys", "").with_inner(vec![r(
                StrHex,
                "pubkey",
                "A participant's compressed public key",
            )]),
        ])])
}

fn musig_data_doc(key: &'static str, value: &'static str, what: &'static str) -> ResultDoc {
    r(Arr, key, "")
        .optional()
        .with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(
                StrHex,
                "participant_pubkey",
                "The participant's compressed public key",
            ),
            r(StrHex, "aggregate_pubkey", "The aggregate key (compressed)"),
            r(
                StrHex,
                "leaf_hash",
                "The leaf holding the aggregate key; absent for the key path",
            )
            .optional(),
            r(StrHex, value, what),
        ])])
}

fn proprietary_doc(description: &'static str, optional: bool) -> ResultDoc {
    let d = r(Arr, "proprietary", description).with_inner(vec![r(Obj, "", "").with_inner(vec![
        r(StrHex, "identifier", "The identifier, hex-encoded"),
        r(Num, "subtype", "The subtype"),
        r(StrHex, "key", "The whole key, hex-encoded"),
        r(StrHex, "value", "The value, hex-encoded"),
    ])]);
    if optional {
        d.optional()
    } else {
        d
    }
}

fn unknown_doc(description: &'static str, optional: bool) -> ResultDoc {
    let d = r(ObjDyn, "unknown", description).with_inner(vec![r(
        StrHex,
        "key",
        "An entry: the key, with the value",
    )]);
    if optional {
        d.optional()
    } else {
        d
    }
}

fn preimages_doc(key: &'static str) -> ResultDoc {
    r(ObjDyn, key, "").optional().with_inner(vec![r(
        Str,
        "hash",
        "A hash, with its preimage as the value",
    )])
}

fn inputs_doc() -> ResultDoc {
    r(Arr, "inputs", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
        r(
            Obj,
            "non_witness_utxo",
            "The previous transaction, decoded (non-segwit inputs)",
        )
        .optional()
        .with_inner(tx_doc_elided()),
        r(Obj, "witness_utxo", "The output spent, for segwit inputs")
            .optional()
            .with_inner(vec![
                r(Num, "amount", "The amount in BTC"),
                r(Obj, "scriptPubKey", "").with_inner(script_pubkey_doc()),
            ]),
        r(ObjDyn, "partial_signatures", "")
            .optional()
            .with_inner(vec![r(
                Str,
                "pubkey",
                "A public key, with its signature as the value",
            )]),
        r(Str, "sighash", "The sighash type to sign with").optional(),
        script_doc("redeem_script"),
        script_doc("witness_script"),
        bip32_doc(),
        r(Obj, "final_scriptSig", "").optional().with_inner(vec![
            r(Str, "asm", "The final input script disassembled"),
            r(StrHex, "hex", "The final input script, hex-encoded"),
        ]),
        r(Arr, "final_scriptwitness", "")
            .optional()
            .with_inner(vec![r(StrHex, "", "A witness item, hex-encoded")]),
        preimages_doc("ripemd160_preimages"),
        preimages_doc("sha256_preimages"),
        preimages_doc("hash160_preimages"),
        preimages_doc("hash256_preimages"),
        r(StrHex, "previous_txid", "The txid of the output spent").optional(),
        r(Num, "previous_vout", "The index of the output spent").optional(),
        r(Num, "sequence", "The input's sequence number").optional(),
        r(Num, "time_locktime", "A time lock this input requires").optional(),
        r(Num, "height_locktime", "A height lock this input requires").optional(),
        r(
            StrHex,
            "taproot_key_path_sig",
            "hex-encoded signature for the Taproot key path spend",
        )
        .optional(),
        r(Arr, "taproot_script_path_sigs", "")
            .optional()
            .with_inner(vec![r(
                Obj,
                "signature",
                "A signature by one key for one leaf",
            )
            .optional()
            .with_inner(vec![
                r(Str, "pubkey", "The x-only key that signed"),
                r(Str, "leaf_hash", "The leaf that was signed for"),
                r(Str, "sig", "The signature"),
            ])]),
        r(Arr, "taproot_scripts", "")
            .optional()
            .with_inner(vec![r(Obj, "", "").with_inner(vec![
                r(StrHex, "script", "The leaf script, hex-encoded"),
                r(Num, "leaf_ver", "The leaf version"),
                r(
                    Arr,
                    "control_blocks",
                    "The control blocks that reach this leaf",
                )
                .with_inner(vec![r(
                    StrHex,
                    "control_block",
                    "A control block, hex-encoded",
                )]),
            ])]),
        tap_bip32_doc(),
        r(
            StrHex,
            "taproot_internal_key",
            "The taproot internal key (x-only), hex-encoded",
        )
        .optional(),
        r(
            StrHex,
            "taproot_merkle_root",
            "The taproot Merkle root, hex-encoded",
        )
        .optional(),
        musig_participants_doc(),
        musig_data_doc("musig2_pubnonces", "pubnonce", "The public nonce"),
        musig_data_doc(
            "musig2_partial_sigs",
            "partial_sig",
            "The partial signature",
        ),
        unknown_doc("Input entries of unknown types", true),
        proprietary_doc("Proprietary input entries", true),
    ])])
}

fn outputs_doc() -> ResultDoc {
    let mut script = r(Obj, "script", "The output's script").optional();
    let mut inner = script_pubkey_doc();
    for (i, f) in inner.iter_mut().enumerate() {
        f.elision = if i == 0 {
            Elision::Text("Laid out as a scriptPubKey in decoderawtransaction's result.")
        } else {
            Elision::Skip
        };
    }
    script = script.with_inner(inner);
    r(Arr, "outputs", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
        script_doc("redeem_script"),
        script_doc("witness_script"),
        bip32_doc(),
        r(Num, "amount", "The output's amount").optional(),
        script,
        r(
            StrHex,
            "taproot_internal_key",
            "The taproot internal key (x-only), hex-encoded",
        )
        .optional(),
        r(
            Arr,
            "taproot_tree",
            "The leaves of the taproot tree, depth first",
        )
        .optional()
        .with_inner(vec![r(Obj, "tuple", "One leaf of the tree")
            .optional()
            .with_inner(vec![
                r(Num, "depth", "The leaf's depth in the tree"),
                r(Num, "leaf_ver", "The leaf version"),
                r(Str, "script", "The leaf script, hex-encoded"),
            ])]),
        tap_bip32_doc(),
        musig_participants_doc(),
        unknown_doc("Output entries of unknown types", true),
        proprietary_doc("Proprietary output entries", true),
    ])])
}

fn decodepsbt_result() -> ResultDoc {
    r(Obj, "", "").with_inner(vec![
        r(Obj, "tx", "The unsigned transaction, decoded")
            .optional()
            .with_inner(tx_doc_elided()),
        r(Arr, "global_xpubs", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(Str, "xpub", "The extended public key with this origin"),
            r(StrHex, "master_fingerprint", "The master key's fingerprint"),
            r(Str, "path", "The derivation path"),
        ])]),
        r(
            Num,
            "tx_version",
            "The version of the unsigned transaction (not the PSBT version)",
        )
        .optional(),
        r(
            Num,
            "fallback_locktime",
            "The lock time when no input requires one",
        )
        .optional(),
        r(Num, "input_count", "How many inputs the PSBT has").optional(),
        r(Num, "output_count", "How many outputs the PSBT has").optional(),
        r(Bool, "inputs_modifiable", "Whether inputs may be added").optional(),
        r(Bool, "outputs_modifiable", "Whether outputs may be added").optional(),
        r(
            Bool,
            "has_sighash_single",
            "Whether some input signs with SIGHASH_SINGLE",
        )
        .optional(),
        r(
            Num,
            "psbt_version",
            "The PSBT version (not the unsigned transaction's version)",
        )
        .optional(),
        proprietary_doc("Proprietary global entries", false),
        unknown_doc("Global entries of unknown types", false),
        inputs_doc(),
        outputs_doc(),
        r(
            StrAmount,
            "fee",
            "The fee, when every output spent is known",
        )
        .optional(),
    ])
}

fn analyzepsbt_result() -> ResultDoc {
    r(Obj, "", "").with_inner(vec![
        r(Arr, "inputs", "").optional().with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(Bool, "has_utxo", "Whether the output spent is known"),
            r(Bool, "is_final", "Whether the input has its final scriptSig/witness"),
            r(Obj, "missing", "What this input still needs to be complete").optional().with_inner(vec![
                r(Arr, "pubkeys", "").optional().with_inner(vec![r(StrHex, "keyid", "The key id (HASH160) of a key whose public key is needed")]),
                r(Arr, "signatures", "").optional().with_inner(vec![r(StrHex, "keyid", "The key id (HASH160) of a key whose signature is needed")]),
                r(StrHex, "redeemscript", "HASH160 of the redeem script needed").optional(),
                r(StrHex, "witnessscript", "SHA256 of the witness script needed").optional(),
            ]),
            r(Str, "next", "The role that should handle this input next").optional(),
        ])]),
        r(Num, "estimated_vsize", "The estimated virtual size of the finished transaction").optional(),
        r(StrAmount, "estimated_feerate", "The estimated fee rate of the finished transaction in BTC/kvB, when every output spent is known").optional(),
        r(StrAmount, "fee", "The fee, when every output spent is known").optional(),
        r(Str, "next", "The role that should handle the PSBT next"),
        r(Str, "error", "Why the PSBT is invalid, if it is").optional(),
    ])
}

/// Attaches the descriptions to the table's commands.
pub fn register(table: &Table) {
    let base64 = |d: &'static str| vec![r(Str, "", d)];
    table.set_results("createpsbt", base64("The PSBT, base64-encoded"));
    table.set_results("converttopsbt", base64("The PSBT, base64-encoded"));
    table.set_results("combinepsbt", base64("The combined PSBT, base64-encoded"));
    table.set_results("joinpsbts", base64("The joined PSBT, base64-encoded"));
    table.set_results(
        "utxoupdatepsbt",
        base64("The PSBT with its inputs updated, base64-encoded"),
    );
    table.set_results("decodepsbt", vec![decodepsbt_result()]);
    table.set_results("analyzepsbt", vec![analyzepsbt_result()]);
    table.set_results(
        "finalizepsbt",
        vec![r(Obj, "", "").with_inner(vec![
            r(Str, "psbt", "The PSBT, base64-encoded, when not extracted").optional(),
            r(
                StrHex,
                "hex",
                "The network transaction, hex-encoded, when extracted",
            )
            .optional(),
            r(Bool, "complete", "Whether every input is fully signed"),
        ])],
    );
    table.set_results(
        "descriptorprocesspsbt",
        vec![r(Obj, "", "").with_inner(vec![
            r(Str, "psbt", "The PSBT, base64-encoded"),
            r(Bool, "complete", "Whether every input is fully signed"),
            r(
                StrHex,
                "hex",
                "The network transaction, hex-encoded, when complete",
            )
            .optional(),
        ])],
    );
}
