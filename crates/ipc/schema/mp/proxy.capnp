# Runtime interfaces of the IPC layer: thread mapping between processes.
#
# The file ID and every name below match libmultiprocess's include/mp/proxy.capnp,
# so the derived type IDs are the same and a libmultiprocess peer reads our bytes.

@0xcc316e3f71a040fb;

interface ThreadMap {
    # Lets a client create a dedicated server thread per client thread.
    makeThread @0 (name :Text) -> (result :Thread);
    # Asks the server to keep a pool of threads for requests without a thread.
    makePool @1 (count :UInt32) -> ();
}

interface Thread {
    # Handle to one thread; calls naming it in their Context run on it.
    getName @0 () -> (result :Text);
}

struct Context {
    # First parameter of most methods: where the call runs, and where the
    # callee's callbacks to the caller must run.
    thread @0 :Thread;
    callbackThread @1 :Thread;
}
