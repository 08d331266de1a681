//! The IPC runtime against a real child process (`ipc-test-child`).

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipc::Error;
use ipc_testing::{Callback, Foo, Item, Obj};

#[test]
fn values_round_trip() {
    let f = common::spawn();
    assert_eq!(f.foo.echo_data(b"abc".to_vec()).unwrap(), b"abc");
    assert_eq!(f.foo.echo_data(Vec::new()).unwrap(), Vec::<u8>::new());
    let item = Item {
        name: "x".into(),
        amount: 10,
        flag: false,
        payload: vec![1, 2, 3],
    };
    let items = vec![
        Item {
            amount: 5,
            ..Item::default()
        },
        Item {
            amount: 7,
            ..Item::default()
        },
    ];
    let got = f
        .foo
        .round_trip(
            item.clone(),
            items.clone(),
            vec!["a".into(), "b".into()],
            Some(100),
        )
        .unwrap();
    assert_eq!(
        got,
        Item {
            name: "a,b".into(),
            amount: 122,
            flag: true,
            payload: vec![1, 2, 3]
        }
    );
    let got = f.foo.round_trip(item, items, vec![], None).unwrap();
    assert_eq!(
        got,
        Item {
            name: String::new(),
            amount: 21,
            flag: false,
            payload: vec![1, 2, 3]
        }
    );
    assert_eq!(
        f.foo.maybe_text(Some("hi".into())).unwrap(),
        Some("hi".to_string())
    );
    assert_eq!(
        f.foo.maybe_text(Some(String::new())).unwrap(),
        Some(String::new())
    );
    assert_eq!(f.foo.maybe_text(None).unwrap(), None);
    assert_eq!(f.foo.add_no_context(2, 3).unwrap(), 5);
    assert_eq!(
        f.foo.add_no_context(i32::MAX, 1).unwrap_err(),
        Error::Remote("overflow".into())
    );
}

#[test]
fn bitcoin_types_and_maps_round_trip() {
    use bitcoin::hashes::Hash;
    let f = common::spawn();
    let tx = bitcoin::Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![bitcoin::TxIn {
            previous_output: bitcoin::OutPoint {
                txid: bitcoin::Txid::from_byte_array([3; 32]),
                vout: 1,
            },
            witness: bitcoin::Witness::from_slice(&[vec![1u8; 72], vec![2u8; 33]]),
            ..bitcoin::TxIn::default()
        }],
        output: vec![bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(1000),
            script_pubkey: bitcoin::ScriptBuf::new(),
        }],
    };
    let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest).block_hash();
    let got = f
        .foo
        .tx_round_trip(
            tx.clone(),
            vec![tx.clone(), tx.clone()],
            genesis,
            bitcoin::Amount::from_sat(234),
        )
        .unwrap();
    assert_eq!(got.output[0].value, bitcoin::Amount::from_sat(1234));
    assert_eq!(got.input, tx.input);
    let wrong = bitcoin::BlockHash::from_byte_array([0; 32]);
    assert!(matches!(
        f.foo
            .tx_round_trip(tx, vec![], wrong, bitcoin::Amount::ZERO),
        Err(Error::Remote(_))
    ));

    let mut map = std::collections::BTreeMap::new();
    map.insert("a".to_string(), vec![1, 2, 3]);
    map.insert("b".to_string(), vec![]);
    let got = f.foo.map_round_trip(map).unwrap();
    assert_eq!(got.get("a"), Some(&vec![3, 2, 1]));
    assert_eq!(got.get("b"), Some(&vec![]));
    assert!(f.foo.map_round_trip(Default::default()).unwrap().is_empty());
    assert_eq!(
        f.foo.multi_results(3).unwrap(),
        (
            "reason 3".to_string(),
            vec!["0".to_string(), "1".into(), "2".into()],
            false
        )
    );
    assert_eq!(
        f.foo.multi_results(0).unwrap(),
        ("reason 0".to_string(), vec![], true)
    );
}

#[test]
fn remote_errors_and_panics_arrive_as_err() {
    let f = common::spawn();
    assert_eq!(
        f.foo.fail("bad thing".into(), false).unwrap_err(),
        Error::Remote("bad thing".into())
    );
    let e = f.foo.fail("boom".into(), true).unwrap_err();
    assert!(
        matches!(&e, Error::Remote(m) if m.contains("boom")),
        "{e:?}"
    );
    // The child survives both.
    assert_eq!(f.foo.echo_data(vec![9]).unwrap(), vec![9]);
}

#[test]
fn each_client_thread_gets_its_own_server_thread() {
    let f = common::spawn();
    let handles: Vec<_> = (1..=8)
        .map(|i| {
            let client = f.foo.clone();
            std::thread::spawn(move || {
                let name = client.thread_name().unwrap();
                assert_eq!(
                    client.swap_thread_local(i).unwrap(),
                    0,
                    "fresh server thread"
                );
                for _ in 0..20 {
                    assert_eq!(
                        client.swap_thread_local(i).unwrap(),
                        i,
                        "thread-local persists"
                    );
                }
                assert_eq!(
                    client.thread_name().unwrap(),
                    name,
                    "same server thread every call"
                );
                name
            })
        })
        .collect();
    let mut names: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 8, "eight distinct server threads: {names:?}");
}

