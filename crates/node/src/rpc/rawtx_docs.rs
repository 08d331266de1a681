//! Structured results of the raw-transaction commands, for their help and
//! `getopenrpcinfo`; result field names and types are Core's.

use rpc::{Elision, ResultDoc, ResultType, Table};

use ResultType::{Arr, Bool, Num, NumTime, Obj, Str, StrAmount, StrHex};

pub(crate) fn r(ty: ResultType, key: &'static str, description: &'static str) -> ResultDoc {
    ResultDoc::new(ty, key, description)
}

/// Core's `ScriptPubKeyDoc`.
pub(crate) fn script_pubkey_doc() -> Vec<ResultDoc> {
    vec![
        r(Str, "asm", "Disassembly of the output script"),
        r(Str, "desc", "Inferred descriptor for the output"),
        r(StrHex, "hex", "The raw output script bytes, hex-encoded"),
        r(Str, "address", "The Bitcoin address (only if a well-defined address exists)").optional(),
        r(Str, "type", "The type (one of: nonstandard, anchor, pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, witness_v0_keyhash, witness_v1_taproot, witness_unknown)"),
    ]
}

/// Core's `TxDoc()`: the fields of a decoded transaction.
pub(crate) fn tx_doc() -> Vec<ResultDoc> {
    vec![
        r(StrHex, "txid", "The transaction id"),
        r(
            StrHex,
            "hash",
            "The transaction hash (differs from txid for witness transactions)",
        ),
        r(Num, "size", "The serialized transaction size"),
        r(
            Num,
            "vsize",
            "The virtual transaction size (differs from size for witness transactions)",
        ),
        r(
            Num,
            "weight",
            "The transaction's weight (between vsize*4-3 and vsize*4)",
        ),
        r(Num, "version", "The version"),
        r(NumTime, "locktime", "The lock time"),
        r(Arr, "vin", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(
                StrHex,
                "coinbase",
                "The coinbase value (only if coinbase transaction)",
            )
            .optional(),
            r(
                StrHex,
                "txid",
                "The transaction id (if not coinbase transaction)",
            )
            .optional(),
            r(
                Num,
                "vout",
                "The output number (if not coinbase transaction)",
            )
            .optional(),
            r(Obj, "scriptSig", "The script (if not coinbase transaction)")
                .optional()
                .with_inner(vec![
                    r(Str, "asm", "Disassembly of the signature script"),
                    r(StrHex, "hex", "The raw signature script bytes, hex-encoded"),
                ]),
            r(Arr, "txinwitness", "").optional().with_inner(vec![r(
                StrHex,
                "hex",
                "hex-encoded witness data (if any)",
            )]),
            r(Num, "sequence", "The script sequence number"),
        ])]),
        r(Arr, "vout", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(StrAmount, "value", "The value in BTC"),
            r(Num, "n", "index"),
            r(Obj, "scriptPubKey", "").with_inner(script_pubkey_doc()),
        ])]),
    ]
}

/// [`tx_doc`] printed as one line pointing at decoderawtransaction (Core's
/// `ElisionMode::WithSummary`).
pub(crate) fn tx_doc_elided() -> Vec<ResultDoc> {
    let mut fields = tx_doc();
    for (i, f) in fields.iter_mut().enumerate() {
        f.elision = if i == 0 {
            Elision::Text("The layout is the same as the output of decoderawtransaction.")
        } else {
            Elision::Skip
        };
    }
    fields
}

fn sign_result() -> ResultDoc {
    r(Obj, "", "").with_inner(vec![
        r(
            StrHex,
            "hex",
            "The transaction with the signatures made, hex-encoded",
        ),
        r(Bool, "complete", "Whether every input is fully signed"),
        r(Arr, "errors", "Script verification errors, if any")
            .optional()
            .with_inner(vec![r(Obj, "", "").with_inner(vec![
                r(
                    StrHex,
                    "txid",
                    "The id of the transaction holding the output spent",
                ),
                r(Num, "vout", "The index of the output spent"),
                r(Arr, "witness", "").with_inner(vec![r(StrHex, "witness", "")]),
                r(StrHex, "scriptSig", "The signature script, hex-encoded"),
                r(Num, "sequence", "The input's sequence number"),
                r(
                    Str,
                    "error",
                    "Why the input could not be signed or verified",
                ),
            ])]),
    ])
}

fn decodescript_result() -> ResultDoc {
    r(Obj, "", "").with_inner(vec![
        r(Str, "asm", "Disassembly of the script"),
        r(Str, "desc", "Inferred descriptor for the script"),
        r(Str, "type", "The output type (e.g. nonstandard, anchor, pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, witness_v0_keyhash, witness_v1_taproot, witness_unknown)"),
        r(Str, "address", "The Bitcoin address (only if a well-defined address exists)").optional(),
        r(Str, "p2sh", "The P2SH address wrapping this script (absent for types that should not be wrapped)").optional(),
        r(Obj, "segwit", "The witness output wrapping this script (absent for types that should not be wrapped)")
            .optional()
            .with_inner(vec![
                r(Str, "asm", "Disassembly of the output script"),
                r(StrHex, "hex", "The raw output script bytes, hex-encoded"),
                r(Str, "type", "The type of the output script (e.g. witness_v0_keyhash or witness_v0_scripthash)"),
                r(Str, "address", "The Bitcoin address (only if a well-defined address exists)").optional(),
                r(Str, "desc", "Inferred descriptor for the script"),
                r(Str, "p2sh-segwit", "The P2SH address wrapping this witness output"),
            ]),
    ])
}

/// Attaches the descriptions to the table's commands.
pub fn register(table: &Table) {
    table.set_results(
        "createrawtransaction",
        vec![r(StrHex, "transaction", "The transaction, hex-encoded")],
    );
    table.set_results(
        "decoderawtransaction",
        vec![r(Obj, "", "").with_inner(tx_doc())],
    );
    table.set_results("decodescript", vec![decodescript_result()]);
    table.set_results(
        "combinerawtransaction",
        vec![r(
            Str,
            "",
            "The transaction with the signatures merged, hex-encoded",
        )],
    );
    table.set_results("signrawtransactionwithkey", vec![sign_result()]);
}
