# Lets another process run JSON-RPC requests on the node.
# File ID and layout match Bitcoin Core's src/ipc/capnp/rpc.capnp.

@0x9c3505dc45e146ac;

using Proxy = import "/mp/proxy.capnp";

interface Rpc {
    executeRpc @0 (context :Proxy.Context, request :Text, uri :Text, user :Text) -> (result :Text);
}
