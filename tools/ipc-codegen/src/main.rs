//! Regenerates the Rust code for every `.capnp` schema in the workspace.
//!
//! The output is committed so that building the project never needs the `capnp`
//! compiler (see docs/adr/0001-committed-capnp-code.md). CI runs this tool and
//! fails if the committed files differ from a fresh generation.
//!
//! Usage: `cargo run -p ipc-codegen` from anywhere inside the workspace.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use capnp::schema_capnp::code_generator_request;

mod proxy;

/// Identifies the schema file of libmultiprocess's `proxy.capnp`, provided by the `ipc` crate.
const PROXY_FILE_ID: u64 = 0xcc31_6e3f_71a0_40fb;

struct Job {
    crate_dir: &'static str,
    schema_dir: &'static str,
    files: &'static [&'static str],
    provided_by_ipc: bool,
}

const JOBS: &[Job] = &[
    Job {
        crate_dir: "crates/ipc",
        schema_dir: "schema",
        files: &["mp/proxy.capnp", "rpc.capnp", "construct.capnp"],
        provided_by_ipc: false,
    },
    Job {
        crate_dir: "crates/interfaces",
        schema_dir: "schema",
        files: &[
            "init.capnp",
            "echo.capnp",
            "common.capnp",
            "mining.capnp",
            "rpc.capnp",
            "chain.capnp",
            "handler.capnp",
            "wallet.capnp",
        ],
        provided_by_ipc: true,
    },
    Job {
        crate_dir: "crates/ipc-testing",
        schema_dir: "schema",
        files: &["test.capnp"],
        provided_by_ipc: true,
    },
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(job: &Job, root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let crate_dir = root.join(job.crate_dir);
    let schema_dir = crate_dir.join(job.schema_dir);
    let out_dir = crate_dir.join("src/generated");
    std::fs::create_dir_all(&out_dir)?;
    let mut cmd = capnpc::CompilerCommand::new();
    cmd.src_prefix(&schema_dir)
        .import_path(root.join("crates/ipc/schema"))
        .import_path(&schema_dir)
        .default_parent_module(vec!["generated".into()])
        .output_path(&out_dir)
        .no_standard_import();
    if job.provided_by_ipc {
        cmd.crate_provides("ipc", [PROXY_FILE_ID]);
    }
    for file in job.files {
        cmd.file(schema_dir.join(file));
    }
    let request_path = std::env::temp_dir().join(format!("ipc-codegen-{}.bin", std::process::id()));
    cmd.raw_code_generator_request_path(&request_path);
    cmd.run()?;
    if job.provided_by_ipc {
        let bytes = std::fs::read(&request_path)?;
        std::fs::remove_file(&request_path)?;
        emit_proxies(&bytes, &out_dir)?;
    } else {
        std::fs::remove_file(&request_path)?;
    }
    Ok(())
}

/// Writes `<stem>_ipc.rs` beside each `<stem>_capnp.rs` of the job.
fn emit_proxies(bytes: &[u8], out_dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let msg = capnp::serialize::read_message_from_flat_slice(
        &mut &bytes[..],
        capnp::message::ReaderOptions::new(),
    )?;
    let request = msg.get_root::<code_generator_request::Reader>()?;
    let mut nodes = HashMap::new();
    for n in request.get_nodes()? {
        nodes.insert(n.get_id(), n);
    }
    let requested: Vec<(u64, String)> = request
        .get_requested_files()?
        .iter()
        .map(|f| Ok((f.get_id(), f.get_filename()?.to_string()?)))
        .collect::<Result<_, capnp::Error>>()?;
    let mut paths = HashMap::new();
    for n in nodes.values() {
        if !n.has_nested_nodes() || n.get_scope_id() != 0 {
            continue;
        }
        let file_path = if n.get_id() == PROXY_FILE_ID {
            "::ipc::proxy_capnp".to_string()
        } else {
            let name = n.get_display_name()?.to_string()?;
            let stem = Path::new(&name)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .replace('-', "_");
            format!("crate::generated::{stem}_capnp")
        };
        for nested in n.get_nested_nodes()? {
            let name = nested.get_name()?.to_string()?;
            paths.insert(
                nested.get_id(),
                format!("{file_path}::{}", proxy::snake(&name)),
            );
        }
    }
    let schema = proxy::Schema {
        nodes,
        paths,
        emitted: Default::default(),
    };
    for (id, name) in requested {
        let stem = Path::new(&name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .replace('-', "_");
        std::fs::write(out_dir.join(format!("{stem}_ipc.rs")), schema.file(id)?)?;
    }
    Ok(())
}

/// Formats the output as `cargo fmt` would, so the committed files and a fresh run agree.
fn rustfmt(root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    for job in JOBS {
        let dir = root.join(job.crate_dir).join("src/generated");
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                for e in std::fs::read_dir(&path)? {
                    files.push(e?.path());
                }
            } else {
                files.push(path);
            }
        }
    }
    let status = std::process::Command::new("rustfmt")
        .arg("--edition=2021")
        .arg(format!(
            "--config-path={}",
            root.join("rustfmt.toml").display()
        ))
        .args(&files)
        .status()?;
    if !status.success() {
        return Err(format!("rustfmt failed: {status}").into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let root = workspace_root();
    for job in JOBS {
        if let Err(e) = run(job, &root) {
            eprintln!("ipc-codegen: {}: {e}", job.crate_dir);
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = rustfmt(&root) {
        eprintln!("ipc-codegen: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
