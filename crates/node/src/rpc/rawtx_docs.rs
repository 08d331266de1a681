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
        r(Str, "asm", "The output script disassembled"),
        r(Str, "desc", "A descriptor inferred from the output script"),
        r(StrHex, "hex", "The output script, hex-encoded"),
        r(Str, "address", "The address, when the script has a standard one").optional(),
        r(Str, "type", "The script's type: nonstandard, anchor, pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, witness_v0_keyhash, witness_v1_taproot or witness_unknown"),
    ]
}

/// Core's `TxDoc()`: the fields of a decoded transaction.
pub(crate) fn tx_doc() -> Vec<ResultDoc> {
    vec![
        r(StrHex, "txid", "The txid"),
        r(
            StrHex,
            "hash",
            "The wtxid (differs from the txid when there are witnesses)",
        ),
        r(Num, "size", "The size in bytes, serialized"),
        r(
            Num,
            "vsize",
            "The virtual size (smaller than size when there are witnesses)",
        ),
        r(Num, "weight", "The weight (from vsize*4-3 to vsize*4)"),
        r(Num, "version", "The transaction version"),
        r(NumTime, "locktime", "The transaction's lock time"),
        r(Arr, "vin", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(
                StrHex,
                "coinbase",
                "The coinbase input script, hex-encoded (coinbase only)",
            )
            .optional(),
            r(
                StrHex,
                "txid",
                "The txid of the output spent (absent for a coinbase)",
            )
            .optional(),
            r(
                Num,
                "vout",
                "The index of the output spent (absent for a coinbase)",
            )
            .optional(),
            r(Obj, "scriptSig", "The input script (absent for a coinbase)")
                .optional()
                .with_inner(vec![
                    r(Str, "asm", "The input script disassembled"),
                    r(StrHex, "hex", "The input script, hex-encoded"),
                ]),
            r(Arr, "txinwitness", "").optional().with_inner(vec![r(
                StrHex,
                "hex",
                "A witness item, hex-encoded",
            )]),
            r(Num, "sequence", "The input's sequence number"),
        ])]),
        r(Arr, "vout", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
            r(StrAmount, "value", "The amount in BTC"),
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
            Elision::Text("Laid out as decoderawtransaction's result.")
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
        r(Str, "asm", "The script disassembled"),
        r(Str, "desc", "A descriptor inferred from the script"),
        r(Str, "type", "The script's type: nonstandard, anchor, pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, witness_v0_keyhash, witness_v1_taproot or witness_unknown"),
        r(Str, "address", "The address, when the script has a standard one").optional(),
        r(Str, "p2sh", "The P2SH address wrapping this script (absent for types that should not be wrapped)").optional(),
        r(Obj, "segwit", "The witness output wrapping this script (absent for types that should not be wrapped)")
            .optional()
            .with_inner(vec![
                r(Str, "asm", "The output script disassembled"),
                r(StrHex, "hex", "The output script, hex-encoded"),
                r(Str, "type", "The output script's type (witness_v0_keyhash or witness_v0_scripthash)"),
                r(Str, "address", "The address, when the script has a standard one").optional(),
                r(Str, "desc", "A descriptor inferred from the script"),
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
