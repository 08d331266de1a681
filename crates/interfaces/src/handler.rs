//! `Handler`: a registration that ends when it is dropped (Core's `interfaces::Handler`).

use crate::Result;

/// A subscription or registered command; dropping it, or calling `disconnect`, ends it.
#[ipc::interface(module = crate::generated::handler_ipc::handler)]
pub trait Handler: Send + Sync {
    /// Ends the registration now.
    fn disconnect(&self) -> Result<()>;
}

/// A handler that runs a function once, on `disconnect` or when dropped.
pub struct CleanupHandler {
    cleanup: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl CleanupHandler {
    /// Runs `cleanup` when disconnected or dropped.
    pub fn new(cleanup: impl FnOnce() + Send + 'static) -> CleanupHandler {
        CleanupHandler {
            cleanup: std::sync::Mutex::new(Some(Box::new(cleanup))),
        }
    }

    fn run(&self) {
        let f = self
            .cleanup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(f) = f {
            f();
        }
    }
}

impl Handler for CleanupHandler {
    fn disconnect(&self) -> Result<()> {
        self.run();
        Ok(())
    }
}

impl Drop for CleanupHandler {
    fn drop(&mut self) {
        self.run();
    }
}
