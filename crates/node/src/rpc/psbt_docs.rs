//! Structured results of the PSBT commands, for their help and `getopenrpcinfo`; result
//! field names and types are Core's.

use rpc::{Elision, ResultDoc, ResultType, Table};

use super::rawtx_docs::{r, script_pubkey_doc, tx_doc_elided};
use ResultType::{Arr, Bool, Num, Obj, ObjDyn, Str, StrAmount, StrHex};

fn script_doc(what: &'static str) -> ResultDoc {
    r(Obj, what, "").optional().with_inner(vec![
        r(Str, "asm", "Disassembly of the script"),
        r(StrHex, "hex", "The raw script bytes, hex-encoded"),
        r(Str, "type", "The type, eg 'pubkeyhash'"),
    ])
}

fn bip32_doc() -> ResultDoc {
    r(Arr, "bip32_derivs", "")
        .optional()
        .with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(
                Str,
                "pubkey",
                "The public key with the derivation path as the value.",
            ),
            r(
                Str,
                "master_fingerprint",
                "The fingerprint of the master key",
            ),
            r(Str, "path", "The path"),
        ])])
}

fn tap_bip32_doc() -> ResultDoc {
    r(Arr, "taproot_bip32_derivs", "")
        .optional()
        .with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(
                Str,
                "pubkey",
                "The x-only public key this path corresponds to",
            ),
            r(
                Str,
                "master_fingerprint",
                "The fingerprint of the master key",
            ),
            r(Str, "path", "The path"),
            r(
                Arr,
                "leaf_hashes",
                "The hashes of the leaves this pubkey appears in",
            )
            .with_inner(vec![r(
                StrHex,
                "hash",
                "The hash of a leaf this pubkey appears in",
            )]),
        ])])
}

fn musig_participants_doc() -> ResultDoc {
    r(Arr, "musig2_participant_pubkeys", "")
        .optional()
        .with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(
                StrHex,
                "aggregate_pubkey",
                "The compressed aggregate public key the participants make.",
            ),
            r(Arr, "participant_pubkeys", "").with_inner(vec![r(
                StrHex,
                "pubkey",
                "A compressed public key aggregated into aggregate_pubkey.",
            )]),
        ])])
}

fn musig_data_doc(key: &'static str, value: &'static str, what: &'static str) -> ResultDoc {
    r(Arr, key, "").optional().with_inner(vec![r(Obj, "", "").with_inner(vec![
        r(StrHex, "participant_pubkey", "The compressed public key of the participant who made it."),
        r(StrHex, "aggregate_pubkey", "The compressed aggregate public key it is for."),
        r(StrHex, "leaf_hash", "The hash of the leaf script holding the aggregate key; absent when signing for the internal key.").optional(),
        r(StrHex, value, what),
    ])])
}

fn proprietary_doc(description: &'static str, optional: bool) -> ResultDoc {
    let d = r(Arr, "proprietary", description).with_inner(vec![r(Obj, "", "").with_inner(vec![
        r(
            StrHex,
            "identifier",
            "The hex string for the proprietary identifier",
        ),
        r(Num, "subtype", "The number for the subtype"),
        r(StrHex, "key", "The hex for the key"),
        r(StrHex, "value", "The hex for the value"),
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
        "(key-value pair) An unknown key-value pair",
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
        "The hash and preimage that corresponds to it.",
    )])
}

fn inputs_doc() -> ResultDoc {
    r(Arr, "inputs", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
        r(
            Obj,
            "non_witness_utxo",
            "Decoded network transaction for non-witness UTXOs",
        )
        .optional()
        .with_inner(tx_doc_elided()),
        r(Obj, "witness_utxo", "Transaction output for witness UTXOs")
            .optional()
            .with_inner(vec![
                r(Num, "amount", "The value in BTC"),
                r(Obj, "scriptPubKey", "").with_inner(script_pubkey_doc()),
            ]),
        r(ObjDyn, "partial_signatures", "")
            .optional()
            .with_inner(vec![r(
                Str,
                "pubkey",
                "The public key and signature that corresponds to it.",
            )]),
        r(Str, "sighash", "The sighash type to be used").optional(),
        script_doc("redeem_script"),
        script_doc("witness_script"),
        bip32_doc(),
        r(Obj, "final_scriptSig", "").optional().with_inner(vec![
            r(Str, "asm", "Disassembly of the final signature script"),
            r(
                StrHex,
                "hex",
                "The raw final signature script bytes, hex-encoded",
            ),
        ]),
        r(Arr, "final_scriptwitness", "")
            .optional()
            .with_inner(vec![r(StrHex, "", "hex-encoded witness data (if any)")]),
        preimages_doc("ripemd160_preimages"),
        preimages_doc("sha256_preimages"),
        preimages_doc("hash160_preimages"),
        preimages_doc("hash256_preimages"),
        r(
            StrHex,
            "previous_txid",
            "TXID of the transaction containing the output being spent by this input",
        )
        .optional(),
        r(Num, "previous_vout", "Index of the output being spent").optional(),
        r(Num, "sequence", "Sequence number for this input").optional(),
        r(
            Num,
            "time_locktime",
            "Time-based locktime required for this input",
        )
        .optional(),
        r(
            Num,
            "height_locktime",
            "Height-based locktime required for this input",
        )
        .optional(),
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
                "The signature for the pubkey and leaf hash combination",
            )
            .optional()
            .with_inner(vec![
                r(Str, "pubkey", "The x-only pubkey for this signature"),
                r(Str, "leaf_hash", "The leaf hash for this signature"),
                r(Str, "sig", "The signature itself"),
            ])]),
        r(Arr, "taproot_scripts", "")
            .optional()
            .with_inner(vec![r(Obj, "", "").with_inner(vec![
                r(StrHex, "script", "A leaf script"),
                r(Num, "leaf_ver", "The version number for the leaf script"),
                r(Arr, "control_blocks", "The control blocks for this script").with_inner(vec![r(
                    StrHex,
                    "control_block",
                    "A hex-encoded control block for this script",
                )]),
            ])]),
        tap_bip32_doc(),
        r(
            StrHex,
            "taproot_internal_key",
            "The hex-encoded Taproot x-only internal key",
        )
        .optional(),
        r(
            StrHex,
            "taproot_merkle_root",
            "The hex-encoded Taproot merkle root",
        )
        .optional(),
        musig_participants_doc(),
        musig_data_doc("musig2_pubnonces", "pubnonce", "The public nonce itself."),
        musig_data_doc(
            "musig2_partial_sigs",
            "partial_sig",
            "The partial signature itself.",
        ),
        unknown_doc("The unknown input fields", true),
        proprietary_doc("The input proprietary map", true),
    ])])
}

