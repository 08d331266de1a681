# Test interface that returns its argument.
# File ID, names and ordinals match Bitcoin Core's src/ipc/capnp/echo.capnp.

@0x888b4f7f51e691f7;

using Proxy = import "/mp/proxy.capnp";

interface Echo {
    destroy @0 (context :Proxy.Context) -> ();
    echo @1 (context :Proxy.Context, echo :Text) -> (result :Text);
}
