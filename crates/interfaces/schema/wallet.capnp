# The wallet process's loader (Core's interfaces::WalletLoader). Our own IDs.

@0xf3145cddfef66f31;

using Proxy = import "/mp/proxy.capnp";

interface WalletLoader {
    destroy @0 (context :Proxy.Context) -> ();
    # Verifies -wallet files, registers the RPC commands and loads the startup wallets.
    load @1 (context :Proxy.Context) -> (result :Text);
    # Starts periodic tasks (relocking, resending).
    start @2 (context :Proxy.Context) -> ();
    flush @3 (context :Proxy.Context) -> ();
    stop @4 (context :Proxy.Context) -> ();
    listWalletNames @5 (context :Proxy.Context) -> (result :List(Text));
}
