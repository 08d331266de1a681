# Types shared by several interfaces.
# File ID and layout match Bitcoin Core's src/ipc/capnp/common.capnp.

@0xcd2c6232cb484a28;

struct BlockRef {
    hash @0 :Data;
    height @1 :Int32;
}