#[test]
fn callbacks_run_on_the_waiting_client_thread_and_can_reenter() {
    let f = common::spawn();
    assert_eq!(f.foo.swap_thread_local(7).unwrap(), 0);
    let caller = std::thread::current().id();
    let client = f.foo.clone();
    let cb: Arc<dyn Callback> = Arc::new(move |arg: i32| {
        assert_eq!(
            std::thread::current().id(),
            caller,
            "callback runs on the blocked caller"
        );
        // Re-entrant call: runs on the server thread that is blocked in call_back.
        let previous = client.swap_thread_local(8)?;
        Ok(arg * 10 + previous as i32)
    });
    assert_eq!(f.foo.call_back(cb, 4).unwrap(), 47);
    assert_eq!(
        f.foo.swap_thread_local(0).unwrap(),
        8,
        "same server thread saw the nested call"
    );
}

#[test]
fn kept_callbacks_are_called_from_other_threads_and_released() {
    let f = common::spawn();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let main = std::thread::current().id();
    let cb = Arc::new(move |arg: i32| {
        assert_ne!(std::thread::current().id(), main);
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(arg + 1)
    });
    let (a, b) = (cb.clone(), cb.clone());
    f.foo.subscribe(Box::new(move |x| a(x))).unwrap();
    f.foo.subscribe(Box::new(move |x| b(x))).unwrap();
    assert_eq!(f.foo.notify(5).unwrap(), 12);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    f.foo.unsubscribe_all().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Arc::strong_count(&calls) > 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(cb);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Arc::strong_count(&calls) > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        Arc::strong_count(&calls),
        1,
        "the child released both callbacks"
    );
}

#[test]
fn sixteen_mib_payload() {
    let f = common::spawn();
    let payload: Vec<u8> = (0..16 * 1024 * 1024)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    let got = f.foo.echo_data(payload.clone()).unwrap();
    assert_eq!(got.len(), payload.len());
    assert!(got == payload);
}

#[test]
fn ten_thousand_objects_are_destroyed() {
    let f = common::spawn();
    for i in 0..10_000i64 {
        let obj: Box<dyn Obj> = f.foo.make_object(i).unwrap();
        if i % 1000 == 0 {
            assert_eq!(obj.value().unwrap(), i);
        }
    }
    assert_eq!(f.foo.live_objects().unwrap(), 0);
    let kept: Vec<Box<dyn Obj>> = (0..10).map(|i| f.foo.make_object(i).unwrap()).collect();
    assert_eq!(f.foo.live_objects().unwrap(), 10);
    drop(kept);
    assert_eq!(f.foo.live_objects().unwrap(), 0);
}

#[test]
fn killed_child_fails_pending_and_later_calls_within_a_second() {
    let f = common::spawn();
    let client = f.foo.clone();
    let pending = std::thread::spawn(move || {
        let r = client.sleep_millis(30_000);
        (r, Instant::now())
    });
    std::thread::sleep(Duration::from_millis(300));
    let killed_at = Instant::now();
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(
        unsafe { libc::kill(f.child.pid() as i32, libc::SIGKILL) },
        0
    );
    let (result, failed_at) = pending.join().unwrap();
    assert!(matches!(result, Err(Error::Disconnected(_))), "{result:?}");
    let waited = failed_at.duration_since(killed_at);
    assert!(
        waited < Duration::from_secs(1),
        "pending call failed after {waited:?}"
    );
    let started = Instant::now();
    assert!(matches!(
        f.foo.echo_data(vec![1]),
        Err(Error::Disconnected(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!f.child.wait().success());
}

#[test]
fn many_calls_in_flight_from_one_thread() {
    let f = common::spawn();
    let client = f.foo.ipc_client().expect("a proxy");
    let pending: Vec<_> = (0..200u8)
        .map(|i| client.echo_data_send(vec![i; i as usize]).unwrap())
        .collect();
    // Waited for out of order; each gets its own reply.
    let mut pending: Vec<_> = pending.into_iter().enumerate().collect();
    pending.reverse();
    for (i, p) in pending {
        assert_eq!(p.wait().unwrap(), vec![i as u8; i]);
    }
    // Dropped without waiting: the reply is discarded and later calls are unaffected.
    drop(client.echo_data_send(vec![1]).unwrap());
    assert_eq!(client.swap_thread_local_send(5).unwrap().wait().unwrap(), 0);
    assert_eq!(
        f.foo.swap_thread_local(6).unwrap(),
        5,
        "pipelined calls ran on this thread's server thread"
    );
}
