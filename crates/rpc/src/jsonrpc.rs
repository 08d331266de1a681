//! JSON-RPC 1.0 / 2.0 request handling over a request body, with the HTTP
//! status codes and reply bodies of Core's `httprpc.cpp`.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::codes::{RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND, RPC_PARSE_ERROR};
use crate::error::RpcError;
use crate::json::{self, Raw};
use crate::request::Request;
use crate::table::{Params, Table};

/// HTTP status and body of a JSON-RPC reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonReply {
    /// HTTP status code (200, 204, 400, 403, 404 or 500).
    pub status: u16,
    /// Reply body: compact JSON plus `"\n"`, or empty (204 and 403).
    pub body: String,
}

/// Which methods users may call (`-rpcwhitelist`, `-rpcwhitelistdefault`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Whitelist {
    /// Users without an entry may call nothing.
    pub default_deny: bool,
    /// Per-user allowed methods.
    pub users: HashMap<String, BTreeSet<String>>,
}

impl Whitelist {
    /// Builds the whitelist from `-rpcwhitelist` values (`user:method,method`,
    /// repeated entries for a user intersect) and `-rpcwhitelistdefault`
    /// (`None`: on exactly when some `-rpcwhitelist` is given).
    pub fn from_args(entries: &[String], default: Option<bool>) -> Whitelist {
        let mut users: HashMap<String, BTreeSet<String>> = HashMap::new();
        for entry in entries {
            let (user, methods) = match entry.split_once(':') {
                Some((u, m)) => (u, Some(m)),
                None => (entry.as_str(), None),
            };
            let seen = users.contains_key(user);
            let current = users.entry(user.to_string()).or_default();
            if let Some(methods) = methods {
                // Split on both ',' and ' ', keeping empty pieces as Core does.
                let mut new: BTreeSet<String> =
                    methods.split([',', ' ']).map(str::to_string).collect();
                if seen {
                    new = new.intersection(current).cloned().collect();
                }
                *current = new;
            }
        }
        Whitelist {
            default_deny: default.unwrap_or(!entries.is_empty()),
            users,
        }
    }
}

/// A log sink: (debug category or `None` for always-on lines, message).
/// Warnings arrive with Core's `"[warning] "` prefix in the message.
pub type LogFn<'a> = &'a (dyn Fn(Option<&'static str>, &str) + Send + Sync);

/// Who is asking, for logging, whitelisting and the handler's [`Request`].
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    /// Request path.
    pub uri: &'a str,
    /// Authenticated user.
    pub user: &'a str,
    /// Peer `ip:port`.
    pub peer_addr: &'a str,
    /// Include the peer address in the per-request log line (`-logips`).
    pub log_ips: bool,
}

/// Parses one JSON-RPC body (single request or batch), runs it and returns the
/// HTTP status and body Core would send. No whitelist, no logging.
pub fn handle_json_rpc(
    table: &Table,
    body: &str,
    uri: &str,
    user: &str,
    peer_addr: &str,
) -> JsonReply {
    let caller = Caller {
        uri,
        user,
        peer_addr,
        log_ips: false,
    };
    handle_json_rpc_full(table, body.as_bytes(), caller, None, &|_, _| {})
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// Per-request parse state; kept across batch elements as Core reuses it.
struct State {
    id: Option<Value>,
    version: Version,
}

impl State {
    fn reply(&self, outcome: Result<Value, RpcError>) -> Value {
        let mut obj = Map::new();
        if self.version == Version::V2 {
            obj.insert("jsonrpc".into(), Value::String("2.0".into()));
        }
        match outcome {
            Ok(result) => {
                obj.insert("result".into(), result);
                if self.version == Version::V1 {
                    obj.insert("error".into(), Value::Null);
                }
            }
            Err(e) => {
                if self.version == Version::V1 {
                    obj.insert("result".into(), Value::Null);
                }
                obj.insert("error".into(), e.to_json());
            }
        }
        if let Some(id) = &self.id {
            obj.insert("id".into(), id.clone());
        }
        Value::Object(obj)
    }

    fn is_notification(&self) -> bool {
        self.id.is_none() && self.version == Version::V2
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c))
        .collect()
}

/// UniValue's `getValStr` of an id: string text, number text, "1"/"" for bools.
fn id_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "1".into(),
        _ => String::new(),
    }
}

struct Parsed<'r> {
    method: String,
    params: Option<&'r Raw>,
}

/// Core's `JSONRPCRequest::parse`, updating `state` as it goes.
fn parse_request<'r>(
    raw: &'r Raw,
    state: &mut State,
    caller: Caller<'_>,
    log: LogFn<'_>,
) -> Result<Parsed<'r>, RpcError> {
    let Raw::Object(entries) = raw else {
        return Err(RpcError::new(RPC_INVALID_REQUEST, "Invalid Request object"));
    };
    state.id = entries
        .iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| json::to_value(v));
    state.version = Version::V1;
    match raw.find("jsonrpc") {
        None | Some(Raw::Null) => {}
        Some(Raw::String(s)) if s == "1.0" => {}
        Some(Raw::String(s)) if s == "2.0" => state.version = Version::V2,
        Some(Raw::String(_)) => {
            return Err(RpcError::new(
                RPC_INVALID_REQUEST,
                "JSON-RPC version not supported",
            ))
        }
        Some(_) => {
            return Err(RpcError::new(
                RPC_INVALID_REQUEST,
                "jsonrpc field must be a string",
            ))
        }
    }
    let method = match raw.find("method") {
        None | Some(Raw::Null) => return Err(RpcError::new(RPC_INVALID_REQUEST, "Missing method")),
        Some(Raw::String(s)) => s.clone(),
        Some(_) => {
            return Err(RpcError::new(
                RPC_INVALID_REQUEST,
                "Method must be a string",
            ))
        }
    };
    let log_id = match &state.id {
        Some(v) if !v.is_null() => sanitize(&id_text(v)),
        _ => String::new(),
    };
    let line = if caller.log_ips {
        format!(
            "ThreadRPCServer method={} user={} peeraddr={} id={}",
            sanitize(&method),
            caller.user,
            caller.peer_addr,
            log_id
        )
    } else {
        format!(
            "ThreadRPCServer method={} user={} id={}",
            sanitize(&method),
            caller.user,
            log_id
        )
    };
    log(Some("rpc"), &line);
    let params = match raw.find("params") {
        None | Some(Raw::Null) => None,
        Some(p @ (Raw::Array(_) | Raw::Object(_))) => Some(p),
        Some(_) => {
            return Err(RpcError::new(
                RPC_INVALID_REQUEST,
                "Params must be an array or object",
            ))
        }
    };
    Ok(Parsed { method, params })
}

