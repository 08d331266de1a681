//! Plain capnp-rpc echo between two processes: the baseline that `ipc-bench` is compared with.
//!
//! `capnp-rpc-echo [--runs N]` spawns itself as the server over a socketpair and prints
//! µs per call for one call at a time and for 16 calls in flight.

use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::time::Instant;

use capnp_rpc::{rpc_twoparty_capnp::Side, twoparty, RpcSystem};
use futures::future::join_all;
use interfaces::generated::echo_capnp::echo;
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

struct EchoImpl;

impl echo::Server for EchoImpl {
    async fn echo(
        self: capnp::capability::Rc<Self>,
        params: echo::EchoParams,
        mut results: echo::EchoResults,
    ) -> Result<(), capnp::Error> {
        let text = params.get()?.get_echo()?.to_str()?.to_string();
        results.get().set_result(&text[..]);
        Ok(())
    }
}

fn network(std: std::os::unix::net::UnixStream, side: Side) -> Result<twoparty::VatNetwork<tokio_util::compat::Compat<tokio::net::unix::OwnedReadHalf>>, Box<dyn std::error::Error>> {
    std.set_nonblocking(true)?;
    let stream = tokio::net::UnixStream::from_std(std)?;
    let (r, w) = stream.into_split();
    Ok(twoparty::VatNetwork::new(r.compat(), w.compat_write(), side, Default::default()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    let _guard = rt.enter();
    if args.first().map(String::as_str) == Some("--server") {
        let fd0 = unsafe { std::os::fd::BorrowedFd::borrow_raw(0) }.try_clone_to_owned()?;
        let net = network(std::os::unix::net::UnixStream::from(fd0), Side::Server)?;
        let client: echo::Client = capnp_rpc::new_client(EchoImpl);
        let system = RpcSystem::new(Box::new(net), Some(client.client));
        local.block_on(&rt, system).ok();
        return Ok(());
    }
    let runs: usize = match args.as_slice() {
        [flag, n] if flag == "--runs" => n.parse().unwrap_or(5),
        _ => 5,
    };
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--server")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .spawn()?;
    local.block_on(&rt, async move {
        let net = network(ours, Side::Client)?;
        let mut system = RpcSystem::new(Box::new(net), None);
        let echo: echo::Client = system.bootstrap(Side::Server);
        tokio::task::spawn_local(system);
        let call = |echo: echo::Client| async move {
            let mut req = echo.echo_request();
            req.get().set_echo("");
            let reply = req.send().promise.await?;
            let n = reply.get()?.get_result()?.len();
            Ok::<usize, capnp::Error>(n)
        };
        for _ in 0..1000 {
            call(echo.clone()).await?;
        }
        let calls = 20_000;
        let mut single = Vec::new();
        let mut inflight = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            for _ in 0..calls {
                call(echo.clone()).await?;
            }
            single.push(t.elapsed().as_secs_f64() * 1e6 / calls as f64);
            let t = Instant::now();
            for _ in 0..calls / 16 {
                for r in join_all((0..16).map(|_| call(echo.clone()))).await {
                    r?;
                }
            }
            inflight.push(t.elapsed().as_secs_f64() * 1e6 / (calls / 16 * 16) as f64);
        }
        println!("plain capnp-rpc echo, empty (no thread mapping): {:.1} us/call", median(single));
        println!("plain capnp-rpc, 16 calls in flight: {:.1} us/call (wall)", median(inflight));
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}