fn outputs_doc() -> ResultDoc {
    let mut script = r(
        Obj,
        "script",
        "The output script (scriptPubKey) for this output",
    )
    .optional();
    let mut inner = script_pubkey_doc();
    for (i, f) in inner.iter_mut().enumerate() {
        f.elision = if i == 0 {
            Elision::Text(
                "The layout is the same as the output of scriptPubKeys in decoderawtransaction.",
            )
        } else {
            Elision::Skip
        };
    }
    script = script.with_inner(inner);
    r(Arr, "outputs", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
        script_doc("redeem_script"),
        script_doc("witness_script"),
        bip32_doc(),
        r(Num, "amount", "The amount (nValue) for this output").optional(),
        script,
        r(
            StrHex,
            "taproot_internal_key",
            "The hex-encoded Taproot x-only internal key",
        )
        .optional(),
        r(
            Arr,
            "taproot_tree",
            "The tuples that make up the Taproot tree, in depth first search order",
        )
        .optional()
        .with_inner(vec![r(
            Obj,
            "tuple",
            "A single leaf script in the taproot tree",
        )
        .optional()
        .with_inner(vec![
            r(Num, "depth", "The depth of this element in the tree"),
            r(Num, "leaf_ver", "The version of this leaf"),
            r(Str, "script", "The hex-encoded script itself"),
        ])]),
        tap_bip32_doc(),
        musig_participants_doc(),
        unknown_doc("The unknown output fields", true),
        proprietary_doc("The output proprietary map", true),
    ])])
}

fn decodepsbt_result() -> ResultDoc {
    r(Obj, "", "").with_inner(vec![
        r(
            Obj,
            "tx",
            "The decoded network-serialized unsigned transaction.",
        )
        .optional()
        .with_inner(tx_doc_elided()),
        r(Arr, "global_xpubs", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(
                Str,
                "xpub",
                "The extended public key this path corresponds to",
            ),
            r(
                StrHex,
                "master_fingerprint",
                "The fingerprint of the master key",
            ),
            r(Str, "path", "The path"),
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
            "The lock time used when no input requires one.",
        )
        .optional(),
        r(Num, "input_count", "The number of inputs in this psbt").optional(),
        r(Num, "output_count", "The number of outputs in this psbt.").optional(),
        r(Bool, "inputs_modifiable", "Whether inputs can be modified").optional(),
        r(
            Bool,
            "outputs_modifiable",
            "Whether outputs can be modified",
        )
        .optional(),
        r(
            Bool,
            "has_sighash_single",
            "Whether this PSBT has SIGHASH_SINGLE inputs",
        )
        .optional(),
        r(
            Num,
            "psbt_version",
            "The PSBT version (not the unsigned transaction's version)",
        )
        .optional(),
        proprietary_doc("The global proprietary map", false),
        unknown_doc("The unknown global fields", false),
        inputs_doc(),
        outputs_doc(),
        r(
            StrAmount,
            "fee",
            "The transaction fee paid if all UTXOs slots in the PSBT have been filled.",
        )
        .optional(),
    ])
}

fn analyzepsbt_result() -> ResultDoc {
    r(Obj, "", "").with_inner(vec![
        r(Arr, "inputs", "").optional().with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(Bool, "has_utxo", "Whether a UTXO is provided"),
            r(Bool, "is_final", "Whether the input is finalized"),
            r(Obj, "missing", "What this input still needs to be complete").optional().with_inner(vec![
                r(Arr, "pubkeys", "").optional().with_inner(vec![r(StrHex, "keyid", "Public key ID, hash160 of the public key, of a public key whose BIP 32 derivation path is missing")]),
                r(Arr, "signatures", "").optional().with_inner(vec![r(StrHex, "keyid", "Public key ID, hash160 of the public key, of a public key whose signature is missing")]),
                r(StrHex, "redeemscript", "Hash160 of the redeem script that is missing").optional(),
                r(StrHex, "witnessscript", "SHA256 of the witness script that is missing").optional(),
            ]),
            r(Str, "next", "Role of the next person that this input needs to go to").optional(),
        ])]),
        r(Num, "estimated_vsize", "Estimated vsize of the final signed transaction").optional(),
        r(StrAmount, "estimated_feerate", "Estimated feerate of the final signed transaction in BTC/kvB. Shown only if all UTXO slots in the PSBT have been filled").optional(),
        r(StrAmount, "fee", "The transaction fee paid. Shown only if all UTXO slots in the PSBT have been filled").optional(),
        r(Str, "next", "Role of the next person that this psbt needs to go to"),
        r(Str, "error", "Error message (if there is one)").optional(),
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
