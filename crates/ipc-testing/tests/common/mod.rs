//! Shared by the integration tests: spawning the test child.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use ipc_testing::{Foo, TestInit, TestInitClient};

/// A spawned `ipc-test-child` and a `Foo` made in it.
pub struct Fixture {
    pub foo: Arc<dyn Foo>,
    pub init: TestInitClient,
    pub child: ipc::Child,
}

pub fn spawn() -> Fixture {
    let exe = Path::new(env!("CARGO_BIN_EXE_ipc-test-child"));
    let child = ipc::spawn(exe).expect("spawn child");
    let init: TestInitClient = ipc::process::bootstrap(child.connection()).expect("bootstrap");
    let made: Arc<dyn Foo> = Arc::from(init.make_foo().expect("make_foo"));
    Fixture {
        foo: made,
        init,
        child,
    }
}
