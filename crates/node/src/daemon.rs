//! `-daemon` and `-daemonwait`: the node detaches into the background as Core's
//! `fork_daemon` does. The parent waits on a pipe for one byte from the child: 1 once
//! the node is up (at once with `-daemon`, after "Done loading" with `-daemonwait`), or
//! end-of-file if the child failed first; it then exits 0 or 1.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};

/// The child's end of the pipe to the waiting parent, -1 when there is none.
static PARENT_PIPE: AtomicI32 = AtomicI32::new(-1);

/// What [`daemonize`] leaves the caller to do.
pub enum Forked {
    /// This is the background child: go on starting the node.
    Child,
    /// This is the parent: exit with this status.
    Parent(i32),
}

/// Forks into the background, before any thread starts (a fork copies only the calling
/// thread). `wait` keeps the parent until the child reports being up.
pub fn daemonize(wait: bool) -> std::io::Result<Forked> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe() writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let (read_end, write_end) = (fds[0], fds[1]);
    // SAFETY: the process is still single-threaded here, so the child is a full copy.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        close(read_end);
        close(write_end);
        return Err(e);
    }
    if pid > 0 {
        close(write_end);
        let mut token = [0u8; 1];
        // SAFETY: reading one byte into a one-byte buffer from our own pipe end.
        let n = unsafe { libc::read(read_end, token.as_mut_ptr().cast(), 1) };
        close(read_end);
        return Ok(Forked::Parent(if n == 1 && token[0] == 1 { 0 } else { 1 }));
    }
    close(read_end);
    // SAFETY: plain system calls on the child's own session and descriptors.
    unsafe {
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            if null > 2 {
                libc::close(null);
            }
        }
    }
    PARENT_PIPE.store(write_end, Ordering::SeqCst);
    if !wait {
        notify_started();
    }
    Ok(Forked::Child)
}

/// Tells a waiting parent that the node is up; does nothing without one.
pub fn notify_started() {
    let fd = PARENT_PIPE.swap(-1, Ordering::SeqCst);
    if fd >= 0 {
        let token = [1u8];
        // SAFETY: writing one byte from a one-byte buffer to our pipe end, then closing it.
        unsafe {
            libc::write(fd, token.as_ptr().cast(), 1);
        }
        close(fd);
    }
}

fn close(fd: RawFd) {
    // SAFETY: closing a descriptor this module opened and no one else uses.
    unsafe {
        libc::close(fd);
    }
}
