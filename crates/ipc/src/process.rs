//! Processes and sockets as Core makes them: `[exe, "-ipcfd", N]` children over a
//! socketpair, and `-ipcbind` / `-ipcconnect` unix sockets under the network datadir.

use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Condvar, Mutex};

use crate::cap::{CapEntry, ServerObject};
use crate::conn::{Connection, ImportRef};
use crate::log::Level;
use crate::threads::BootstrapServer;
use crate::{ipc_log, Error, Result};

/// A client type generated for an interface, constructible from a remote object.
pub trait RemoteInterface: Sized {
    /// Cap'n Proto type ID of the interface.
    const INTERFACE_ID: u64;
    /// Wraps a reference to a remote object.
    fn from_remote(remote: Arc<ImportRef>) -> Self;
}

/// Asks the peer of `conn` for its bootstrap object (`Init`) and returns a proxy to it.
pub fn bootstrap<T: RemoteInterface>(conn: &Connection) -> Result<T> {
    match conn.bootstrap(T::INTERFACE_ID)? {
        CapEntry::Import(remote) => Ok(T::from_remote(remote)),
        _ => Err(Error::Protocol("bootstrap capability is not remote".into())),
    }
}

/// A spawned child process serving on the other end of a socketpair.
pub struct Child {
    pid: u32,
    conn: Connection,
    status: Arc<(Mutex<Option<ExitStatus>>, Condvar)>,
}

