//! The command-line flow: options, help, credentials, the call, and the output.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::ChainType;

use crate::args::{self, cli_args_manager};
use crate::getinfo::{self, GetinfoHandler};
use crate::handlers::{self, AddrinfoHandler, DefaultHandler, GenerateHandler, RequestHandler};
use crate::http::{client_timeout, parse_u16, split_host_port};
use crate::json::Value;
use crate::netinfo::{self, NetinfoHandler};
use crate::transport::{Connector, Credentials, HttpConfig, IpcConnect, TransportError};
use crate::version::{license_info, CLIENT_BUILD};
use common::args::ConfigMessage;
use common::ArgsManager;

/// `RPC_IN_WARMUP`.
const RPC_IN_WARMUP: i64 = -28;
/// `RPC_WALLET_NOT_SPECIFIED`.
const RPC_WALLET_NOT_SPECIFIED: i64 = -19;

/// What the process would print and return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Exit status.
    pub code: i32,
    /// Text for standard output.
    pub stdout: String,
    /// Text for standard error.
    pub stderr: String,
}

/// The process environment the CLI runs in.
pub struct Env<'a> {
    /// Standard input.
    pub stdin: &'a mut dyn BufRead,
    /// Whether standard input is a terminal (prompts are shown then).
    pub stdin_is_terminal: bool,
    /// Whether standard output is a terminal (`-color=auto` colours then).
    pub stdout_is_terminal: bool,
    /// Makes transports.
    pub connector: &'a dyn Connector,
    /// Pause between `-rpcwait` attempts.
    pub retry_pause: Duration,
    /// Current time in seconds since the epoch (for `-netinfo` ages).
    pub now: i64,
    /// Where prompts and warnings go as they happen; when `None` they are
    /// collected in [`Outcome::stderr`].
    pub live_stderr: Option<&'a mut dyn std::io::Write>,
    /// Turns terminal echo of standard input off (`false`) and back on, for
    /// reading passwords; used only when standard input is a terminal.
    pub set_echo: Option<&'a dyn Fn(bool)>,
}

/// An error while talking to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CallError {
    /// Unreachable or still warming up; retried with `-rpcwait`.
    Connection(String),
    /// Anything else.
    Fatal(String),
}

impl From<String> for CallError {
    fn from(s: String) -> CallError {
        CallError::Fatal(s)
    }
}

impl CallError {
    fn message(self) -> String {
        match self {
            CallError::Connection(m) | CallError::Fatal(m) => m,
        }
    }
}

/// The usage text printed by `-help`.
fn usage(help: &str) -> String {
    let mut s = format!("Bitcoin Core RPC client version {CLIENT_BUILD}\n");
    s += "\n\
bitcoin-cli talks to a Bitcoin Core RPC server from the command line.\n\
\nWith it you can look at the network, handle wallets, build or send transactions, and manage the Bitcoin Core server.\n\
\nThe \"help\" command lists every command, and \"help <command>\" explains one of them.\n\
With -named, parameters are given as key=value, so positional parameters you do not need can be left out.\n\
\n\
Usage: bitcoin-cli [options] <command> [params]\n\
or:    bitcoin-cli [options] -named <command> [name=value]...\n\
or:    bitcoin-cli [options] help\n\
or:    bitcoin-cli [options] help <command>\n\
\n";
    s += "\n";
    s += help;
    s
}

