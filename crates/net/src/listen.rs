//! Listening sockets (`BindListenPort`, `InitBinds`).
//!
//! Sockets are made with `libc` rather than `TcpListener::bind` because IPv6 listeners
//! need `IPV6_V6ONLY` before `bind`: otherwise `[::]` takes the IPv4 port as well and
//! the `0.0.0.0` bind Core also makes fails.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::FromRawFd;
use std::sync::Arc;

use common::{log_error, log_info};

use crate::connman::Listener;
use crate::options::ConnmanOptions;
use crate::types::NetPermissions;

/// Core's `NetworkErrorString`: the system's text and the number.
pub(crate) fn network_error_string(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let text = io::Error::from_raw_os_error(code).to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            format!("{text} ({code})")
        }
        None => e.to_string(),
    }
}

fn setsockopt_int(fd: libc::c_int, level: libc::c_int, name: libc::c_int) -> io::Result<()> {
    let one: libc::c_int = 1;
    // SAFETY: `fd` is a socket we own; the option value is a live c_int of the given size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn sockaddr_of(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// Opens a listening socket on `addr`; the error is Core's text, already logged.
pub(crate) fn bind_listen_port(addr: SocketAddr) -> Result<TcpListener, String> {
    let family = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket(2) call.
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            libc::IPPROTO_TCP,
        )
    };
    if fd < 0 {
        let e = format!(
            "Couldn't open socket for incoming connections (socket returned error {})",
            network_error_string(&io::Error::last_os_error())
        );
        log_error!("{e}");
        return Err(e);
    }
    // SAFETY: `fd` is a fresh socket nobody else owns; the listener closes it on drop,
    // including on the error paths below.
    let listener = unsafe { TcpListener::from_raw_fd(fd) };
    // So a restart can bind while old connections sit in TIME_WAIT.
    if let Err(e) = setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR) {
        log_info!(
            "Error setting SO_REUSEADDR on socket: {}, continuing anyway",
            network_error_string(&e)
        );
    }
    if addr.is_ipv6() {
        if let Err(e) = setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) {
            log_info!(
                "Error setting IPV6_V6ONLY on socket: {}, continuing anyway",
                network_error_string(&e)
            );
        }
    }
    let (storage, len) = sockaddr_of(&addr);
    // SAFETY: `storage` holds a sockaddr of `len` bytes for this family.
    if unsafe { libc::bind(fd, &storage as *const _ as *const libc::sockaddr, len) } != 0 {
        let err = io::Error::last_os_error();
        let e = if err.raw_os_error() == Some(libc::EADDRINUSE) {
            format!(
                "Unable to bind to {addr} on this computer. {} is probably already running.",
                common::version::CLIENT_NAME
            )
        } else {
            format!(
                "Unable to bind to {addr} on this computer (bind returned error {})",
                network_error_string(&err)
            )
        };
        log_error!("{e}");
        return Err(e);
    }
    log_info!("Bound to {addr}");
    // SAFETY: listen(2) on our bound socket.
    if unsafe { libc::listen(fd, libc::SOMAXCONN) } != 0 {
        let e = format!(
            "Listening for incoming connections failed (listen returned error {})",
            network_error_string(&io::Error::last_os_error())
        );
        log_error!("{e}");
        return Err(e);
    }
    listener
        .set_nonblocking(true)
        .map_err(|e| network_error_string(&e))?;
    Ok(listener)
}

/// Binds every configured address (`InitBinds`): `-bind`, `-whitebind`, onion binds,
/// and without those `[::]` (failure tolerated) and `0.0.0.0`.
pub(crate) fn init_binds(o: &ConnmanOptions) -> Result<Vec<Listener>, String> {
    let mut out = Vec::new();
    let mut add =
        |addr: SocketAddr, permissions: NetPermissions, onion: bool| -> Result<(), String> {
            let sock = bind_listen_port(addr)?;
            out.push(Listener {
                sock: Arc::new(sock),
                permissions,
                onion,
            });
            Ok(())
        };
    for a in &o.binds {
        add(*a, NetPermissions::default(), false)?;
    }
    for w in &o.white_binds {
        add(w.addr, w.permissions, false)?;
    }
    for a in &o.onion_binds {
        add(*a, NetPermissions::default(), true)?;
    }
    if o.bind_on_any {
        // The host may lack IPv6; the user did not ask for it explicitly.
        let _ = add(
            SocketAddr::from(([0u16; 8], o.listen_port)),
            NetPermissions::default(),
            false,
        );
        add(
            SocketAddr::from(([0u8; 4], o.listen_port)),
            NetPermissions::default(),
            false,
        )?;
    }
    Ok(out)
}
