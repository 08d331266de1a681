//! The command table (Core's `CRPCTable`) and the checks Core runs around every
//! handler (`RPCHelpMan::HandleRequest`): warmup, lookup, named arguments,
//! argument count and types.

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::args::{Arg, ArgType, Sections};
use crate::codes::{
    RPC_CLIENT_NOT_CONNECTED, RPC_INVALID_PARAMETER, RPC_IN_WARMUP, RPC_METHOD_NOT_FOUND,
    RPC_MISC_ERROR, RPC_TYPE_ERROR,
};
use crate::error::{RpcError, RpcResult};
use crate::json::{self, Raw};
use crate::request::Request;
use crate::results::{results_help, ResultDoc, ResultType};

/// A command implementation.
pub type Handler = Arc<dyn Fn(&Request) -> RpcResult + Send + Sync>;

/// A registered command with its documentation.
#[derive(Clone)]
pub struct Command {
    /// Category for the help listing (`"blockchain"`, `"hidden"` to leave it out).
    pub category: &'static str,
    /// Method name.
    pub name: &'static str,
    /// Description paragraph of the help.
    pub description: &'static str,
    /// Positional arguments.
    pub args: Vec<Arg>,
    /// The help's result section. Text not starting with `"Result"` is put
    /// under a `Result:` header; text starting with `"Result"` is used as is
    /// (for several conditional `Result (...):` sections). Empty: no section.
    pub result: &'static str,
    /// Example lines (see [`help_example_cli`], [`help_example_rpc`]); shown under `Examples:`.
    pub examples: std::borrow::Cow<'static, str>,
    /// The implementation.
    pub handler: Handler,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Command")
            .field("category", &self.category)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `> bitcoin-cli <method> <args>` example line, as Core's `HelpExampleCli`.
pub fn help_example_cli(method: &str, args: &str) -> String {
    format!("> bitcoin-cli {method} {args}\n")
}

/// `> curl ...` example line, as Core's `HelpExampleRpc`.
pub fn help_example_rpc(method: &str, args: &str) -> String {
    format!(
        "> curl --user myusername --data-binary '{{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"{method}\", \"params\": [{args}]}}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"
    )
}

/// Parameters as received: positional, or named (keys may repeat).
#[derive(Debug, Clone)]
pub enum Params {
    /// `[...]`
    Positional(Vec<Value>),
    /// `{...}` with keys in request order.
    Named(Vec<(String, Value)>),
}

impl Params {
    /// Converts parsed request params (array or object) into [`Params`].
    pub(crate) fn from_raw(raw: &Raw) -> Params {
        match raw {
            Raw::Object(entries) => Params::Named(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), json::to_value(v)))
                    .collect(),
            ),
            Raw::Array(items) => Params::Positional(items.iter().map(json::to_value).collect()),
            _ => Params::Positional(Vec::new()),
        }
    }
}

struct Active {
    next_id: u64,
    running: Vec<(u64, String, Instant)>,
}

/// The command table.
pub struct Table {
    /// Behind a lock so commands can be added while the servers already answer
    /// (in warmup), as Core registers its tables before loading the chain.
    commands: RwLock<BTreeMap<&'static str, Arc<Command>>>,
    /// Structured result descriptions by command name.
    results: RwLock<HashMap<&'static str, Arc<Vec<ResultDoc>>>>,
    /// Handlers of the built-in commands, answered by the table itself.
    builtins: Vec<(Handler, Builtin)>,
    /// Version string shown by `getopenrpcinfo`.
    warmup: Mutex<Option<String>>,
    active: Mutex<Active>,
    /// Cleared by [`Table::interrupt`] (Core's `g_rpc_running`).
    running: AtomicBool,
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes its entry from the active-command list when dropped.
struct ActiveGuard<'a> {
    table: &'a Table,
    id: u64,
}

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        let mut active = lock(&self.table.active);
        active.running.retain(|(id, _, _)| *id != self.id);
    }
}

/// The commands the table answers itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Help,
    OpenRpcInfo,
    Discover,
}

/// Core's `Capitalize`: first character upper-cased.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

