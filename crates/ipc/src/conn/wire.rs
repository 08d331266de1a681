//! Framing and socket helpers shared by the connection modules.

use super::*;

/// The params of a Call message, imbued with the capabilities in `hooks`.
pub(super) fn call_params<'a>(
    msg: &'a InMessage,
    hooks: &'a capnp::private::layout::CapTable,
) -> Result<capnp::any_pointer::Reader<'a>> {
    let root = msg.get_root::<message::Reader<'a>>()?;
    let message::Call(call) = root.which()? else {
        return Err(Error::Protocol("expected a Call message".into()));
    };
    let mut content = call?.get_params()?.get_content();
    content.imbue(hooks);
    Ok(content)
}

pub(super) fn call_question_id(msg: &InMessage) -> Result<u32> {
    let root = msg.get_root::<message::Reader>()?;
    match root.which()? {
        message::Call(c) => Ok(c?.get_question_id()),
        _ => Err(Error::Protocol("expected a Call message".into())),
    }
}

pub(super) fn transform_ops(pa: promised_answer::Reader<'_>) -> Result<Vec<PipelineOp>> {
    use crate::generated::rpc_capnp::promised_answer::op;
    pa.get_transform()?
        .iter()
        .map(|o| match o.which()? {
            op::Noop(()) => Ok(PipelineOp::Noop),
            op::GetPointerField(i) => Ok(PipelineOp::GetPointerField(i)),
        })
        .collect()
}

pub(super) fn exception_error(ex: exception::Reader<'_>) -> Error {
    let reason = ex
        .get_reason()
        .ok()
        .and_then(|r| r.to_string().ok())
        .unwrap_or_default();
    match ex.get_type() {
        Ok(exception::Type::Disconnected) => Error::Disconnected(reason),
        Ok(exception::Type::Unimplemented) => Error::Unimplemented(reason),
        _ => Error::Remote(reason),
    }
}

pub(super) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".into()
    }
}

/// Writes all of `parts` to `fd`, gathering them into as few `sendmsg` calls as the kernel allows.
pub(super) fn send_all(fd: std::os::fd::RawFd, parts: &[&[u8]]) -> std::io::Result<()> {
    let mut index = 0;
    let mut offset = 0;
    while index < parts.len() {
        let iov: Vec<libc::iovec> = parts[index..]
            .iter()
            .enumerate()
            .take(64)
            .map(|(i, p)| {
                let p = if i == 0 { &p[offset..] } else { p };
                libc::iovec {
                    iov_base: p.as_ptr() as *mut libc::c_void,
                    iov_len: p.len(),
                }
            })
            .collect();
        // SAFETY: msghdr is plain data; we set only the iovec fields.
        let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
        hdr.msg_iov = iov.as_ptr() as *mut libc::iovec;
        hdr.msg_iovlen = iov.len() as _;
        // SAFETY: every iovec points into a live slice of `parts`.
        let n = unsafe { libc::sendmsg(fd, &hdr, libc::MSG_NOSIGNAL) };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        let mut n = n as usize;
        while index < parts.len() && n >= parts[index].len() - offset {
            n -= parts[index].len() - offset;
            index += 1;
            offset = 0;
        }
        offset += n;
    }
    Ok(())
}

/// Asks for large socket buffers, so a big message crosses in few wake-ups. Best effort:
/// the kernel caps the sizes at net.core.wmem_max and rmem_max.
pub(crate) fn enlarge_buffers(stream: &UnixStream) {
    let size: libc::c_int = 4 * 1024 * 1024;
    for opt in [libc::SO_SNDBUF, libc::SO_RCVBUF] {
        // SAFETY: setsockopt reads `size` for its length; failure is harmless.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}
