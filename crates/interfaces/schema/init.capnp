# Bootstrap interface served on every IPC connection.
# File ID, names and ordinals match Bitcoin Core's src/ipc/capnp/init.capnp.

@0xf2c5cfa319406aa6;

using Proxy = import "/mp/proxy.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";
using Rpc = import "rpc.capnp";
using Chain = import "chain.capnp";
using Wallet = import "wallet.capnp";

interface Init {
    construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
    makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
    # Retired ordinal: the server always answers it with an error.
    makeMiningOld2 @2 () -> ();
    makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
    makeRpc @4 (context :Proxy.Context) -> (result :Rpc.Rpc);
    # Not in Core's schema: the wallet process's loader, given the node's chain and the
    # node's command-line arguments (the wallet reads the same configuration).
    makeWalletLoader @5 (context :Proxy.Context, chain :Chain.Chain, args :List(Text)) -> (result :Wallet.WalletLoader);
}