impl Table {
    /// A table holding Core's built-in `help`, `getopenrpcinfo` and
    /// `rpc.discover`. It starts in warmup with the status "RPC server
    /// started", as Core does: every call fails with `-28` until
    /// [`Table::set_warmup`]`(None)` is called.
    pub fn new() -> Table {
        let help = help_command();
        let info = openrpc_command(
            "getopenrpcinfo",
            "Returns an OpenRPC document for currently available RPC commands.\n",
            vec![Arg::optional(
                "show_hidden",
                ArgType::Bool,
                Value::Bool(false),
                "Also include hidden RPC commands and arguments.",
            )],
        );
        let discover = openrpc_command(
            "rpc.discover",
            "Returns an OpenRPC schema as a description of this service.\n",
            vec![],
        );
        let table = Table {
            commands: RwLock::new(BTreeMap::new()),
            results: RwLock::new(HashMap::new()),
            builtins: vec![
                (help.handler.clone(), Builtin::Help),
                (info.handler.clone(), Builtin::OpenRpcInfo),
                (discover.handler.clone(), Builtin::Discover),
            ],
            warmup: Mutex::new(Some("RPC server started".to_string())),
            running: AtomicBool::new(true),
            active: Mutex::new(Active {
                next_id: 0,
                running: Vec::new(),
            }),
        };
        table.set_results(
            "help",
            vec![
                ResultDoc::new(ResultType::Str, "", "The help text"),
                ResultDoc::new(
                    ResultType::Any,
                    "",
                    "The command conversions. (Hidden in dump_all_command_conversions)",
                )
                .elide_skip(),
            ],
        );
        for name in ["getopenrpcinfo", "rpc.discover"] {
            table.set_results(name, vec![crate::openrpc::doc_result()]);
        }
        table.register(help);
        table.register(info);
        table.register(discover);
        table
    }

