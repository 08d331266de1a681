//! Regenerates the Rust code for every `.capnp` schema in the workspace.
//!
//! The output is committed so that building the project never needs the `capnp`
//! compiler (see docs/adr/0001-committed-capnp-code.md). CI runs this tool and
//! fails if the committed files differ from a fresh generation.
//!
//! Usage: `cargo run -p ipc-codegen` from anywhere inside the workspace.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
        files: &["mp/proxy.capnp", "rpc.capnp"],
        provided_by_ipc: false,
    },
    Job {
        crate_dir: "crates/interfaces",
        schema_dir: "schema",
        files: &["init.capnp", "echo.capnp", "common.capnp", "mining.capnp", "rpc.capnp"],
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
    cmd.run()?;
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
    ExitCode::SUCCESS
}
