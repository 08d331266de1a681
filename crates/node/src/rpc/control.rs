//! Control and utility commands (Core's `rpc/server.cpp` and `rpc/node.cpp`): stop,
//! uptime, getrpcinfo, echo, echoipc, getmemoryinfo, setmocktime, mockscheduler.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use interfaces::{Echo, EchoImpl, Init, InitClient};
use rpc::codes::{RPC_INVALID_PARAMETER, RPC_MISC_ERROR};
use rpc::{Arg, ArgType, RpcError, Table, Value};
use serde_json::{json, Map};

use super::blockchain::param;
use super::command;
use super::values::{get_int, get_str};
use crate::context::NodeContext;

/// What `stop` answers (`CLIENT_NAME " stopping"`).
pub const STOP_REPLY: &str = "Bitcoin Core stopping";

/// Registers the control commands.
pub fn register(table: &Table, node: &Arc<NodeContext>, table_ref: Weak<Table>, log_path: String) {
    let n = node.clone();
    table.register(command(
        "control",
        "stop",
        "Ask Bitcoin Core to shut down cleanly.",
        vec![Arg::omitted(
            "wait",
            ArgType::Num,
            "milliseconds to pause before answering",
        )
        .hidden()],
        "\"str\"    (string) Always the text 'Bitcoin Core stopping'",
        move |req| {
            n.request_shutdown();
            if let Some(v) = req.param(0).filter(|v| v.is_number()) {
                let ms: i32 = get_int(v)?;
                std::thread::sleep(Duration::from_millis(ms.max(0) as u64));
            }
            Ok(json!(STOP_REPLY))
        },
    ));
    let n = node.clone();
    table.register(command(
        "control",
        "uptime",
        "Tells how long the server has been up.\n",
        vec![],
        "n    (numeric) Seconds since the server started",
        move |_| Ok(json!(n.started.elapsed().as_secs())),
    ));
    let t = table_ref;
    table.register(command(
        "control",
        "getrpcinfo",
        "Describes the state of the RPC server.\n",
        vec![],
        "{                          (json object)\n  \"active_commands\" : [     (json array) The commands running right now\n    {                      (json object) One running command\n      \"method\" : \"str\",     (string) Its RPC method name\n      \"duration\" : n        (numeric) How long it has run, in microseconds\n    },\n    ...\n  ],\n  \"logpath\" : \"str\"        (string) Full path of the debug log file\n}",
        move |_| {
            let active: Vec<Value> = t
                .upgrade()
                .map(|table| table.active_commands())
                .unwrap_or_default()
                .into_iter()
                .map(|(method, d)| json!({"method": method, "duration": d.as_micros() as u64}))
                .collect();
            Ok(json!({"active_commands": active, "logpath": log_path}))
        },
    ));
    for name in ["echo", "echojson"] {
        let args = (0..10)
            .map(|i| Arg::omitted(ECHO_ARGS[i], ArgType::Str, "").skip_type_check())
            .collect();
        table.register(command(
            "hidden",
            name,
            "Returns its arguments unchanged; meant for tests.\n\nGiving arg9='trigger_internal_bug' makes it answer with an internal bug report instead.\n\necho and echojson behave the same on the server; they differ only in that bitcoin-cli and the GUI convert the arguments of echojson from JSON on the client side.",
            args,
            "any    (any) The arguments as given",
            |req| {
                if req.param(9).and_then(Value::as_str) == Some("trigger_internal_bug") {
                    return Err(RpcError::new(
                        RPC_MISC_ERROR,
                        "Internal bug detected: request.params[9].get_str() != \"trigger_internal_bug\"",
                    ));
                }
                Ok(Value::Array(req.params.clone()))
            },
        ));
    }
    let n = node.clone();
    table.register(command(
        "hidden",
        "echoipc",
        "Returns its argument after a round trip through a spawned process when the build is multiprocess.\nMeant for tests.\n",
        vec![Arg::required("arg", ArgType::Str, "Text to send back")],
        "\"str\"    (string) The same text.",
        move |req| {
            let text = get_str(param(req, 0)?)?.to_string();
            echo_ipc(&n, text).map(Value::String)
        },
    ));
    table.register(command(
        "control",
        "getmemoryinfo",
        "Reports how memory is used.\n",
        vec![Arg::optional("mode", ArgType::Str, json!("stats"), "which report to give.\n  - \"stats\" gives overall memory figures of the daemon.\n  - \"mallocinfo\" gives the heap allocator's own state as an XML string (glibc builds only).")],
        "{                         (json object)\n  \"locked\" : {            (json object) State of the locked-memory pool\n    \"used\" : n,           (numeric) Bytes in use\n    \"free\" : n,           (numeric) Bytes still free in the arenas allocated so far\n    \"total\" : n,          (numeric) All bytes the pool manages\n    \"locked\" : n,         (numeric) Bytes that were locked in RAM. Below total means some page could not be locked, so key material might end up in swap.\n    \"chunks_used\" : n,    (numeric) Chunks handed out\n    \"chunks_free\" : n     (numeric) Chunks not in use\n  }\n}\n\nResult (mode \"mallocinfo\"):\n\"str\"    (string) \"<malloc version=\"1\">...\"",
        |req| {
            let mode = match req.param(0) {
                Some(v) => get_str(v)?.to_string(),
                None => "stats".into(),
            };
            match mode.as_str() {
                "stats" => {
                    // Secrets live in the wallet process; the node locks no memory.
                    let mut locked = Map::new();
                    for k in ["used", "free", "total", "locked", "chunks_used", "chunks_free"] {
                        locked.insert(k.into(), json!(0));
                    }
                    Ok(json!({"locked": locked}))
                }
                "mallocinfo" => malloc_info().map(Value::String),
                other => Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("unknown mode {other}"),
                )),
            }
        },
    ));
    table.register(command(
        "control",
        "logging",
        LOGGING_DESCRIPTION,
        vec![
            Arg::omitted("include", ArgType::Arr, "Categories to start logging")
                .with_inner(vec![Arg::omitted("include_category", ArgType::Str, "a logging category")]),
            Arg::omitted("exclude", ArgType::Arr, "Categories to stop logging")
                .with_inner(vec![Arg::omitted("exclude_category", ArgType::Str, "a logging category")]),
        ],
        "{                   (json object) each logging category and whether it is logged\n  \"category\" : true|false,  (boolean) true when debug lines of the category are logged\n  ...\n}",
        |req| {
            let log = common::logging::instance();
            for (i, enable) in [(0, true), (1, false)] {
                let Some(Value::Array(cats)) = req.param(i) else {
                    continue;
                };
                for c in cats {
                    let name = get_str(c)?;
                    let ok = if enable {
                        log.enable_category_str(name)
                    } else {
                        log.disable_category_str(name)
                    };
                    if !ok {
                        return Err(RpcError::new(
                            RPC_INVALID_PARAMETER,
                            format!("unknown logging category {name}"),
                        ));
                    }
                }
            }
            // The IPC layer filters its own lines by level; keep it in step.
            ipc::log::set_level(crate::ipc_log_level());
            let mut out = Map::new();
            for (name, active) in log.log_categories_list() {
                out.insert(name.to_string(), json!(active));
            }
            Ok(Value::Object(out))
        },
    ));
    let n = node.clone();
    table.register(command(
        "hidden",
        "setmocktime",
        "Pretend the current time is the given timestamp (-regtest only)\n",
        vec![Arg::required(
            "timestamp",
            ArgType::Num,
            "Seconds since the UNIX epoch\n0 switches back to the real clock.",
        )],
        "null    (json null)",
        move |req| {
            if n.chain_type != common::ChainType::Regtest {
                return Err(RpcError::new(
                    RPC_MISC_ERROR,
                    "setmocktime is for regression testing (-regtest mode) only",
                ));
            }
            let _cs = n.chainstate();
            let time: i64 = get_int(param(req, 0)?)?;
            let max = i64::from(u32::MAX);
            if !(0..=max).contains(&time) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("Mocktime must be in the range [0, {max}], not {time}."),
                ));
            }
            n.mock_time.store(time, Ordering::Relaxed);
            common::logging::instance().set_mocktime(time);
            Ok(Value::Null)
        },
    ));
    let n = node.clone();
    table.register(command(
        "hidden",
        "mockscheduler",
        "Move the scheduler's clock forward (-regtest only)\n",
        vec![Arg::required(
            "delta_time",
            ArgType::Num,
            "How many seconds to move the scheduler ahead.",
        )],
        "null    (json null)",
        move |req| {
            if n.chain_type != common::ChainType::Regtest {
                return Err(RpcError::new(
                    RPC_MISC_ERROR,
                    "mockscheduler is for regression testing (-regtest mode) only",
                ));
            }
            let delta: i64 = get_int(param(req, 0)?)?;
            if !(1..=3600).contains(&delta) {
                return Err(RpcError::new(
                    RPC_MISC_ERROR,
                    "delta_time must be between 1 and 3600 seconds (1 hr)",
                ));
            }
            n.scheduler.mock_forward(Duration::from_secs(delta as u64));
            crate::mempool_chain::notify(&n);
            Ok(Value::Null)
        },
    ));
}