    /// Attaches structured result descriptions to a command: its help shows
    /// them (unless the command's free-text `result` is set) and
    /// `getopenrpcinfo` derives the result schema from them.
    pub fn set_results(&self, name: &'static str, results: Vec<ResultDoc>) {
        self.results
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, Arc::new(results));
    }

    /// The structured results attached to `name`.
    pub fn results(&self, name: &str) -> Option<Arc<Vec<ResultDoc>>> {
        self.results_of(name)
    }

    /// Gives the command `name` the handler `new` if its handler is still `old` (a
    /// command served by another process that went away); true if it was replaced.
    pub fn replace_handler(&self, name: &str, old: &Handler, new: Handler) -> bool {
        let mut commands = self.commands_mut();
        match commands.get(name) {
            Some(c) if Arc::ptr_eq(&c.handler, old) => {
                let mut cmd = (**c).clone();
                cmd.handler = new;
                commands.insert(cmd.name, Arc::new(cmd));
                true
            }
            _ => false,
        }
    }

    /// Removes the command `name` (a handler of another process going away) if its
    /// handler is still `handler`; true if it was removed.
    pub fn unregister(&self, name: &str, handler: &Handler) -> bool {
        let mut commands = self.commands_mut();
        match commands.get(name) {
            Some(c) if Arc::ptr_eq(&c.handler, handler) => {
                commands.remove(name);
                self.results
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(name);
                true
            }
            _ => false,
        }
    }

    fn results_of(&self, name: &str) -> Option<Arc<Vec<ResultDoc>>> {
        self.results
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// The OpenRPC document of the registered commands (Core's `buildOpenRPCDoc`).
    pub fn openrpc_doc(&self, include_hidden: bool) -> Value {
        let commands: Vec<crate::openrpc::DocEntry> = self
            .commands()
            .values()
            .map(|c| (c.clone(), self.results_of(c.name)))
            .collect();
        let version = common::version::CLIENT_BUILD.to_string();
        crate::openrpc::build_doc(&commands, include_hidden, &version)
    }

    /// Adds (or replaces) a command.
    pub fn register(&self, cmd: Command) {
        self.commands_mut().insert(cmd.name, Arc::new(cmd));
    }

    fn commands(&self) -> RwLockReadGuard<'_, BTreeMap<&'static str, Arc<Command>>> {
        self.commands.read().unwrap_or_else(|e| e.into_inner())
    }

    fn commands_mut(&self) -> RwLockWriteGuard<'_, BTreeMap<&'static str, Arc<Command>>> {
        self.commands.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Core's `InterruptRPC`: long-running commands should stop waiting; see
    /// [`Table::interruption_point`]. Called by [`crate::HttpServer::interrupt`] too.
    pub fn interrupt(&self) {
        self.running.store(false, Ordering::SeqCst);
    }

    /// Whether [`Table::interrupt`] has not been called (Core's `IsRPCRunning`).
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// Core's `RpcInterruptionPoint`: `-9` "Shutting down" once interrupted.
    pub fn interruption_point(&self) -> Result<(), RpcError> {
        if self.is_running() {
            Ok(())
        } else {
            Err(RpcError::new(RPC_CLIENT_NOT_CONNECTED, "Shutting down"))
        }
    }

    /// Sets the warmup status: `Some(text)` makes every call fail with `-28`
    /// and that text; `None` ends warmup.
    pub fn set_warmup(&self, status: Option<String>) {
        *lock(&self.warmup) = status;
    }

    /// The warmup status, `None` once warmup is over.
    pub fn warmup_status(&self) -> Option<String> {
        lock(&self.warmup).clone()
    }

    /// Commands running now, oldest first, with their running time (for `getrpcinfo`).
    pub fn active_commands(&self) -> Vec<(String, Duration)> {
        let now = Instant::now();
        lock(&self.active)
            .running
            .iter()
            .map(|(_, m, start)| (m.clone(), now.saturating_duration_since(*start)))
            .collect()
    }

    /// Names of the registered commands other than the table's own (`help`,
    /// `getopenrpcinfo`, `rpc.discover`).
    pub fn command_names(&self) -> Vec<&'static str> {
        self.commands()
            .values()
            .filter(|c| {
                !self
                    .builtins
                    .iter()
                    .any(|(h, _)| Arc::ptr_eq(h, &c.handler))
            })
            .map(|c| c.name)
            .collect()
    }

    /// The registered command `name`.
    pub fn command(&self, name: &str) -> Option<Arc<Command>> {
        self.commands().get(name).cloned()
    }

    /// Runs a request whose params are already positional.
    pub fn execute(&self, req: Request) -> RpcResult {
        let params = Params::Positional(req.params.clone());
        self.execute_params(req, params)
    }

    /// Runs a request with positional or named params: warmup check, method
    /// lookup, named-to-positional conversion, argument count and type checks,
    /// then the handler (a panic in the handler becomes a `-1` error).
    pub fn execute_params(&self, mut req: Request, params: Params) -> RpcResult {
        if let Some(status) = self.warmup_status() {
            return Err(RpcError::new(RPC_IN_WARMUP, status));
        }
        let cmd = self
            .command(req.method.as_str())
            .ok_or_else(|| RpcError::new(RPC_METHOD_NOT_FOUND, "Method not found"))?;
        let cmd = cmd.as_ref();
        let _guard = self.track(&req.method);
        let named = matches!(params, Params::Named(_));
        req.params = match params {
            Params::Positional(p) => p,
            Params::Named(named) => transform_named(&cmd.args, named)?,
        };
        req.object_keys = if named {
            cmd.args
                .iter()
                .map(|arg| {
                    arg.names.split('|').find_map(|n| {
                        req.raw_keys
                            .named
                            .iter()
                            .find(|(k, _)| k == n)
                            .map(|(_, keys)| keys.clone())
                    })
                })
                .collect()
        } else {
            req.raw_keys.positional.clone()
        };
        if !valid_num_args(&cmd.args, req.params.len()) {
            return Err(RpcError::new(RPC_MISC_ERROR, self.full_help(cmd)));
        }
        let mut mismatch = serde_json::Map::new();
        for (i, arg) in cmd.args.iter().enumerate() {
            let v = req.params.get(i).unwrap_or(&Value::Null);
            if let Some(msg) = arg.type_mismatch(v) {
                mismatch.insert(
                    format!("Position {} ({})", i + 1, arg.names),
                    Value::String(msg),
                );
            }
        }
        if !mismatch.is_empty() {
            return Err(RpcError::new(
                RPC_TYPE_ERROR,
                format!(
                    "Wrong type passed:\n{}",
                    json::write_pretty(&Value::Object(mismatch), 4)
                ),
            ));
        }
        req.defaults = Arc::new(
            cmd.args
                .iter()
                .map(|a| a.default_value().cloned())
                .collect(),
        );
        let builtin = self
            .builtins
            .iter()
            .find(|(h, _)| Arc::ptr_eq(h, &cmd.handler))
            .map(|(_, b)| *b);
        match builtin {
            Some(Builtin::Help) => return self.run_help(&req),
            Some(Builtin::OpenRpcInfo) => return Ok(self.openrpc_doc(req.arg_bool(0)?)),
            Some(Builtin::Discover) => return Ok(self.openrpc_doc(false)),
            None => {}
        }
        let handler = cmd.handler.clone();
        match catch_unwind(AssertUnwindSafe(|| handler(&req))) {
            Ok(result) => result,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                Err(RpcError::new(
                    RPC_MISC_ERROR,
                    format!("Internal bug detected: {what}"),
                ))
            }
        }
    }

    fn track(&self, method: &str) -> ActiveGuard<'_> {
        let mut active = lock(&self.active);
        let id = active.next_id;
        active.next_id += 1;
        active
            .running
            .push((id, method.to_string(), Instant::now()));
        ActiveGuard { table: self, id }
    }

    fn run_help(&self, req: &Request) -> RpcResult {
        let command = req.maybe_str(0)?.unwrap_or("");
        if command == "dump_all_command_conversions" {
            return Ok(self.dump_arg_map());
        }
        Ok(Value::String(self.help(command)))
    }

    /// Core's `help` output: the listing for `""`, else that command's full help
    /// or `help: unknown command: <name>`.
    pub fn help(&self, command: &str) -> String {
        let commands: Vec<Arc<Command>> = self.commands().values().cloned().collect();
        let mut sorted: Vec<&Command> = commands.iter().map(|c| c.as_ref()).collect();
        sorted.sort_by_key(|c| format!("{}{}", c.category, c.name));
        let mut out = String::new();
        let mut category = "";
        for cmd in sorted {
            if (!command.is_empty() || cmd.category == "hidden") && cmd.name != command {
                continue;
            }
            let mut text = self.full_help(cmd);
            if command.is_empty() {
                if let Some(pos) = text.find('\n') {
                    text.truncate(pos);
                }
                if category != cmd.category {
                    if !category.is_empty() {
                        out.push('\n');
                    }
                    category = cmd.category;
                    out += &format!("== {} ==\n", capitalize(category));
                }
            }
            out += &text;
            out.push('\n');
        }
        if out.is_empty() {
            out = format!("help: unknown command: {command}\n");
        }
        out.pop();
        out
    }

    /// The full help of `command`, `None` if there is no such command.
    pub fn help_text(&self, command: &str) -> Option<String> {
        self.command(command).map(|c| self.full_help(&c))
    }

    /// Core's `RPCHelpMan::ToString`.
    fn full_help(&self, cmd: &Command) -> String {
        let mut out = String::from(cmd.name);
        let mut in_optional = false;
        for arg in &cmd.args {
            if arg.hidden {
                break;
            }
            out.push(' ');
            if arg.is_optional() {
                if !in_optional {
                    out += "( ";
                }
                in_optional = true;
            } else {
                if in_optional {
                    out += ") ";
                }
                in_optional = false;
            }
            out += &arg.to_signature(true);
        }
        if in_optional {
            out += " )";
        }
        out += "\n\n";
        out += cmd
            .description
            .trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
        out.push('\n');

        let mut sections = Sections::default();
        let mut named_only = Sections::default();
        for (i, arg) in cmd.args.iter().enumerate() {
            if arg.hidden {
                break;
            }
            sections.push_row(
                format!("{}. {}", i + 1, arg.first_name()),
                arg.description_line(true),
            );
            sections.push_arg(arg);
            if arg.ty == ArgType::ObjNamedParams {
                for inner in &arg.inner {
                    named_only
                        .push_row(inner.first_name().to_string(), inner.description_line(true));
                    named_only.push_arg(inner);
                }
            }
        }
        if !sections.is_empty() {
            out += "\nArguments:\n";
        }
        out += &sections.render();
        if !named_only.is_empty() {
            out += "\nNamed Arguments:\n";
        }
        out += &named_only.render();

        if cmd.result.is_empty() {
            if let Some(results) = self.results_of(cmd.name) {
                out += &results_help(&results);
            }
        } else {
            if cmd.result.starts_with("Result") {
                out.push('\n');
            } else {
                out += "\nResult:\n";
            }
            out += cmd.result;
            if !cmd.result.ends_with('\n') {
                out.push('\n');
            }
        }
        if !cmd.examples.is_empty() {
            out += "\nExamples:\n";
            out += &cmd.examples;
        }
        out
    }

    /// Core's `help dump_all_command_conversions`: `[method, position, name, is_string]` for every argument name.
    fn dump_arg_map(&self) -> Value {
        let mut out = Vec::new();
        let mut push = |method: &str, pos: usize, name: &str, ty: ArgType| {
            out.push(Value::Array(vec![
                Value::String(method.to_string()),
                Value::from(pos),
                Value::String(name.to_string()),
                Value::Bool(matches!(ty, ArgType::Str | ArgType::StrHex)),
            ]));
        };
        let commands: Vec<Arc<Command>> = self.commands().values().cloned().collect();
        for cmd in &commands {
            for (i, arg) in cmd.args.iter().enumerate() {
                for name in arg.names.split('|') {
                    push(cmd.name, i, name, arg.ty);
                    if arg.ty == ArgType::ObjNamedParams {
                        for inner in &arg.inner {
                            for inner_name in inner.names.split('|') {
                                push(cmd.name, i, inner_name, inner.ty);
                            }
                        }
                    }
                }
            }
        }
        Value::Array(out)
    }
}