/// Runs bitcoin-cli with `argv` (without the program name).
pub fn run(argv: &[String], env: &mut Env<'_>) -> Outcome {
    let mut out = Outcome::default();
    let mut args = cli_args_manager();
    if let Err(e) = args.parse_parameters(argv.iter().cloned()) {
        out.stderr = format!("Error parsing command line arguments: {e}\n");
        out.code = 1;
        return out;
    }
    let version = args.get_bool_arg("-version", false);
    if argv.is_empty() || args.help_requested() || version {
        if version {
            out.stdout = format!("Bitcoin Core RPC client version {CLIENT_BUILD}\n");
            out.stdout += &common::strutil::format_paragraph(&license_info(), 79, 0);
        } else {
            out.stdout = usage(&args.get_help_message());
        }
        if argv.is_empty() {
            out.stderr = "Error: too few parameters\n".to_string();
            out.code = 1;
        }
        return out;
    }
    if !args.check_data_dir_option() {
        out.stderr = format!(
            "Error: Specified data directory \"{}\" does not exist.\n",
            args.get_arg_or("-datadir", "")
        );
        out.code = 1;
        return out;
    }
    match args.read_config_files() {
        Ok(messages) => {
            // Core's client has no log; only direct warnings reach the terminal.
            for m in messages {
                if let ConfigMessage::Stderr(text) = m {
                    out.stderr += &text;
                    out.stderr.push('\n');
                }
            }
        }
        Err(e) => {
            out.stderr = format!("Error reading configuration file: {e}\n");
            out.code = 1;
            return out;
        }
    }
    let chain = match args.get_chain_type() {
        Ok(c) => {
            args.select_config_network(c);
            c
        }
        Err(e) => {
            out.stderr = format!("Error: {e}\n");
            out.code = 1;
            return out;
        }
    };
    // Like Core, the command is what follows the leading switches (a lone
    // `-` ends option parsing but is itself skipped here).
    let command = argv
        .iter()
        .skip_while(|a| a.starts_with('-'))
        .cloned()
        .collect();
    let mut session = Session {
        args,
        command,
        chain,
        env,
        stdout: String::new(),
        stderr: String::new(),
    };
    let (code, text) = session.command_line_rpc();
    out.stdout = session.stdout;
    out.stderr += &session.stderr;
    out.code = code;
    if !text.is_empty() {
        if code == 0 {
            out.stdout += &text;
            out.stdout.push('\n');
        } else {
            out.stderr += &text;
            out.stderr.push('\n');
        }
    }
    out
}

struct Session<'e, 'a> {
    args: ArgsManager,
    /// The method and its arguments from the command line.
    command: Vec<String>,
    chain: ChainType,
    env: &'e mut Env<'a>,
    stdout: String,
    stderr: String,
}

