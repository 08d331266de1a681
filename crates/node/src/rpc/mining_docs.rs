//! Structured result descriptions of `getdeploymentinfo`, `getblocktemplate`,
//! `getblockstats` and `verifychain`: they lay out the help's `Result:` sections and give
//! `getopenrpcinfo` its result schemas.

use rpc::{ResultDoc, ResultType, Table};

use ResultType::{Arr, ArrFixed, Bool, None as Null, Num, NumTime, Obj, ObjDyn, Str, StrHex};

fn r(ty: ResultType, key: &'static str, description: &'static str) -> ResultDoc {
    ResultDoc::new(ty, key, description)
}

/// Attaches the descriptions to the table's commands.
pub fn register(table: &Table) {
    table.set_results("getdeploymentinfo", vec![deployment_info()]);
    table.set_results("getblocktemplate", block_template());
    table.set_results("getblockstats", vec![block_stats()]);
    table.set_results(
        "verifychain",
        vec![r(
            Bool,
            "",
            "Whether every check passed; the debug log says why not.",
        )],
    );
}

fn deployment_info() -> ResultDoc {
    let bip9 = r(Obj, "bip9", "the signalling (only for \"bip9\" deployments)")
        .optional()
        .with_inner(vec![
            r(Num, "bit", "the version bit (0-28) that signals, while \"started\" or \"locked_in\"").optional(),
            r(NumTime, "start_time", "the median time past from which signalling counts"),
            r(NumTime, "timeout", "the median time past after which a deployment not locked in fails"),
            r(Num, "min_activation_height", "the lowest height at which the rules may apply"),
            r(Str, "status", "the state at the block: \"defined\", \"started\", \"locked_in\", \"active\" or \"failed\""),
            r(Num, "since", "the first height with that state"),
            r(Str, "status_next", "the state at the next block"),
            r(Obj, "statistics", "signalling in the current period, while \"started\" or \"locked_in\"")
                .optional()
                .with_inner(vec![
                    r(Num, "period", "blocks per period"),
                    r(Num, "threshold", "signalling blocks needed (only while \"started\")").optional(),
                    r(Num, "elapsed", "blocks of the period so far"),
                    r(Num, "count", "signalling blocks among them"),
                    r(Bool, "possible", "whether the threshold can still be reached in this period (only while \"started\")").optional(),
                ]),
            r(Str, "signalling", "one character per block of the period: # signalled, - did not").optional(),
        ]);
    r(Obj, "", "").with_inner(vec![
        r(
            Str,
            "hash",
            "the hash of the block asked for (the tip by default)",
        ),
        r(Num, "height", "its height"),
        r(
            Arr,
            "script_flags",
            "the script verification flags of that block",
        )
        .with_inner(vec![r(Str, "flag", "a flag's name")]),
        r(ObjDyn, "deployments", "").with_inner(vec![r(Obj, "xxxx", "a deployment, by name")
            .with_inner(vec![
                r(
                    Str,
                    "type",
                    "\"buried\" (fixed height) or \"bip9\" (signalled)",
                ),
                r(
                    Num,
                    "height",
                    "the first height with the rules in force (for \"bip9\", once known)",
                )
                .optional(),
                r(
                    Bool,
                    "active",
                    "whether the next block must follow the rules",
                ),
                bip9,
            ])]),
    ])
}

