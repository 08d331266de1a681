# Interfaces used only by the IPC runtime's own integration tests.
# They exercise what Core's interfaces do not: callbacks, many objects, blocking calls.

@0x84d08cc6e1fdd14b;

using Proxy = import "/mp/proxy.capnp";

interface TestInit {
    construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
    makeFoo @1 (context :Proxy.Context) -> (result :Foo);
}

interface Foo {
    destroy @0 (context :Proxy.Context) -> ();
    # Returns its argument.
    echoData @1 (context :Proxy.Context, value :Data) -> (result :Data);
    # Stores a value in a thread-local of the executing thread; returns the old one.
    swapThreadLocal @2 (context :Proxy.Context, value :Int64) -> (result :Int64);
    # Name of the executing OS thread and its kernel thread id.
    threadName @3 (context :Proxy.Context) -> (result :Text);
    # Calls the callback with arg and returns what it returned.
    callBack @4 (context :Proxy.Context, callback :Callback, arg :Int32) -> (result :Int32);
    # Creates an object; dropping the returned proxy destroys it.
    makeObject @5 (context :Proxy.Context, value :Int64) -> (result :Obj);
    # Objects created by makeObject and not destroyed yet.
    liveObjects @6 (context :Proxy.Context) -> (result :UInt64);
    # Blocks the executing thread.
    sleepMillis @7 (context :Proxy.Context, millis :UInt32) -> ();
    # Returns an error, or panics when panic is true.
    fail @8 (context :Proxy.Context, message :Text, panic :Bool) -> ();
    # Runs without a context, on the connection's event loop.
    addNoContext @9 (a :Int32, b :Int32) -> (result :Int32);
    # Keeps the callback and calls it later from another thread.
    subscribe @10 (context :Proxy.Context, callback :Callback) -> ();
    # Calls every kept callback with arg; returns the sum of their results.
    notify @11 (context :Proxy.Context, arg :Int32) -> (result :Int32);
    # Drops every kept callback.
    unsubscribeAll @12 (context :Proxy.Context) -> ();
    # Values of several types in one call, combined into one Item.
    roundTrip @13 (context :Proxy.Context, item :Item, items :List(Item), names :List(Text), maybe :Int32, hasMaybe :Bool)
        -> (result :Item);
    # An optional text in and out: null stays null.
    maybeText @14 (context :Proxy.Context, value :Text) -> (result :Text);
    # Bitcoin types as consensus-serialized Data; returns tx with amount added to output 0.
    txRoundTrip @15 (context :Proxy.Context, tx :Data, txs :List(Data), hash :Data, amount :Int64) -> (result :Data);
    # A map as a list of entries; returns it with every value reversed.
    mapRoundTrip @16 (context :Proxy.Context, values :List(Entry)) -> (result :List(Entry));
    # Several results at once, as Mining.checkBlock has (reason, debug, result).
    multiResults @17 (context :Proxy.Context, a :Int32) -> (reason :Text, names :List(Text), result :Bool);
}

interface Callback {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, arg :Int32) -> (result :Int32);
}

interface Obj {
    destroy @0 (context :Proxy.Context) -> ();
    value @1 (context :Proxy.Context) -> (result :Int64);
}

struct Item {
    name @0 :Text;
    amount @1 :Int64;
    flag @2 :Bool;
    payload @3 :Data;
}

struct Entry {
    key @0 :Text;
    value @1 :Data;
}
