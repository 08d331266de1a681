//! In-process runs of the CLI against canned transport replies.
#![allow(clippy::unwrap_used)]
use super::*;
use crate::transport::Transport;
use std::cell::RefCell;
use std::rc::Rc;

type Log = Rc<RefCell<Vec<(String, String)>>>;
type ReplyFn = Rc<dyn Fn(&str, &str) -> (u16, String)>;

/// Answers every request with `reply(body, uri)` and records it.
struct Canned {
    reply: ReplyFn,
    log: Log,
}

impl Transport for Canned {
    fn call(&self, body: &str, uri: &str) -> Result<(u16, String), TransportError> {
        self.log
            .borrow_mut()
            .push((uri.to_string(), body.to_string()));
        Ok((self.reply)(body, uri))
    }
}

struct FakeConnector {
    reply: ReplyFn,
    log: Log,
    configs: RefCell<Vec<HttpConfig>>,
}

impl Connector for FakeConnector {
    fn http(&self, config: &HttpConfig) -> Box<dyn Transport> {
        self.configs.borrow_mut().push(config.clone());
        Box::new(Canned {
            reply: self.reply.clone(),
            log: self.log.clone(),
        })
    }
}

fn run_with(
    argv: &[&str],
    stdin: &str,
    reply: impl Fn(&str, &str) -> (u16, String) + 'static,
) -> (Outcome, Vec<(String, String)>, Vec<HttpConfig>) {
    let connector = FakeConnector {
        reply: Rc::new(reply),
        log: Rc::new(RefCell::new(Vec::new())),
        configs: RefCell::new(Vec::new()),
    };
    let mut input = stdin.as_bytes();
    let mut env = Env {
        stdin: &mut input,
        stdin_is_terminal: false,
        stdout_is_terminal: false,
        connector: &connector,
        retry_pause: Duration::from_millis(1),
        now: 1_700_000_000,
        live_stderr: None,
        set_echo: None,
    };
    let mut argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    argv.insert(0, "-datadir=/".to_string());
    argv.insert(1, "-noconf".to_string());
    let out = run(&argv, &mut env);
    let log = connector.log.borrow().clone();
    let configs = connector.configs.borrow().clone();
    (out, log, configs)
}