fn block_template() -> Vec<ResultDoc> {
    let tx = r(Obj, "", "").with_inner(vec![
        r(StrHex, "data", "the transaction, serialized, in hex"),
        r(StrHex, "txid", "its id, without witness, in display order"),
        r(StrHex, "hash", "its hash, with witness, in display order"),
        r(Arr, "depends", "earlier transactions of this list it spends from").with_inner(vec![
            r(Num, "", "the 1-based position of such a transaction in the list"),
        ]),
        r(Num, "fee", "its fee in satoshis; for a coinbase, minus the fees of the block; missing when not known"),
        r(Num, "sigops", "its signature operations cost; missing when not known"),
        r(Num, "weight", "its weight"),
    ]);
    vec![
        r(Null, "", "").cond("If the proposal was accepted with mode=='proposal'"),
        r(Str, "", "According to BIP22").cond("If the proposal was not accepted with mode=='proposal'"),
        r(Obj, "", "").cond("Otherwise").with_inner(vec![
            r(Num, "version", "the block version to use"),
            r(Arr, "rules", "the rules new blocks must follow")
                .with_inner(vec![r(Str, "", "a rule's name; with ! in front when a client must understand it (BIP9)")]),
            r(ObjDyn, "vbavailable", "deployments being signalled for or locked in (BIP9)")
                .with_inner(vec![r(Num, "rulename", "the version bit of that deployment")]),
            r(Arr, "capabilities", "")
                .with_inner(vec![r(Str, "value", "a supported feature, such as 'proposal'")]),
            r(Num, "vbrequired", "version bits the server requires in submissions"),
            r(Str, "previousblockhash", "the hash of the tip"),
            r(Arr, "transactions", "the transactions after the coinbase to include").with_inner(vec![tx]),
            r(ObjDyn, "coinbaseaux", "data for the coinbase's scriptSig")
                .with_inner(vec![r(StrHex, "key", "a value to include (the keys may be ignored)")]),
            r(Num, "coinbasevalue", "the most the coinbase may claim, subsidy and fees, in satoshis"),
            r(Str, "longpollid", "pass it back to wait for a change of this template"),
            r(Str, "target", "the hash target"),
            r(NumTime, "mintime", "the earliest time the block may have, UNIX epoch time (BIP94 timewarp rule included)"),
            r(Arr, "mutable", "what a miner may change")
                .with_inner(vec![r(Str, "value", "'time', 'transactions' or 'prevblock'")]),
            r(StrHex, "noncerange", "the valid nonces"),
            r(Num, "sigoplimit", "the block's signature operations limit"),
            r(Num, "sizelimit", "the block's size limit"),
            r(Num, "weightlimit", "the block's weight limit").optional(),
            r(NumTime, "curtime", "the time to use, UNIX epoch time (BIP94 timewarp rule included)"),
            r(Str, "bits", "the compact target of the block"),
            r(Num, "height", "the block's height"),
            r(StrHex, "signet_challenge", "the challenge, on signet only").optional(),
            r(StrHex, "default_witness_commitment", "the witness commitment of the template as it is").optional(),
        ]),
    ]
}

fn block_stats() -> ResultDoc {
    let o = |ty, key, description| r(ty, key, description).optional();
    r(Obj, "", "").with_inner(vec![
        o(Num, "avgfee", "mean fee of the block's transactions"),
        o(Num, "avgfeerate", "mean fee rate, in satoshis per virtual byte"),
        o(Num, "avgtxsize", "mean transaction size"),
        o(StrHex, "blockhash", "the block's hash (to notice a reorganisation)"),
        o(ArrFixed, "feerate_percentiles", "fee rates at the 10th, 25th, 50th, 75th and 90th percentile of weight, in satoshis per virtual byte")
            .with_inner(vec![
                r(Num, "10th_percentile_feerate", "the 10th percentile fee rate"),
                r(Num, "25th_percentile_feerate", "the 25th percentile fee rate"),
                r(Num, "50th_percentile_feerate", "the 50th percentile fee rate"),
                r(Num, "75th_percentile_feerate", "the 75th percentile fee rate"),
                r(Num, "90th_percentile_feerate", "the 90th percentile fee rate"),
            ]),
        o(Num, "height", "the block's height"),
        o(Num, "ins", "inputs, the coinbase's not counted"),
        o(Num, "maxfee", "highest fee"),
        o(Num, "maxfeerate", "highest fee rate, in satoshis per virtual byte"),
        o(Num, "maxtxsize", "largest transaction"),
        o(Num, "medianfee", "median fee (the middle two averaged)"),
        o(Num, "mediantime", "the block's median time past"),
        o(Num, "mediantxsize", "median transaction size (the middle two averaged)"),
        o(Num, "minfee", "lowest fee"),
        o(Num, "minfeerate", "lowest fee rate, in satoshis per virtual byte"),
        o(Num, "mintxsize", "smallest transaction"),
        o(Num, "outs", "outputs"),
        o(Num, "subsidy", "the block subsidy"),
        o(Num, "swtotal_size", "total size of the segwit transactions"),
        o(Num, "swtotal_weight", "total weight of the segwit transactions"),
        o(Num, "swtxs", "segwit transactions"),
        o(Num, "time", "the block's time"),
        o(Num, "total_out", "total output value, the coinbase's not counted"),
        o(Num, "total_size", "total size of the transactions after the coinbase"),
        o(Num, "total_weight", "total weight of the transactions after the coinbase"),
        o(Num, "totalfee", "the sum of the fees"),
        o(Num, "txs", "transactions, the coinbase included"),
        o(Num, "utxo_increase", "change in the number of unspent outputs (unspendable ones counted)"),
        o(Num, "utxo_size_inc", "change in the UTXO index's size (unspendable ones counted)"),
        o(Num, "utxo_increase_actual", "change in the number of unspent outputs, unspendable ones not counted"),
        o(Num, "utxo_size_inc_actual", "change in the UTXO index's size, unspendable ones not counted"),
    ])
}