/// Core's `IsValidNumArgs`.
fn valid_num_args(args: &[Arg], n: usize) -> bool {
    let required = args
        .iter()
        .rposition(|a| !a.is_optional())
        .map_or(0, |p| p + 1);
    required <= n && n <= args.len()
}

/// Core's `transformNamedArguments`: maps named params onto positions.
pub(crate) fn transform_named(
    args: &[Arg],
    named: Vec<(String, Value)>,
) -> Result<Vec<Value>, RpcError> {
    let dup = |k: &str| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Parameter {k} specified multiple times"),
        )
    };
    // Remaining named params in a map; iteration order for the final error
    // follows key order, as Core's unordered_map gives no useful order anyway.
    let mut pending: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in named {
        if pending.contains_key(&k) {
            return Err(dup(&k));
        }
        pending.insert(k, v);
    }
    // (names, named_only) in Core's GetArgNames order.
    let mut names: Vec<(&'static str, bool)> = Vec::new();
    for arg in args {
        if arg.ty == ArgType::ObjNamedParams {
            for inner in &arg.inner {
                names.push((inner.names, true));
            }
        }
        names.push((arg.names, false));
    }
    let mut out: Vec<Value> = Vec::new();
    let mut hole = 0usize;
    let mut initial_hole = 0usize;
    let mut initial_param: Option<&'static str> = None;
    let mut options = serde_json::Map::new();
    for (pattern, named_only) in names {
        let found = pattern
            .split('|')
            .find(|n| pending.contains_key(*n))
            .map(str::to_string);
        if named_only {
            if let Some(key) = found {
                if options.contains_key(&key) {
                    return Err(dup(&key));
                }
                if let Some(v) = pending.remove(&key) {
                    options.insert(key, v);
                }
            }
            continue;
        }
        if !options.is_empty() || found.is_some() {
            out.extend(std::iter::repeat_n(Value::Null, hole));
            hole = 0;
            if initial_param.is_none() {
                initial_param = Some(pattern);
            }
        } else {
            hole += 1;
            if out.is_empty() {
                initial_hole = hole;
            }
        }
        if let Some(key) = found {
            if let Some(first) = options.keys().next() {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("Parameter {key} conflicts with parameter {first}"),
                ));
            }
            if let Some(v) = pending.remove(&key) {
                out.push(v);
            }
        }
        if !options.is_empty() {
            out.push(Value::Object(std::mem::take(&mut options)));
        }
    }
    if let Some(Value::Array(positional)) = pending.remove("args") {
        if let Some(param) = initial_param {
            if initial_hole < positional.len() {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!(
                        "Parameter {param} specified twice both as positional and named argument"
                    ),
                ));
            }
        }
        let named_part = std::mem::replace(&mut out, positional);
        for v in named_part.into_iter().skip(out.len()) {
            out.push(v);
        }
    }
    if let Some(k) = pending.keys().next() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Unknown named parameter {k}"),
        ));
    }
    Ok(out)
}

fn help_command() -> Command {
    Command {
        category: "control",
        name: "help",
        description: "List all commands, or get help for a specified command.\n",
        args: vec![Arg::hint(
            "command",
            ArgType::Str,
            "all commands",
            "The command to get help on",
        )],
        result: "",
        examples: "".into(),
        // Never called: Table::execute_params answers help itself.
        handler: Arc::new(|_req: &Request| Ok(Value::Null)),
    }
}

fn openrpc_command(name: &'static str, description: &'static str, args: Vec<Arg>) -> Command {
    let examples = help_example_cli(name, "") + &help_example_rpc(name, "");
    Command {
        category: "control",
        name,
        description,
        args,
        result: "",
        examples: examples.into(),
        // Never called: Table::execute_params answers these itself.
        handler: Arc::new(|_req: &Request| Ok(Value::Null)),
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