const ECHO_ARGS: [&str; 10] = [
    "arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "arg7", "arg8", "arg9",
];

/// Echoes through a spawned `bitcoin-node` when this is the multiprocess node, or through
/// a local object in the monolithic `bitcoind`, as Core does.
fn echo_ipc(n: &NodeContext, text: String) -> Result<String, RpcError> {
    let err = |e: String| RpcError::new(RPC_MISC_ERROR, e);
    let Some(exe) = n.spawn_exe.as_ref() else {
        return EchoImpl.echo(text).map_err(|e| err(e.to_string()));
    };
    let child = ipc::spawn(exe).map_err(|e| err(format!("cannot spawn {}: {e}", exe.display())))?;
    let result = (|| -> interfaces::Result<String> {
        let init: InitClient = ipc::process::bootstrap(child.connection())?;
        let echo = init.make_echo()?;
        echo.echo(text)
    })();
    child.wait();
    result.map_err(|e| err(e.to_string()))
}

/// glibc's `malloc_info` XML.
fn malloc_info() -> Result<String, RpcError> {
    let mut buf: *mut libc::c_char = std::ptr::null_mut();
    let mut len: libc::size_t = 0;
    // SAFETY: open_memstream gets valid out-pointers; the stream is closed before the
    // buffer is read, and the buffer is freed once copied.
    unsafe {
        let f = libc::open_memstream(&mut buf, &mut len);
        if f.is_null() {
            return Err(RpcError::new(RPC_MISC_ERROR, "malloc_info failed"));
        }
        let rc = malloc_info_raw(0, f);
        libc::fclose(f);
        let out = if buf.is_null() {
            String::new()
        } else {
            let bytes = std::slice::from_raw_parts(buf as *const u8, len);
            let s = String::from_utf8_lossy(bytes).into_owned();
            libc::free(buf.cast());
            s
        };
        if rc != 0 {
            return Err(RpcError::new(RPC_MISC_ERROR, "malloc_info failed"));
        }
        Ok(out)
    }
}

extern "C" {
    #[link_name = "malloc_info"]
    fn malloc_info_raw(options: libc::c_int, stream: *mut libc::FILE) -> libc::c_int;
}

const LOGGING_DESCRIPTION: &str = "Gets and sets which categories of debug lines are logged.\n\
Without arguments, returns every category and whether it is logged now.\n\
With arguments, first starts logging the categories in \"include\", then stops logging those in \"exclude\", and returns the same list; a category in both ends up not logged.\n\
\"all\" and \"1\" stand for every category.";