fn run(
    table: &Table,
    parsed: Parsed<'_>,
    state: &State,
    caller: Caller<'_>,
) -> Result<Value, RpcError> {
    let raw_keys = parsed
        .params
        .map(crate::request::RawKeys::of)
        .unwrap_or_default();
    let params = parsed
        .params
        .map_or(Params::Positional(Vec::new()), Params::from_raw);
    let req = Request {
        raw_keys,
        id: state.id.clone().unwrap_or(Value::Null),
        method: parsed.method,
        params: Vec::new(),
        uri: caller.uri.to_string(),
        user: caller.user.to_string(),
        peer_addr: caller.peer_addr.to_string(),
        ..Request::default()
    };
    table.execute_params(req, params)
}

/// A legacy error reply and its HTTP status (Core's `JSONErrorReply`).
fn error_reply(e: RpcError, state: &State) -> JsonReply {
    let status = match e.code {
        RPC_INVALID_REQUEST => 400,
        RPC_METHOD_NOT_FOUND => 404,
        _ => 500,
    };
    JsonReply {
        status,
        body: json::write(&state.reply(Err(e))) + "\n",
    }
}

fn ok_reply(v: &Value) -> JsonReply {
    JsonReply {
        status: 200,
        body: json::write(v) + "\n",
    }
}

fn empty(status: u16) -> JsonReply {
    JsonReply {
        status,
        body: String::new(),
    }
}

/// The full JSON-RPC handler: body bytes, caller, optional whitelist and a log sink.
pub fn handle_json_rpc_full(
    table: &Table,
    body: &[u8],
    caller: Caller<'_>,
    whitelist: Option<&Whitelist>,
    log: LogFn<'_>,
) -> JsonReply {
    let mut state = State {
        id: Some(Value::Null),
        version: Version::V1,
    };
    let Some(raw) = json::parse(body) else {
        return error_reply(RpcError::new(RPC_PARSE_ERROR, "Parse error"), &state);
    };
    let allowed = whitelist.and_then(|w| w.users.get(caller.user));
    if allowed.is_none() && whitelist.is_some_and(|w| w.default_deny) {
        log(
            None,
            &format!(
                "[warning] RPC User {} not allowed to call any methods",
                caller.user
            ),
        );
        return empty(403);
    }
    let deny = |method: &str| {
        log(
            None,
            &format!(
                "[warning] RPC User {} not allowed to call method {}",
                caller.user, method
            ),
        );
        empty(403)
    };
    match &raw {
        Raw::Object(_) => {
            let parsed = match parse_request(&raw, &mut state, caller, log) {
                Ok(p) => p,
                Err(e) => return error_reply(e, &state),
            };
            if let Some(methods) = allowed {
                if !methods.contains(&parsed.method) {
                    return deny(&parsed.method);
                }
            }
            let outcome = run(table, parsed, &state, caller);
            if state.version == Version::V1 {
                if let Err(e) = outcome {
                    return error_reply(e, &state);
                }
            }
            if state.is_notification() {
                return empty(204);
            }
            ok_reply(&state.reply(outcome))
        }
        Raw::Array(items) => {
            if let Some(methods) = allowed {
                for item in items {
                    if !matches!(item, Raw::Object(_)) {
                        return error_reply(
                            RpcError::new(RPC_INVALID_REQUEST, "Invalid Request object"),
                            &state,
                        );
                    }
                    let method = match item.find("method") {
                        Some(Raw::String(s)) => s.clone(),
                        other => {
                            let got = other.map_or("null", |v| v.type_name());
                            return error_reply(
                                RpcError::new(
                                    RPC_PARSE_ERROR,
                                    format!(
                                        "JSON value of type {got} is not of expected type string"
                                    ),
                                ),
                                &state,
                            );
                        }
                    };
                    if !methods.contains(&method) {
                        return deny(&method);
                    }
                }
            }
            let mut replies = Vec::new();
            for item in items {
                let outcome = parse_request(item, &mut state, caller, log)
                    .and_then(|parsed| run(table, parsed, &state, caller));
                let reply = state.reply(outcome);
                if !state.is_notification() {
                    replies.push(reply);
                }
            }
            if replies.is_empty() && !items.is_empty() {
                return empty(204);
            }
            ok_reply(&Value::Array(replies))
        }
        _ => error_reply(
            RpcError::new(RPC_PARSE_ERROR, "Top-level object parse error"),
            &state,
        ),
    }
}

#[cfg(test)]
#[path = "jsonrpc_tests.rs"]
mod tests;