fn ok(result: &str) -> (u16, String) {
    (
        200,
        format!(r#"{{"result":{result},"error":null,"id":"1"}}"#),
    )
}

#[test]
fn ports_hosts_and_credentials() {
    let (out, _, cfg) = run_with(
        &["-testnet4", "-rpcpassword=p", "getblockcount"],
        "",
        |_, _| ok("3"),
    );
    assert_eq!(out.stdout, "3\n");
    assert_eq!(cfg[0].host, "127.0.0.1");
    assert_eq!(cfg[0].port, 48332);
    assert_eq!(cfg[0].credentials, Credentials::Password(":p".into()));
    assert_eq!(cfg[0].timeout, Some(Duration::from_secs(900)));
    let (out, _, cfg) = run_with(
        &[
            "-rpcconnect=[::1]:5000",
            "-rpcport=6000",
            "-rpcclienttimeout=0",
            "getblockcount",
        ],
        "",
        |_, _| ok("3"),
    );
    assert_eq!(
        out.stderr,
        "Warning: Port specified in both -rpcconnect and -rpcport. Using -rpcport 6000\n"
    );
    assert_eq!((cfg[0].host.as_str(), cfg[0].port), ("::1", 6000));
    assert_eq!(cfg[0].timeout, None);
    assert_eq!(
        cfg[0].credentials,
        Credentials::Cookie(Some("/.cookie".into()))
    );
    let (out, _, _) = run_with(&["-rpcport=0", "getblockcount"], "", |_, _| ok("3"));
    assert_eq!(out.stderr, "error: Invalid port provided in -rpcport: 0\n");
    let (out, _, _) = run_with(&["-rpcconnect=a:b:c", "getblockcount"], "", |_, _| ok("3"));
    assert_eq!(out.code, 0, "multi-colon host without brackets is a host");
    let (out, _, _) = run_with(&["-rpcconnect=host:0", "getblockcount"], "", |_, _| ok("3"));
    assert_eq!(
        out.stderr,
        "error: Invalid port provided in -rpcconnect: host:0\n"
    );
}

#[test]
fn status_handling() {
    let (out, _, _) = run_with(&["x"], "", |_, _| (503, "busy".into()));
    assert_eq!(out.stderr, "error: Server response: busy\n");
    let (out, _, _) = run_with(&["x"], "", |_, _| (403, String::new()));
    assert_eq!(out.stderr, "error: server returned HTTP error 403\n");
    let (out, _, _) = run_with(&["x"], "", |_, _| (200, String::new()));
    assert_eq!(out.stderr, "error: no response from server\n");
    let (out, _, _) = run_with(&["x"], "", |_, _| (200, "nope".into()));
    assert_eq!(out.stderr, "error: couldn't parse reply from server\n");
    let (out, _, _) = run_with(&["x"], "", |_, _| (200, "{}".into()));
    assert_eq!(
        out.stderr,
        "error: expected reply to have result, error and id properties\n"
    );
    let (out, _, _) = run_with(&["x"], "", |_, _| {
        (
            404,
            r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":"1"}"#
                .into(),
        )
    });
    assert_eq!(out.code, 32601);
}

#[test]
fn warmup_is_retried_only_with_rpcwait() {
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    let reply = move |_: &str, _: &str| {
        *c.borrow_mut() += 1;
        if *c.borrow() < 3 {
            (
                500,
                r#"{"result":null,"error":{"code":-28,"message":"Loading"},"id":"1"}"#.to_string(),
            )
        } else {
            ok("\"done\"")
        }
    };
    let (out, log, _) = run_with(&["-rpcwait", "x"], "", reply);
    assert_eq!(out.stdout, "done\n");
    assert_eq!(log.len(), 3);
    let (out, _, _) = run_with(&["x"], "", |_, _| {
        (
            500,
            r#"{"result":null,"error":{"code":-28,"message":"Loading"},"id":"1"}"#.to_string(),
        )
    });
    assert_eq!(out.stderr, "error code: -28\nerror message:\nLoading\n");
    assert_eq!(out.code, 28);
}

#[test]
fn getinfo_with_several_wallets() {
    let reply = |body: &str, uri: &str| -> (u16, String) {
        if body.starts_with('[') {
            (200, r#"[{"result":{"version":1,"networks":[],"warnings":"careful"},"id":0},{"result":{"chain":"main","verificationprogress":0.25},"id":1},{"result":{"walletname":"a","keypoolsize":1},"id":2},{"result":{"mine":{"trusted":1.5}},"id":3}]"#.into())
        } else if body.contains("listwallets") {
            ok(r#"["a","b c"]"#)
        } else if uri == "/wallet/a" {
            ok(r#"{"mine":{"trusted":1.50000000}}"#)
        } else {
            ok(r#"{"mine":{"trusted":0.00000000}}"#)
        }
    };
    let (out, log, _) = run_with(&["-getinfo"], "", reply);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(&format!(
        "Verification progress: {}{} 25.0000%\n",
        "\u{2592}".repeat(5),
        "\u{2591}".repeat(15)
    )));
    assert!(out.stdout.contains("Wallet: a\nKeypool size: 1\nBalance: 1.5\n\nBalances\n1.50000000 a\n0.00000000 b c\n\nWarnings: careful\n"));
    assert_eq!(log[2].0, "/wallet/a");
    assert_eq!(log[3].0, "/wallet/b%20c");
    let (out, _, _) = run_with(&["-getinfo", "-color=sometimes"], "", reply);
    assert_eq!(
        out.stderr,
        "error: Invalid value for -color option. Valid values: always, auto, never.\n"
    );
    let (out, _, _) = run_with(&["-getinfo", "x"], "", reply);
    assert_eq!(out.stderr, "error: -getinfo takes no arguments\n");
}

#[test]
fn generate_and_netinfo_and_addrinfo() {
    let reply = |body: &str, _: &str| -> (u16, String) {
        if body.contains("getnewaddress") {
            ok("\"bcrt1qaddr\"")
        } else if body.contains("generatetoaddress") {
            ok(r#"["h1"]"#)
        } else if body.contains("getaddrmaninfo") {
            ok(r#"{"ipv4":{"total":4},"all_networks":{"total":4}}"#)
        } else {
            (200, r#"[{"result":[],"id":0},{"result":{"version":310000,"protocolversion":70016,"subversion":"/S/","localservicesnames":[],"networks":[],"localaddresses":[{"address":"1.2.3.4","port":8333,"score":1}]},"id":1}]"#.into())
        }
    };
    let (out, log, _) = run_with(&["-generate", "2", "10"], "", reply);
    assert_eq!(
        out.stdout,
        "{\n  \"address\": \"bcrt1qaddr\",\n  \"blocks\": [\n    \"h1\"\n  ]\n}\n"
    );
    assert!(log[1].1.contains(r#""params":[2,"bcrt1qaddr",10],"id":1"#));
    let (out, _, _) = run_with(&["-netinfo"], "", reply);
    assert_eq!(
        out.stdout,
        format!("Bitcoin Core client {} - server 70016/S/\n\n        total   block\nin          0\nout         0       0\ntotal       0\n\nLocal services: \n\nLocal addresses\n1.2.3.4     port   8333    score      1\n", crate::version::CLIENT_BUILD)
    );
    let (out, _, _) = run_with(&["-netinfo", "help"], "", reply);
    assert!(out
        .stdout
        .starts_with("-netinfo (level [outonly]) | help\n"));
    let (out, _, _) = run_with(&["-addrinfo"], "", reply);
    assert_eq!(
        out.stdout,
        "{\n  \"addresses_known\": {\n    \"ipv4\": 4,\n    \"total\": 4\n  }\n}\n"
    );
}

#[test]
fn stdin_options() {
    let (out, log, cfg) = run_with(
        &[
            "-rpcuser=u",
            "-stdinrpcpass",
            "-stdinwalletpassphrase",
            "walletpassphrase",
            "60",
        ],
        "pw\nsecret\n",
        |_, _| ok("null"),
    );
    assert_eq!(out, Outcome::default());
    assert_eq!(cfg[0].credentials, Credentials::Password("u:pw".into()));
    assert!(log[0].1.contains(r#""params":["secret",60]"#));
    let (out, _, _) = run_with(&["-stdinwalletpassphrase", "getbalance"], "", |_, _| {
        ok("1")
    });
    assert_eq!(
        out.stderr,
        "error: -stdinwalletpassphrase is only applicable for walletpassphrase(change)\n"
    );
    let (out, _, _) = run_with(&["-stdinrpcpass", "getbalance"], "", |_, _| ok("1"));
    assert_eq!(
        out.stderr,
        "error: -stdinrpcpass specified but failed to read from standard input\n"
    );
}

#[test]
fn lone_dash_is_skipped_like_core() {
    let (out, log, _) = run_with(&["-", "getblockcount"], "", |_, _| ok("5"));
    assert_eq!(out.stdout, "5\n");
    assert!(log[0].1.contains("\"getblockcount\""));
}

#[test]
fn named_with_rpcid() {
    let (_, log, _) = run_with(
        &["-named", "-rpcid=abc", "echo", "arg1=x", "y"],
        "",
        |_, _| ok("null"),
    );
    assert_eq!(
        log[0].1,
        "{\"method\":\"echo\",\"params\":{\"arg1\":\"x\",\"args\":[\"y\"]},\"id\":\"abc\",\"jsonrpc\":\"2.0\"}\n"
    );
}
