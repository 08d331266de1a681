//! IPC benchmark: echo and callback round trips through the full threading model, beside
//! a raw socketpair ping-pong between two processes measured in the same run.
//!
//! Usage: `ipc-bench [--runs N]`; prints one line per figure and a final summary line
//! `echo_empty_us=<median> raw_roundtrip_us=<median> ratio=<echo/raw>`.
//! bench/ipc.sh runs it unpinned and pinned to one CPU.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::Instant;

use interfaces::{Echo, Init, InitClient};
use ipc_testing::{Callback, Foo, TestInit, TestInitClient};

fn sibling(name: &str) -> PathBuf {
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from(name));
    me.with_file_name(name)
}

/// Median of `runs` measurements of `calls` calls of `f`, in microseconds per call.
fn measure(runs: usize, calls: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..calls.min(100) {
        f();
    }
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / calls as f64
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Median µs per call (wall time) with `threads` client threads each making `calls` calls.
fn measure_threads(
    runs: usize,
    calls: usize,
    threads: usize,
    make: impl Fn() -> Box<dyn FnMut() + Send>,
) -> f64 {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let mut fs: Vec<_> = (0..threads).map(|_| make()).collect();
            for f in &mut fs {
                f();
            }
            let t = Instant::now();
            std::thread::scope(|s| {
                for mut f in fs {
                    s.spawn(move || {
                        for _ in 0..calls {
                            f();
                        }
                    });
                }
            });
            t.elapsed().as_secs_f64() * 1e6 / (calls * threads) as f64
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn raw_child() -> ExitCode {
    // Our stdin is one end of a socketpair: echo every byte back.
    let mut s = std::io::stdin().lock();
    let mut out = std::io::stdout();
    let _ = &mut out;
    let mut buf = [0u8; 1];
    // SAFETY: fd 0 is the socket the parent gave us; we only write to it.
    let fd0 = unsafe { std::os::fd::BorrowedFd::borrow_raw(0) };
    let Ok(owned) = fd0.try_clone_to_owned() else {
        return ExitCode::FAILURE;
    };
    let mut w = UnixStream::from(owned);
    while s.read_exact(&mut buf).is_ok() {
        if w.write_all(&buf).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

fn raw_roundtrip(runs: usize, calls: usize) -> std::io::Result<f64> {
    let (mut ours, theirs) = UnixStream::pair()?;
    let me = std::env::current_exe()?;
    let mut child = Command::new(me)
        .arg("--raw-child")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .spawn()?;
    let mut b = [7u8; 1];
    let us = measure(runs, calls, || {
        let _ = ours.write_all(&b);
        let _ = ours.read_exact(&mut b);
    });
    drop(ours);
    let _ = child.wait();
    Ok(us)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--raw-child") {
        return raw_child();
    }
    let runs = match args.as_slice() {
        [flag, n] if flag == "--runs" => n.parse().unwrap_or(5),
        _ => 5,
    };
    match run(runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipc-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let raw = raw_roundtrip(runs, 20_000)?;
    println!("raw socketpair round trip, 1 byte, 2 processes: {raw:.1} us");

    let node = ipc::spawn(&sibling("bitcoin-node"))?;
    let init: InitClient = ipc::process::bootstrap(node.connection())?;
    let echo: Arc<dyn Echo> = Arc::from(init.make_echo()?);

    let mut results = Vec::new();
    for (label, size, calls) in [
        ("empty", 0usize, 20_000),
        ("1 KiB", 1024, 10_000),
        ("1 MiB", 1 << 20, 200),
    ] {
        let s = "x".repeat(size);
        let us = measure(runs, calls, || {
            let _ = echo.echo(s.clone());
        });
        println!(
            "echo {label}, 1 client thread: {us:.1} us/call, {:.0} calls/s",
            1e6 / us
        );
        results.push((label, us));
    }
    for (label, size, calls) in [
        ("empty", 0usize, 5_000),
        ("1 KiB", 1024, 5_000),
        ("1 MiB", 1 << 20, 50),
    ] {
        let s = "x".repeat(size);
        let us = measure_threads(runs, calls, 4, || {
            let e = echo.clone();
            let s = s.clone();
            Box::new(move || {
                let _ = e.echo(s.clone());
            })
        });
        println!(
            "echo {label}, 4 client threads: {us:.1} us/call (wall), {:.0} calls/s",
            1e6 / us
        );
    }

    if let Some(client) = echo.ipc_client() {
        for window in [16usize, 256] {
            let calls = 20_000;
            let us = measure(runs, 1, || {
                let mut pending = std::collections::VecDeque::with_capacity(window);
                for _ in 0..calls {
                    if pending.len() == window {
                        if let Some(p) = pending.pop_front() {
                            let _: ipc::client::Pending<String> = p;
                            let _ = p.wait();
                        }
                    }
                    if let Ok(p) = client.echo_send(String::new()) {
                        pending.push_back(p);
                    }
                }
                for p in pending {
                    let _ = p.wait();
                }
            }) / calls as f64;
            println!("echo empty, pipelined from 1 thread, {window} in flight: {us:.1} us/call (wall), {:.0} calls/s", 1e6 / us);
        }
    }

    let child = ipc::spawn(&sibling("ipc-test-child"))?;
    let tinit: TestInitClient = ipc::process::bootstrap(child.connection())?;
    let target: Arc<dyn Foo> = Arc::from(tinit.make_foo()?);
    let cb: Arc<dyn Callback> = Arc::new(|x: i32| Ok(x));
    let callback_us = measure(runs, 5_000, || {
        let _ = target.call_back(cb.clone(), 1);
    });
    let plain_us = measure(runs, 20_000, || {
        let _ = target.add_no_context(1, 2);
    });
    println!("callback round trip (call that calls back once): {callback_us:.1} us");
    println!("event-loop call without thread mapping (no Context): {plain_us:.1} us");

    let echo_empty = results[0].1;
    println!(
        "echo_empty_us={echo_empty:.1} raw_roundtrip_us={raw:.1} ratio={:.2}",
        echo_empty / raw
    );
    drop(target);
    drop(tinit);
    drop(echo);
    drop(init);
    Ok(())
}
