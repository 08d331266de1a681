# The node's chain as a wallet sees it (Core's interfaces::Chain, master as of 2026), and
# the notifications the node sends back. Hashes, transactions, blocks and outputs travel
# as Core's serialization in Data fields; fee rates in satoshis per 1000 virtual bytes.
# Our own IDs and ordinals: Core's multiprocess branch schemas are unmerged (ADR 0009).

@0x8bd0c20f64e22a92;

using Proxy = import "/mp/proxy.capnp";
using Handler = import "handler.capnp";

interface Chain {
    destroy @0 (context :Proxy.Context) -> ();
    getHeight @1 (context :Proxy.Context) -> (result :Int32, hasResult :Bool);
    getBlockHash @2 (context :Proxy.Context, height :Int32) -> (result :Data);
    haveBlockOnDisk @3 (context :Proxy.Context, height :Int32) -> (result :Bool);
    findLocatorFork @4 (context :Proxy.Context, locator :List(Data)) -> (result :Int32, hasResult :Bool);
    findBlock @5 (context :Proxy.Context, hash :Data, wantData :Bool) -> (result :FoundBlock);
    findFirstBlockWithTimeAndHeight @6 (context :Proxy.Context, minTime :Int64, minHeight :Int32, wantData :Bool) -> (result :FoundBlock);
    findAncestorByHeight @7 (context :Proxy.Context, blockHash :Data, ancestorHeight :Int32) -> (result :FoundBlock);
    findAncestorByHash @8 (context :Proxy.Context, blockHash :Data, ancestorHash :Data) -> (result :FoundBlock);
    findCommonAncestor @9 (context :Proxy.Context, blockHash1 :Data, blockHash2 :Data) -> (result :FoundBlock);
    findCoins @10 (context :Proxy.Context, outpoints :List(Data)) -> (result :List(Coin));
    guessVerificationProgress @11 (context :Proxy.Context, blockHash :Data) -> (result :Float64);
    hasBlocks @12 (context :Proxy.Context, blockHash :Data, minHeight :Int32, maxHeight :Int32, hasMaxHeight :Bool) -> (result :Bool);
    isRbfOptIn @13 (context :Proxy.Context, tx :Data) -> (result :UInt8);
    isInMempool @14 (context :Proxy.Context, txid :Data) -> (result :Bool);
    hasDescendantsInMempool @15 (context :Proxy.Context, txid :Data) -> (result :Bool);
    broadcastTransaction @16 (context :Proxy.Context, tx :Data, maxTxFee :Int64, relay :Bool) -> (result :Text);
    getTransactionAncestry @17 (context :Proxy.Context, txid :Data) -> (result :Ancestry);
    calculateIndividualBumpFees @18 (context :Proxy.Context, outpoints :List(Data), feeRate :Int64) -> (result :List(Int64));
    calculateCombinedBumpFee @19 (context :Proxy.Context, outpoints :List(Data), feeRate :Int64) -> (result :Int64, hasResult :Bool);
    getPackageLimits @20 (context :Proxy.Context) -> (ancestors :UInt32, descendants :UInt32);
    checkChainLimits @21 (context :Proxy.Context, tx :Data) -> (result :Text);
    estimateSmartFee @22 (context :Proxy.Context, numBlocks :Int32, conservative :Bool) -> (result :FeeEstimate);
    estimateMaxBlocks @23 (context :Proxy.Context) -> (result :UInt32);
    mempoolMinFee @24 (context :Proxy.Context) -> (result :Int64);
    relayMinFee @25 (context :Proxy.Context) -> (result :Int64);
    relayIncrementalFee @26 (context :Proxy.Context) -> (result :Int64);
    relayDustFee @27 (context :Proxy.Context) -> (result :Int64);
    havePruned @28 (context :Proxy.Context) -> (result :Bool);
    getPruneHeight @29 (context :Proxy.Context) -> (result :Int32, hasResult :Bool);
    isReadyToBroadcast @30 (context :Proxy.Context) -> (result :Bool);
    isInitialBlockDownload @31 (context :Proxy.Context) -> (result :Bool);
    shutdownRequested @32 (context :Proxy.Context) -> (result :Bool);
    initMessage @33 (context :Proxy.Context, message :Text) -> ();
    initWarning @34 (context :Proxy.Context, message :Text) -> ();
    initError @35 (context :Proxy.Context, message :Text) -> ();
    showProgress @36 (context :Proxy.Context, title :Text, progress :Int32, resumePossible :Bool) -> ();
    handleNotifications @37 (context :Proxy.Context, notifications :ChainNotifications) -> (result :Handler.Handler);
    waitForNotificationsIfTipChanged @38 (context :Proxy.Context, oldTip :Data) -> ();
    waitForNotifications @39 (context :Proxy.Context) -> ();
    handleRpc @40 (context :Proxy.Context, command :Text, actor :RpcActor) -> (result :Handler.Handler);
    rpcEnableDeprecated @41 (context :Proxy.Context, method :Text) -> (result :Bool);
    getSetting @42 (context :Proxy.Context, name :Text) -> (result :Text);
    getSettingsList @43 (context :Proxy.Context, name :Text) -> (result :List(Text));
    getRwSetting @44 (context :Proxy.Context, name :Text) -> (result :Text);
    overwriteRwSetting @45 (context :Proxy.Context, name :Text, value :Text, write :Bool) -> (result :Bool);
    requestMempoolTransactions @46 (context :Proxy.Context, notifications :ChainNotifications) -> ();
    hasAssumedValidChain @47 (context :Proxy.Context) -> (result :Bool);
    getAdjustedTime @48 (context :Proxy.Context) -> (result :Int64);
    getTip @49 (context :Proxy.Context) -> (result :FoundBlock);
}

