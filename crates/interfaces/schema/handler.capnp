# A registration (notifications, an RPC command) that ends when the handler is dropped.
# Shaped like the unmerged handler.capnp of Core's multiprocess branch; our own IDs.

@0xba80ca2070a8d8d4;

using Proxy = import "/mp/proxy.capnp";

interface Handler {
    destroy @0 (context :Proxy.Context) -> ();
    disconnect @1 (context :Proxy.Context) -> ();
}