/// Reads one line without its newline; `None` at end of input.
fn read_line(input: &mut dyn BufRead) -> Option<String> {
    let mut buf = Vec::new();
    match input.read_until(b'\n', &mut buf) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            Some(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

impl Session<'_, '_> {
    /// Reads one line with terminal echo off.
    fn read_secret(&mut self) -> Option<String> {
        let echo = self.env.set_echo.filter(|_| self.env.stdin_is_terminal);
        if let Some(set) = echo {
            set(false);
        }
        let line = read_line(self.env.stdin);
        if let Some(set) = echo {
            set(true);
        }
        line
    }

    /// Writes to standard error now if possible, else to the collected text.
    fn note(&mut self, text: &str) {
        match self.env.live_stderr.as_mut() {
            Some(w) => {
                // A closed stderr leaves nothing better to do.
                let _ = w.write_all(text.as_bytes());
                let _ = w.flush();
            }
            None => self.stderr += text,
        }
    }

    fn default_handler(&self) -> DefaultHandler {
        DefaultHandler {
            named: self.args.get_bool_arg("-named", false),
            id: self.args.get_arg_or("-rpcid", args::DEFAULT_RPC_REQ_ID),
        }
    }

    /// `-rpcwallet`, unless negated.
    fn wallet_name(&self) -> Option<String> {
        if self.args.is_arg_negated("-rpcwallet") {
            None
        } else {
            self.args.get_arg("-rpcwallet")
        }
    }

    /// Core's `CommandLineRPC`: returns the exit code and the text to print.
    fn command_line_rpc(&mut self) -> (i32, String) {
        match self.command_line_rpc_inner() {
            Ok(r) => r,
            Err(e) => (1, format!("error: {}", e.message())),
        }
    }

    fn command_line_rpc_inner(&mut self) -> Result<(i32, String), CallError> {
        let mut args: Vec<String> = self.command.clone();
        if self.args.get_bool_arg("-stdinrpcpass", false) {
            if self.env.stdin_is_terminal {
                self.note("RPC password> ");
            }
            let pass = self.read_secret().ok_or_else(|| {
                "-stdinrpcpass specified but failed to read from standard input".to_string()
            })?;
            if self.env.stdin_is_terminal {
                self.stdout.push('\n');
            }
            self.args.force_set_arg("-rpcpassword", &pass);
        }
        if self.args.get_bool_arg("-stdinwalletpassphrase", false) {
            if !args
                .first()
                .is_some_and(|a| a.starts_with("walletpassphrase"))
            {
                return Err(
                    "-stdinwalletpassphrase is only applicable for walletpassphrase(change)"
                        .to_string()
                        .into(),
                );
            }
            if self.env.stdin_is_terminal {
                self.note("Wallet passphrase> ");
            }
            let pass = self.read_secret().ok_or_else(|| {
                "-stdinwalletpassphrase specified but failed to read from standard input"
                    .to_string()
            })?;
            if self.env.stdin_is_terminal {
                self.stdout.push('\n');
            }
            args.insert(1, pass);
        }
        if self.args.get_bool_arg("-stdin", false) {
            while let Some(line) = read_line(self.env.stdin) {
                args.push(line);
            }
            if self.env.stdin_is_terminal {
                self.stdout.push('\n');
            }
        }
        self.args
            .check_multiple_cli_args()
            .map_err(|e| CallError::Fatal(e.to_string()))?;

        let mut method = String::new();
        let mut handler: Box<dyn RequestHandler> = if self.args.get_bool_arg("-getinfo", false) {
            Box::new(GetinfoHandler)
        } else if self.args.get_bool_arg("-netinfo", false) {
            if args.first().is_some_and(|a| a == "h" || a == "help") {
                self.stdout += &netinfo::help_text();
                self.stdout.push('\n');
                return Ok((0, String::new()));
            }
            Box::new(NetinfoHandler::new(CLIENT_BUILD, self.chain, self.env.now))
        } else if self.args.get_bool_arg("-generate", false) {
            let mut rh = self.default_handler();
            let wallet = self.wallet_name();
            let reply = self.connect_and_call(&mut rh, "getnewaddress", &[], wallet.as_deref())?;
            let error = reply.get("error");
            if !error.is_null() {
                return parse_error(error).map_err(CallError::Fatal);
            }
            let address = reply.get("result").get_str()?.to_string();
            args = handlers::generate_args(&address, args)?;
            Box::new(GenerateHandler::default())
        } else if self.args.get_bool_arg("-addrinfo", false) {
            Box::new(AddrinfoHandler)
        } else {
            if args.is_empty() {
                return Err("too few parameters (need at least command)"
                    .to_string()
                    .into());
            }
            method = args.remove(0);
            Box::new(self.default_handler())
        };

        let wallet = self.wallet_name();
        let reply = self.connect_and_call(handler.as_mut(), &method, &args, wallet.as_deref())?;
        let mut result = reply.get("result").clone();
        let error = reply.get("error");
        if !error.is_null() {
            return parse_error(error).map_err(CallError::Fatal);
        }
        if self.args.get_bool_arg("-getinfo", false) {
            if wallet.is_none() {
                self.wallet_balances(&mut result)?;
            }
            if result.get("error").is_null() {
                let colorize =
                    match self.args.get_arg_or("-color", "auto").as_str() {
                        "always" => true,
                        "never" => false,
                        "auto" => self.env.stdout_is_terminal,
                        _ => return Err(
                            "Invalid value for -color option. Valid values: always, auto, never."
                                .to_string()
                                .into(),
                        ),
                    };
                result = Value::String(getinfo::render(&result, colorize)?);
            }
        }
        Ok((0, result_text(&result)))
    }

    /// Adds `balances` (per wallet) to `result` when more than one wallet is loaded.
    fn wallet_balances(&mut self, result: &mut Value) -> Result<(), CallError> {
        let mut rh = self.default_handler();
        let list = self.connect_and_call(&mut rh, "listwallets", &[], None)?;
        if !list.get("error").is_null() {
            return Ok(());
        }
        let wallets = list.get("result");
        if wallets.len() <= 1 {
            return Ok(());
        }
        let mut balances = Value::Object(Vec::new());
        for wallet in wallets.get_values()? {
            let name = wallet.get_str()?.to_string();
            let reply = self.connect_and_call(&mut rh, "getbalances", &[], Some(&name))?;
            let trusted = reply.get("result").get("mine").get("trusted").clone();
            balances.push_kv(&name, trusted);
        }
        result.push_kv("balances", balances);
        Ok(())
    }

    /// Core's `ConnectAndCallRPC`: the call, retried per `-rpcwait`.
    fn connect_and_call(
        &mut self,
        handler: &mut dyn RequestHandler,
        method: &str,
        args: &[String],
        wallet: Option<&str>,
    ) -> Result<Value, CallError> {
        let wait = self.args.get_bool_arg("-rpcwait", false);
        // Core keeps this in an `int`.
        let timeout = i64::from(self.args.get_int_arg("-rpcwaittimeout", 0) as i32);
        let deadline = u64::try_from(timeout)
            .ok()
            .map(|t| Instant::now() + Duration::from_secs(t));
        let endpoint = match wallet {
            Some(w) => format!("/wallet/{}", url_encode(w)),
            None => "/".to_string(),
        };
        loop {
            let attempt = self
                .call_once(handler, method, args, &endpoint)
                .and_then(|reply| {
                    if wait {
                        let error = reply.get("error");
                        if !error.is_null() && error.get("code").get_int()? == RPC_IN_WARMUP {
                            return Err(CallError::Connection("server in warmup".to_string()));
                        }
                    }
                    Ok(reply)
                });
            match attempt {
                Err(CallError::Connection(msg)) if wait => {
                    if timeout <= 0 || deadline.is_some_and(|d| Instant::now() < d) {
                        std::thread::sleep(self.env.retry_pause);
                    } else {
                        return Err(CallError::Connection(format!(
                            "timeout on transient error: {msg}"
                        )));
                    }
                }
                other => return other,
            }
        }
    }

    /// One attempt: IPC if selected, else HTTP.
    fn call_once(
        &mut self,
        handler: &mut dyn RequestHandler,
        method: &str,
        args: &[String],
        endpoint: &str,
    ) -> Result<Value, CallError> {
        let user = self.args.get_arg_or("-rpcuser", "");
        let ipcconnect = self.args.get_arg_or("-ipcconnect", "auto");
        if ipcconnect != "0" {
            let rpcconnect_on =
                self.args.is_arg_set("-rpcconnect") && !self.args.is_arg_negated("-rpcconnect");
            let use_ipc = if rpcconnect_on {
                if ipcconnect != "auto" {
                    return Err("-rpcconnect and -ipcconnect options cannot both be enabled"
                        .to_string()
                        .into());
                }
                false
            } else {
                true
            };
            if use_ipc {
                let socket_dir = self.args.get_data_dir_net();
                match self.env.connector.ipc(&ipcconnect, &socket_dir, &user) {
                    IpcConnect::NotBuilt if ipcconnect == "auto" => {}
                    IpcConnect::NotBuilt => {
                        return Err("bitcoin-cli was not built with IPC support".to_string().into())
                    }
                    IpcConnect::Unavailable => {}
                    IpcConnect::Failed(e) => {
                        return Err(CallError::Connection(format!(
                            "{e}\n\nProbably bitcoin-node is not running or not listening on a unix socket. Can be started with:\n\n    bitcoin-node -chain={} -ipcbind=unix",
                            self.chain.name()
                        )))
                    }
                    IpcConnect::Connected(transport) => {
                        let request = handler.prepare(method, args)?;
                        let (_, body) = transport
                            .call(&request.write(), endpoint)
                            .map_err(transport_error)?;
                        let reply = Value::parse(&body)
                            .ok_or_else(|| "couldn't parse reply from server".to_string())?;
                        return Ok(handler.process(&reply)?);
                    }
                }
            }
        }
        self.call_http(handler, method, args, endpoint, &user)
    }

    /// Core's `CallRPC`.
    fn call_http(
        &mut self,
        handler: &mut dyn RequestHandler,
        method: &str,
        args: &[String],
        endpoint: &str,
        user: &str,
    ) -> Result<Value, CallError> {
        let mut port = self.chain.rpc_port();
        let rpcconnect = self
            .args
            .get_arg_or("-rpcconnect", args::DEFAULT_RPCCONNECT);
        let (host, connect_port) = split_host_port(&rpcconnect)
            .ok_or_else(|| format!("Invalid port provided in -rpcconnect: {rpcconnect}"))?;
        if connect_port != 0 {
            port = connect_port;
        }
        if let Some(rpcport) = self.args.get_arg("-rpcport") {
            port = parse_u16(&rpcport)
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("Invalid port provided in -rpcport: {rpcport}"))?;
            if connect_port != 0 {
                self.note(&format!(
                    "Warning: Port specified in both -rpcconnect and -rpcport. Using -rpcport {port}\n"
                ));
            }
        }
        // Core keeps this in an `int`.
        let timeout = client_timeout(i64::from(
            self.args
                .get_int_arg("-rpcclienttimeout", args::DEFAULT_HTTP_CLIENT_TIMEOUT)
                as i32,
        ));
        let password = self.args.get_arg_or("-rpcpassword", "");
        let credentials = if password.is_empty() {
            Credentials::Cookie(self.cookie_path())
        } else {
            Credentials::Password(format!("{user}:{password}"))
        };
        let config = HttpConfig {
            host,
            port,
            timeout,
            credentials,
            config_path: self.args.get_config_file_path().unwrap_or_default(),
        };
        let request = handler.prepare(method, args)?;
        let body = request.write() + "\n";
        let transport = self.env.connector.http(&config);
        let (status, reply_body) = transport.call(&body, endpoint).map_err(transport_error)?;
        if status == 503 {
            return Err(format!("Server response: {reply_body}").into());
        }
        if status > 400 && status != 404 && status != 500 {
            return Err(format!("server returned HTTP error {status}").into());
        }
        if reply_body.is_empty() {
            return Err("no response from server".to_string().into());
        }
        let reply = Value::parse(&reply_body)
            .ok_or_else(|| "couldn't parse reply from server".to_string())?;
        let processed = handler.process(&reply)?;
        if processed.is_empty() {
            return Err("expected reply to have result, error and id properties"
                .to_string()
                .into());
        }
        Ok(processed)
    }

    /// The cookie file: `-rpccookiefile` (relative to the network datadir) or
    /// `.cookie`; `None` when disabled with `-norpccookiefile`.
    fn cookie_path(&self) -> Option<PathBuf> {
        let name = self
            .args
            .get_path_arg("-rpccookiefile", Path::new(".cookie"));
        if name.as_os_str().is_empty() {
            return None;
        }
        Some(self.args.abs_path_for_config_val(&name, true))
    }
}

fn transport_error(e: TransportError) -> CallError {
    match e {
        TransportError::ConnectionFailed(m) => CallError::Connection(m),
        TransportError::Other(m) => CallError::Fatal(m),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out += &format!("%{b:02X}");
        }
    }
    out
}