interface ChainNotifications {
    destroy @0 (context :Proxy.Context) -> ();
    transactionAddedToMempool @1 (context :Proxy.Context, tx :Data) -> ();
    transactionRemovedFromMempool @2 (context :Proxy.Context, tx :Data, reason :UInt8) -> ();
    blockConnected @3 (context :Proxy.Context, block :BlockInfo) -> ();
    blockDisconnected @4 (context :Proxy.Context, block :BlockInfo) -> ();
    updatedBlockTip @5 (context :Proxy.Context) -> ();
    chainStateFlushed @6 (context :Proxy.Context, locator :List(Data)) -> ();
}

# One RPC command the client runs for the node's server (Core's CRPCCommand actor).
interface RpcActor {
    destroy @0 (context :Proxy.Context) -> ();
    # request: JSON {"method","params","uri","user","peer","id","object_keys"};
    # returns JSON {"result"} or {"error":{"code","message"}}.
    call @1 (context :Proxy.Context, request :Text) -> (result :Text);
}

# What Core's FoundBlock asks for; every cheap field is always filled.
struct FoundBlock {
    hash @0 :Data;
    height @1 :Int32;
    time @2 :Int64;
    maxTime @3 :Int64;
    mtp @4 :Int64;
    inActiveChain @5 :Bool;
    # Hash of the next block in the active chain; empty when none.
    nextHash @6 :Data;
    # The serialized block when asked for and stored; empty otherwise.
    data @7 :Data;
    # Locator from this block.
    locator @8 :List(Data);
}

struct BlockInfo {
    hash @0 :Data;
    prevHash @1 :Data;
    height @2 :Int32;
    chainTimeMax @3 :Int64;
    data @4 :Data;
}

struct Coin {
    # Empty when the outpoint is unspent nowhere.
    output @0 :Data;
    height @1 :Int32;
    coinbase @2 :Bool;
}

struct Ancestry {
    ancestors @0 :UInt64;
    clusterCount @1 :UInt64;
    ancestorSize @2 :UInt64;
    ancestorFees @3 :Int64;
}

struct FeeEstimate {
    # Satoshis per 1000 virtual bytes; 0 when no estimate.
    feeRate @0 :Int64;
    returnedTarget @1 :Int32;
    reason @2 :Text;
}
