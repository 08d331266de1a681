//! The engine against a hand-driven peer: bad bytes (an error or a dropped connection, the
//! process survives), calls naming no thread (the pool), and calls pipelined on answers.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use capnp::message::{Builder, ReaderOptions};
use ipc::generated::rpc_capnp::{exception, message, return_};
use ipc_testing::{TestInitImpl, TestInitServer};

fn server() -> (ipc::Connection, UnixStream) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let conn = ipc::serve(
        theirs,
        Arc::new(TestInitServer::new(Arc::new(TestInitImpl))),
    )
    .unwrap();
    ours.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    (conn, ours)
}

fn send(stream: &mut UnixStream, b: &Builder<capnp::message::HeapAllocator>) {
    capnp::serialize::write_message(&mut *stream, b).unwrap();
}

/// Reads messages until a Return; gives its exception type, or None for results.
fn read_return(stream: &mut UnixStream) -> Option<exception::Type> {
    loop {
        let msg = capnp::serialize::read_message(&mut *stream, ReaderOptions::new()).unwrap();
        let root = msg.get_root::<message::Reader>().unwrap();
        if let Ok(message::Return(Ok(ret))) = root.which() {
            return match ret.which().unwrap() {
                return_::Exception(e) => {
                    let e = e.unwrap();
                    eprintln!("exception: {:?}", e.get_reason());
                    Some(e.get_type().unwrap())
                }
                _ => None,
            };
        }
    }
}

fn bootstrap(stream: &mut UnixStream, qid: u32) -> Option<exception::Type> {
    let mut b = Builder::new_default();
    b.init_root::<message::Builder>()
        .init_bootstrap()
        .set_question_id(qid);
    send(stream, &b);
    read_return(stream)
}

fn call(
    stream: &mut UnixStream,
    qid: u32,
    export: u32,
    interface: u64,
    method: u16,
    text_params: bool,
) -> Option<exception::Type> {
    let mut b = Builder::new_default();
    {
        let mut c = b.init_root::<message::Builder>().init_call();
        c.set_question_id(qid);
        c.set_interface_id(interface);
        c.set_method_id(method);
        c.reborrow().init_target().set_imported_cap(export);
        let mut content = c.init_params().init_content();
        if text_params {
            content.set_as("not a struct").unwrap();
        }
    }
    send(stream, &b);
    read_return(stream)
}

fn assert_closed(stream: &mut UnixStream, conn: &ipc::Connection) {
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => assert!(Instant::now() < deadline, "connection not closed"),
        }
    }
    while !conn.is_disconnected() {
        assert!(Instant::now() < deadline, "server side not disconnected");
        std::thread::sleep(Duration::from_millis(5));
    }
}

const TEST_INIT_ID: u64 = ipc_testing::generated::test_ipc::test_init::INTERFACE_ID;

#[test]
fn bad_calls_get_exceptions_and_the_connection_lives() {
    let (_conn, mut s) = server();
    assert_eq!(bootstrap(&mut s, 0), None);
    // Unknown method, unknown interface, unknown export.
    assert_eq!(
        call(&mut s, 1, 0, TEST_INIT_ID, 77, false),
        Some(exception::Type::Unimplemented)
    );
    assert_eq!(
        call(&mut s, 2, 0, 0x1234, 1, false),
        Some(exception::Type::Unimplemented)
    );
    assert_eq!(
        call(&mut s, 3, 999, TEST_INIT_ID, 1, false),
        Some(exception::Type::Failed)
    );
    // Params of the wrong type, and a call without the Context it needs.
    assert_eq!(
        call(&mut s, 4, 0, TEST_INIT_ID, 1, true),
        Some(exception::Type::Failed)
    );
    assert_eq!(
        call(&mut s, 5, 0, TEST_INIT_ID, 1, false),
        Some(exception::Type::Failed)
    );
    // Still served.
    assert_eq!(bootstrap(&mut s, 6), None);
}

#[test]
fn garbage_bytes_drop_only_that_connection() {
    let (conn, mut s) = server();
    let garbage: Vec<u8> = (0..256u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    s.write_all(&garbage).unwrap();
    assert_closed(&mut s, &conn);
    // The process, and new connections, are unaffected.
    let (_conn2, mut s2) = server();
    assert_eq!(bootstrap(&mut s2, 0), None);
}

#[test]
fn huge_size_claims_are_refused_without_allocating() {
    let (conn, mut s) = server();
    // One segment of 0x3fff_ffff words (8 GiB).
    s.write_all(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0x3f]).unwrap();
    assert_closed(&mut s, &conn);
    let (conn, mut s) = server();
    // 1,000 segments.
    s.write_all(&999u32.to_le_bytes()).unwrap();
    s.write_all(&[1u8; 8000]).unwrap();
    assert_closed(&mut s, &conn);
}

#[test]
fn unknown_message_types_are_answered_unimplemented() {
    let (_conn, mut s) = server();
    let mut b = Builder::new_default();
    b.init_root::<message::Builder>()
        .init_provide()
        .set_question_id(1);
    send(&mut s, &b);
    let msg = capnp::serialize::read_message(&mut s, ReaderOptions::new()).unwrap();
    let root = msg.get_root::<message::Reader>().unwrap();
    assert!(matches!(root.which(), Ok(message::Unimplemented(_))));
    assert_eq!(bootstrap(&mut s, 0), None);
}

