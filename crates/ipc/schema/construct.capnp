# Helper structs of the IPC runtime itself.
#
# Every libmultiprocess bootstrap interface (Core's Init) has, as method @0,
# `construct (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap)`.
# These structs have the same layout as those params and results, so the
# runtime can serve and call `construct` whatever the bootstrap interface is.

@0xc76bfcd13f43433c;

using Proxy = import "/mp/proxy.capnp";

struct ConstructParams {
    threadMap @0 :Proxy.ThreadMap;
}

struct ConstructResults {
    threadMap @0 :Proxy.ThreadMap;
}