impl Child {
    /// Process ID of the child.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The connection to the child.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Closes the connection, which asks the child to exit, and waits until it has.
    pub fn wait(&self) -> ExitStatus {
        self.conn.close();
        let (lock, cv) = &*self.status;
        let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(s) = *st {
                return s;
            }
            st = cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A handle that waits for the child's exit without closing the connection, for a
    /// thread that reports an unexpected exit.
    pub fn watch(&self) -> ChildWatch {
        ChildWatch(self.status.clone())
    }

    /// The exit status, if the child has exited.
    pub fn try_status(&self) -> Option<ExitStatus> {
        *self.status.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.wait();
    }
}

/// Waits for a spawned child's exit (see [`Child::watch`]).
pub struct ChildWatch(Arc<(Mutex<Option<ExitStatus>>, Condvar)>);

impl ChildWatch {
    /// Blocks until the child has exited and returns its status.
    pub fn wait(&self) -> ExitStatus {
        let (lock, cv) = &*self.0;
        let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(s) = *st {
                return s;
            }
            st = cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Spawns `exe` as `[exe, "-ipcfd", N]` with `N` its end of a new socketpair.
///
/// The child's exit is reaped on a background thread and logged; [`Child::wait`] reports it.
pub fn spawn(exe: &Path) -> Result<Child> {
    let (ours, theirs) = UnixStream::pair()?;
    let theirs: OwnedFd = theirs.into();
    let fd = theirs.into_raw_fd();
    let mut cmd = Command::new(exe);
    cmd.arg("-ipcfd").arg(fd.to_string());
    // SAFETY: the closure only calls fcntl, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let spawned = cmd.spawn();
    // SAFETY: fd came from into_raw_fd above and is closed exactly once, here.
    drop(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut process =
        spawned.map_err(|e| Error::Io(format!("cannot spawn {}: {e}", exe.display())))?;
    let pid = process.id();
    let conn = Connection::new(ours, None, false)?;
    let status = Arc::new((Mutex::new(None), Condvar::new()));
    let reaper_status = status.clone();
    let reaper_conn = conn.clone();
    let name = exe
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    ipc_log!(Level::Debug, "Process {name} pid {pid} launched");
    std::thread::Builder::new()
        .name("b-ipc-reaper".into())
        .spawn(move || {
            let result = process.wait();
            reaper_conn.close();
            let (lock, cv) = &*reaper_status;
            match result {
                Ok(s) => {
                    let code = s.code().unwrap_or(-1);
                    ipc_log!(
                        Level::Debug,
                        "Process {name} pid {pid} exited with status {code}"
                    );
                    *lock.lock().unwrap_or_else(|e| e.into_inner()) = Some(s);
                }
                Err(e) => {
                    ipc_log!(
                        Level::Warning,
                        "IPC: waiting for process {name} pid {pid} failed: {e}"
                    );
                    *lock.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(std::os::unix::process::ExitStatusExt::from_raw(-1));
                }
            }
            cv.notify_all();
        })?;
    Ok(Child { pid, conn, status })
}

/// Serves `init` as the bootstrap object of a new connection on `stream`.
pub fn serve(stream: UnixStream, init: Arc<dyn ServerObject>) -> Result<Connection> {
    Connection::new(
        stream,
        Some(Arc::new(BootstrapServer { inner: init })),
        true,
    )
}

/// Serves `init` on the inherited socket `fd` until the parent disconnects.
pub fn serve_fd(fd: RawFd, init: Arc<dyn ServerObject>) -> Result<()> {
    // SAFETY: fstat only writes into the provided struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 || (st.st_mode & libc::S_IFMT) != libc::S_IFSOCK {
        return Err(Error::Io(format!("-ipcfd {fd} is not an open socket")));
    }
    // SAFETY: fd is an open socket that this process inherited to own.
    let stream = unsafe { UnixStream::from_raw_fd(fd) };
    let conn = Connection::new(
        stream,
        Some(Arc::new(BootstrapServer { inner: init })),
        true,
    )?;
    conn.wait_disconnected();
    Ok(())
}

/// A resolved `-ipcbind` / `-ipcconnect` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketAddress {
    /// Path of the unix socket.
    pub path: PathBuf,
}

impl SocketAddress {
    /// Parses `unix` or `unix:<path>`; a relative path is relative to `data_dir`, and plain
    /// `unix` means `<data_dir>/<exe_name minus "bitcoin-">.sock`.
    pub fn parse(address: &str, data_dir: &Path, exe_name: &str) -> Result<SocketAddress> {
        let path = if address == "unix" {
            let short = exe_name.strip_prefix("bitcoin-").unwrap_or(exe_name);
            data_dir.join(format!("{short}.sock"))
        } else if let Some(rest) = address.strip_prefix("unix:") {
            if rest.is_empty() {
                let short = exe_name.strip_prefix("bitcoin-").unwrap_or(exe_name);
                data_dir.join(format!("{short}.sock"))
            } else {
                data_dir.join(rest)
            }
        } else {
            return Err(Error::Io(format!("Unrecognized address '{address}'")));
        };
        // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
        if path.as_os_str().len() >= 108 {
            return Err(Error::Io(format!(
                "Unix address path \"{}\" exceeded maximum socket path length",
                path.display()
            )));
        }
        Ok(SocketAddress { path })
    }
}

/// Binds a unix socket at `addr` (removing a stale socket file, owner-only permissions)
/// and serves a bootstrap object made by `make_init` on every connection.
pub fn listen(
    addr: &SocketAddress,
    make_init: impl Fn() -> Arc<dyn ServerObject> + Send + 'static,
) -> Result<Listener> {
    if let Some(parent) = addr.path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if let Ok(meta) = std::fs::symlink_metadata(&addr.path) {
        if meta.file_type().is_socket() {
            std::fs::remove_file(&addr.path)?;
        }
    }
    let listener = UnixListener::bind(&addr.path)
        .map_err(|e| Error::Io(format!("cannot bind {}: {e}", addr.path.display())))?;
    std::fs::set_permissions(&addr.path, std::fs::Permissions::from_mode(0o600))?;
    let accept = listener.try_clone()?;
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = stopping.clone();
    std::thread::Builder::new()
        .name("b-ipc-accept".into())
        .spawn(move || {
            for stream in accept.incoming() {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                match stream {
                    Ok(s) => {
                        if let Err(e) = serve(s, make_init()) {
                            ipc_log!(Level::Warning, "IPC server: cannot serve connection: {e}");
                        }
                    }
                    Err(e) => {
                        ipc_log!(Level::Warning, "IPC server: accept failed: {e}");
                        break;
                    }
                }
            }
        })?;
    Ok(Listener {
        _listener: listener,
        path: addr.path.clone(),
        stopping,
    })
}

/// A bound `-ipcbind` socket; dropping it stops accepting. The socket file stays, as
/// Core's does, so a client then gets "Connection refused"; the next bind replaces it.
pub struct Listener {
    _listener: UnixListener,
    path: PathBuf,
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl Listener {
    /// Path of the socket file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the accept loop so its thread sees the flag and ends.
        let _ = UnixStream::connect(&self.path);
    }
}

/// Connects to a unix socket at `addr`.
pub fn connect(addr: &SocketAddress) -> Result<Connection> {
    let stream = UnixStream::connect(&addr.path)
        .map_err(|e| Error::Io(format!("cannot connect to {}: {e}", addr.path.display())))?;
    Connection::new(stream, None, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_as_core_parses_them() {
        let dir = Path::new("/data/regtest");
        let a = SocketAddress::parse("unix", dir, "bitcoin-node").unwrap();
        assert_eq!(a.path, Path::new("/data/regtest/node.sock"));
        let a = SocketAddress::parse("unix:", dir, "bitcoin-wallet").unwrap();
        assert_eq!(a.path, Path::new("/data/regtest/wallet.sock"));
        let a = SocketAddress::parse("unix:sub/x.sock", dir, "bitcoin-node").unwrap();
        assert_eq!(a.path, Path::new("/data/regtest/sub/x.sock"));
        let a = SocketAddress::parse("unix:/abs/y.sock", dir, "bitcoin-node").unwrap();
        assert_eq!(a.path, Path::new("/abs/y.sock"));
        assert_eq!(
            SocketAddress::parse("tcp:1", dir, "bitcoin-node")
                .unwrap_err()
                .message(),
            "Unrecognized address 'tcp:1'"
        );
        let long = format!("unix:{}", "x".repeat(120));
        assert!(SocketAddress::parse(&long, dir, "bitcoin-node")
            .unwrap_err()
            .message()
            .ends_with("exceeded maximum socket path length"));
    }

    #[test]
    fn serve_fd_rejects_what_is_not_a_socket() {
        let file = std::fs::File::open("/dev/null").unwrap();
        use std::os::fd::AsRawFd;
        let err =
            serve_fd(file.as_raw_fd(), Arc::new(crate::threads::ThreadMapServer)).unwrap_err();
        assert!(err.message().contains("is not an open socket"), "{err}");
        assert!(serve_fd(987_654, Arc::new(crate::threads::ThreadMapServer)).is_err());
    }
}