/// The text printed for a successful result: nothing for null, a string
/// as is, anything else pretty-printed.
pub fn result_text(result: &Value) -> String {
    match result {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.write_pretty(2),
    }
}

/// The text and exit code for an error reply, as Core's `ParseError`.
pub fn parse_error(error: &Value) -> Result<(i32, String), String> {
    let mut text = String::new();
    if let Value::Object(_) = error {
        let code = error.get("code");
        let message = error.get("message");
        if !code.is_null() {
            text = format!("error code: {}\n", code.val_str());
        }
        if let Some(m) = message.as_str() {
            text += "error message:\n";
            text += m;
        }
        if matches!(code, Value::Number(_))
            && code.get_i32().ok() == Some(RPC_WALLET_NOT_SPECIFIED as i32)
        {
            text += " Or for the CLI, specify the \"-rpcwallet=<walletname>\" option before the command";
            text += " (run \"bitcoin-cli -h\" for help or \"bitcoin-cli listwallets\" to see which wallets are currently loaded).";
        }
    } else {
        text = format!("error: {}", error.write());
    }
    let code = error.get("code").get_i32()?;
    Ok((code.unsigned_abs() as i32, text))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn error_layouts() {
        let e = Value::parse(r#"{"code":-8,"message":"Block height out of range"}"#).unwrap();
        assert_eq!(
            parse_error(&e).unwrap(),
            (
                8,
                "error code: -8\nerror message:\nBlock height out of range".to_string()
            )
        );
        let e = Value::parse(r#"{"code":-19,"message":"Multiple wallets are loaded."}"#).unwrap();
        assert!(parse_error(&e)
            .unwrap()
            .1
            .ends_with("to see which wallets are currently loaded)."));
        let e = Value::parse(r#""boom""#).unwrap();
        assert_eq!(
            parse_error(&e).unwrap_err(),
            "JSON value of type null is not of expected type number"
        );
        let e = Value::parse(r#"{"code":"x"}"#).unwrap();
        assert_eq!(
            parse_error(&e).unwrap_err(),
            "JSON value of type string is not of expected type number"
        );
    }

    #[test]
    fn result_printing() {
        assert_eq!(result_text(&Value::Null), "");
        assert_eq!(result_text(&Value::str("a\"b")), "a\"b");
        assert_eq!(result_text(&Value::parse("[]").unwrap()), "[\n]");
        assert_eq!(result_text(&Value::parse("1.50").unwrap()), "1.50");
    }

    #[test]
    fn url_encoding() {
        assert_eq!(url_encode("my wallet/é~"), "my%20wallet%2F%C3%A9~");
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod session_tests;