/// Calls `TestInit.makeFoo` with a Context that names no thread.
fn make_foo_without_thread(stream: &mut UnixStream, qid: u32) -> Option<exception::Type> {
    let mut b = Builder::new_default();
    {
        let mut c = b.init_root::<message::Builder>().init_call();
        c.set_question_id(qid);
        c.set_interface_id(TEST_INIT_ID);
        c.set_method_id(1);
        c.reborrow().init_target().set_imported_cap(0);
        let content = c.init_params().init_content();
        let mut params = content
            .init_as::<ipc_testing::generated::test_capnp::test_init::make_foo_params::Builder<
            '_,
        >>();
        params.reborrow().init_context();
    }
    send(stream, &b);
    read_return(stream)
}

#[test]
fn calls_without_a_thread_use_the_pool_once_made() {
    let (_conn, mut s) = server();
    assert_eq!(bootstrap(&mut s, 0), None);
    assert_eq!(
        make_foo_without_thread(&mut s, 1),
        Some(exception::Type::Failed)
    );
    // construct (with no client ThreadMap) returns the server's ThreadMap as export 1.
    assert_eq!(call(&mut s, 2, 0, TEST_INIT_ID, 0, false), None);
    let mut b = Builder::new_default();
    {
        let mut c = b.init_root::<message::Builder>().init_call();
        c.set_question_id(3);
        c.set_interface_id(
            <ipc::proxy_capnp::thread_map::Client as capnp::traits::HasTypeId>::TYPE_ID,
        );
        c.set_method_id(1);
        c.reborrow().init_target().set_imported_cap(1);
        let content = c.init_params().init_content();
        content
            .init_as::<ipc::proxy_capnp::thread_map::make_pool_params::Builder<'_>>()
            .set_count(2);
    }
    send(&mut s, &b);
    assert_eq!(read_return(&mut s), None);
    assert_eq!(make_foo_without_thread(&mut s, 4), None);
    assert_eq!(make_foo_without_thread(&mut s, 5), None);
    // A second pool is refused.
    send(&mut s, &b);
    assert_eq!(read_return(&mut s), Some(exception::Type::Failed));
}

#[test]
fn calls_pipelined_on_a_pending_answer_run_after_it() {
    let (_conn, mut s) = server();
    assert_eq!(bootstrap(&mut s, 0), None);
    assert_eq!(call(&mut s, 1, 0, TEST_INIT_ID, 0, false), None);
    let mut b = Builder::new_default();
    {
        let mut c = b.init_root::<message::Builder>().init_call();
        c.set_question_id(2);
        c.set_interface_id(
            <ipc::proxy_capnp::thread_map::Client as capnp::traits::HasTypeId>::TYPE_ID,
        );
        c.set_method_id(1);
        c.reborrow().init_target().set_imported_cap(1);
        c.init_params()
            .init_content()
            .init_as::<ipc::proxy_capnp::thread_map::make_pool_params::Builder<'_>>()
            .set_count(1);
    }
    send(&mut s, &b);
    assert_eq!(read_return(&mut s), None);
    // makeFoo runs on a pool thread; the echo targets its result before it is returned.
    let mut b = Builder::new_default();
    {
        let mut c = b.init_root::<message::Builder>().init_call();
        c.set_question_id(3);
        c.set_interface_id(TEST_INIT_ID);
        c.set_method_id(1);
        c.reborrow().init_target().set_imported_cap(0);
        c.init_params()
            .init_content()
            .init_as::<ipc_testing::generated::test_capnp::test_init::make_foo_params::Builder<'_>>(
            )
            .init_context();
    }
    send(&mut s, &b);
    let mut b = Builder::new_default();
    {
        let mut c = b.init_root::<message::Builder>().init_call();
        c.set_question_id(4);
        c.set_interface_id(ipc_testing::generated::test_ipc::foo::INTERFACE_ID);
        c.set_method_id(1);
        let mut pa = c.reborrow().init_target().init_promised_answer();
        pa.set_question_id(3);
        pa.init_transform(1).get(0).set_get_pointer_field(0);
        let mut p = c
            .init_params()
            .init_content()
            .init_as::<ipc_testing::generated::test_capnp::foo::echo_data_params::Builder<'_>>(
        );
        p.reborrow().init_context();
        p.set_value(b"pipelined");
    }
    send(&mut s, &b);
    let mut answered = Vec::new();
    while answered.len() < 2 {
        let msg = capnp::serialize::read_message(&mut s, ReaderOptions::new()).unwrap();
        let root = msg.get_root::<message::Reader>().unwrap();
        if let Ok(message::Return(Ok(ret))) = root.which() {
            let ok = matches!(ret.which(), Ok(return_::Results(_)));
            if ret.get_answer_id() == 4 {
                let return_::Results(Ok(p)) = ret.which().unwrap() else {
                    panic!("echo failed")
                };
                let r = p
                    .get_content()
                    .get_as::<ipc_testing::generated::test_capnp::foo::echo_data_results::Reader<'_>>()
                    .unwrap();
                assert_eq!(r.get_result().unwrap(), b"pipelined");
            }
            answered.push((ret.get_answer_id(), ok));
        }
    }
    assert_eq!(answered, vec![(3, true), (4, true)]);
}
