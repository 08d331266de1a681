//! Calls the peer makes to us: where they run, their Return, pipelining and Finish.

use super::wire::call_params;
use super::*;

impl ConnInner {
    pub(super) fn handle_disembargo(
        &self,
        d: crate::generated::rpc_capnp::disembargo::Reader<'_>,
    ) -> Result<()> {
        use crate::generated::rpc_capnp::disembargo::context;
        if let context::SenderLoopback(embargo) = d.get_context().which()? {
            let entry = match d.get_target()?.which()? {
                message_target::ImportedCap(id) => self
                    .lock()
                    .exports
                    .get(&id)
                    .map(|e| CapEntry::Local(e.obj.clone())),
                message_target::PromisedAnswer(pa) => {
                    let pa = pa?;
                    let ops = transform_ops(pa)?;
                    self.answer_cap(pa.get_question_id(), &ops)
                }
            };
            if let Some(CapEntry::Import(imp)) = entry {
                let mut b = Builder::new_default();
                let mut dis = b.init_root::<message::Builder>().init_disembargo();
                dis.reborrow().init_target().set_imported_cap(imp.id);
                dis.init_context().set_receiver_loopback(embargo);
                self.send(&b)?;
            } else {
                return Err(Error::Protocol(
                    "Disembargo target does not point back to the sender".into(),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn handle_bootstrap(self: &Arc<Self>, qid: u32) -> Result<()> {
        let Some(obj) = self.bootstrap.clone() else {
            return self.return_error(
                qid,
                exception::Type::Failed,
                "this connection has no bootstrap interface",
            );
        };
        let mut b = Builder::new_default();
        let mut build_cx = BuildCx::new(self.clone());
        let mut cap_table = Vec::new();
        {
            let mut ret = b.init_root::<message::Builder>().init_return();
            ret.set_answer_id(qid);
            ret.set_release_param_caps(false);
            let mut content = ret.init_results().init_content();
            content.imbue_mut(&mut cap_table);
            let client: capnp::capability::Client = build_cx.export(obj);
            content.set_as_capability(client.hook);
        }
        self.finish_return(qid, b, &build_cx, &cap_table)
    }

    pub(super) fn return_error(&self, qid: u32, kind: exception::Type, reason: &str) -> Result<()> {
        let mut b = Builder::new_default();
        {
            let mut ret = b.init_root::<message::Builder>().init_return();
            ret.set_answer_id(qid);
            ret.set_release_param_caps(false);
            let mut ex = ret.init_exception();
            ex.set_reason(reason);
            ex.set_type(kind);
        }
        {
            let mut st = self.lock();
            let answer = st.answers.entry(qid).or_default();
            answer.returned = true;
            let done = answer.finished;
            let pipelined = std::mem::take(&mut answer.pipelined);
            if done {
                st.answers.remove(&qid);
            }
            drop(st);
            for (m, _) in pipelined {
                if let Ok(q) = call_question_id(&m) {
                    let _ = self.return_error(q, kind, reason);
                }
            }
        }
        self.send(&b)
    }

    /// Writes the cap table of a Return built in `b`, records the answer and sends it.
    pub(super) fn finish_return(
        self: &Arc<Self>,
        qid: u32,
        mut b: Builder<HeapAllocator>,
        build_cx: &BuildCx,
        cap_table: &capnp::private::layout::CapTable,
    ) -> Result<()> {
        let entries: Vec<CapEntry> = cap_table
            .iter()
            .map(|h| {
                h.as_ref()
                    .map(|h| build_cx.resolve(h.as_ref()))
                    .unwrap_or(CapEntry::Null)
            })
            .collect();
        let mut exported = Vec::new();
        {
            let root = b.get_root::<message::Builder>()?;
            if let Ok(message::Return(Ok(ret))) = root.which() {
                if let Ok(return_::Results(Ok(payload))) = ret.which() {
                    let mut descs = payload.init_cap_table(entries.len() as u32);
                    for (i, e) in entries.iter().enumerate() {
                        if let Some(id) = self.encode_cap(e, descs.reborrow().get(i as u32))? {
                            exported.push(id);
                        }
                    }
                }
            }
        }
        let sent = self.send(&b);
        // Marked returned only now, with its results stored in the same critical section:
        // until then, pipelined calls queue on the answer and a Finish only marks it.
        let (pipelined, release) = {
            let mut st = self.lock();
            let answer = st.answers.entry(qid).or_default();
            answer.returned = true;
            answer.exported = exported;
            let pipelined = std::mem::take(&mut answer.pipelined);
            let mut release = Vec::new();
            if answer.finished {
                if let Some(a) = st.answers.remove(&qid) {
                    if a.release_result_caps {
                        release = a.exported;
                    }
                }
            } else if !entries.is_empty() {
                answer.results = Some((b, entries));
            }
            (pipelined, release)
        };
        for id in release {
            self.release_export(id, 1);
        }
        for (m, ops) in pipelined {
            self.pipelined_call(qid, ops, m);
        }
        sent
    }

    pub(super) fn answer_cap(&self, aid: u32, ops: &[PipelineOp]) -> Option<CapEntry> {
        let st = self.lock();
        let (b, entries) = st.answers.get(&aid)?.results.as_ref()?;
        let hooks = ReadCx::hooks_for(entries);
        let root = b.get_root_as_reader::<message::Reader>().ok()?;
        let message::Return(Ok(ret)) = root.which().ok()? else {
            return None;
        };
        let return_::Results(Ok(payload)) = ret.which().ok()? else {
            return None;
        };
        let mut content = payload.get_content();
        content.imbue(&hooks);
        let hook = content.get_pipelined_cap(ops).ok()?;
        hook.get_ptr()
            .checked_sub(1)
            .and_then(|i| entries.get(i))
            .cloned()
    }

    pub(super) fn call_promised(
        self: &Arc<Self>,
        qid: u32,
        aid: u32,
        ops: Vec<PipelineOp>,
        msg: InMessage,
    ) -> Result<()> {
        {
            let mut st = self.lock();
            st.answers.entry(qid).or_default();
            if let Some(a) = st.answers.get_mut(&aid) {
                if !a.returned {
                    // Runs once the answer it targets is returned.
                    a.pipelined.push((msg, ops));
                    return Ok(());
                }
            }
        }
        self.pipelined_call(aid, ops, msg);
        Ok(())
    }

    pub(super) fn pipelined_call(self: &Arc<Self>, aid: u32, ops: Vec<PipelineOp>, msg: InMessage) {
        match self.answer_cap(aid, &ops) {
            Some(CapEntry::Local(obj)) => self.dispatch(obj, msg).unwrap_or(()),
            _ => {
                if let Ok(q) = call_question_id(&msg) {
                    let _ = self.return_error(
                        q,
                        exception::Type::Failed,
                        "pipelined call on an answer without that capability",
                    );
                }
            }
        }
    }

    pub(super) fn handle_finish(&self, qid: u32, release_result_caps: bool) {
        let release = {
            let mut st = self.lock();
            let Some(a) = st.answers.get_mut(&qid) else {
                return;
            };
            a.finished = true;
            a.release_result_caps = release_result_caps;
            if !a.returned {
                return;
            }
            // Returned out of the lock: dropping its caps may release imports, which locks.
            st.answers.remove(&qid)
        };
        let Some(mut answer) = release else { return };
        if release_result_caps {
            for id in std::mem::take(&mut answer.exported) {
                self.release_export(id, 1);
            }
        }
        drop(answer);
    }

    /// Decides where a call runs and runs it there.
    pub(super) fn dispatch(
        self: &Arc<Self>,
        obj: Arc<dyn ServerObject>,
        msg: InMessage,
    ) -> Result<()> {
        let req = SERVER_REQS.fetch_add(1, Ordering::Relaxed) + 1;
        let parsed = (|| -> Result<_> {
            let root = msg.get_root::<message::Reader>()?;
            let message::Call(call) = root.which()? else {
                return Err(Error::Protocol("expected a Call message".into()));
            };
            let call = call?;
            let qid = call.get_question_id();
            let caps = self.decode_cap_table(call.get_params()?.get_cap_table()?)?;
            Ok((qid, call.get_interface_id(), call.get_method_id(), caps))
        })();
        let (qid, interface_id, method_id, caps) = match parsed {
            Ok(p) => p,
            Err(e) => {
                let qid = call_question_id(&msg)?;
                return self.return_error(qid, exception::Type::Failed, &e.to_string());
            }
        };
        let method = if interface_id == obj.interface_id() {
            obj.method(method_id)
        } else {
            None
        };
        let Some(method) = method else {
            let reason = format!(
                "Method not implemented: interface {interface_id:#x} method {method_id} on {}",
                obj.interface_name()
            );
            return self.return_error(qid, exception::Type::Unimplemented, &reason);
        };
        self.log(
            Level::Debug,
            &format!("IPC server recv request  #{req} {}", method.params_name),
        );
        let read_cx = ReadCx {
            conn: self.clone(),
            entries: caps,
        };
        if crate::log::enabled(Level::Trace) {
            let hooks = read_cx.hooks();
            if let Ok(params) = call_params(&msg, &hooks) {
                self.log(
                    Level::Trace,
                    &format!("request data: {}", (method.format_params)(params)),
                );
            }
        }
        let Some(context_of) = method.context else {
            self.run_call(obj, method, msg, read_cx, qid, req);
            return Ok(());
        };
        let thread = (|| -> Result<Option<(CapEntry, CapEntry)>> {
            let hooks = read_cx.hooks();
            let params = call_params(&msg, &hooks)?;
            let Some(ctx) = context_of(params)? else {
                return Ok(None);
            };
            // A null thread asks for the pool; a null callback thread means no callbacks.
            let thread = if ctx.has_thread() {
                read_cx.entry(ctx.get_thread()?)?
            } else {
                CapEntry::Null
            };
            let callback = if ctx.has_callback_thread() {
                read_cx.entry(ctx.get_callback_thread()?)?
            } else {
                CapEntry::Null
            };
            Ok(Some((thread, callback)))
        })();
        let (thread, callback) = match thread {
            Ok(Some(t)) => t,
            Ok(None) => (CapEntry::Null, CapEntry::Null),
            Err(e) => return self.return_error(qid, exception::Type::Failed, &e.to_string()),
        };
        let slot = match &thread {
            CapEntry::Local(o) => o
                .as_any()
                .downcast_ref::<ThreadServer>()
                .map(|t| (t.waiter.clone(), debug_name(t), None)),
            CapEntry::Null => {
                // No thread named: the least busy thread of the pool, if the client made one.
                let pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
                pool.iter()
                    .min_by_key(|s| s.depth.load(Ordering::Relaxed))
                    .map(|s| {
                        s.depth.fetch_add(1, Ordering::Relaxed);
                        (
                            s.thread.waiter.clone(),
                            s.thread.name.clone(),
                            Some(s.depth.clone()),
                        )
                    })
            }
            CapEntry::Import(_) => None,
        };
        let Some((target, name, depth)) = slot else {
            let (log, reason) = if matches!(thread, CapEntry::Null) {
                (
                    "no thread specified and no pool configured",
                    "no thread specified and no pool configured",
                )
            } else {
                ("missing thread to execute request", "invalid thread handle")
            };
            self.log(
                Level::Error,
                &format!("IPC server error request #{req}, {log}"),
            );
            return self.return_error(qid, exception::Type::Failed, reason);
        };
        self.log(
            Level::Debug,
            &format!("IPC server post request  #{req} {{{name}}}"),
        );
        let conn = self.clone();
        target.post(Box::new(move || {
            let conn_id = conn.id;
            let (inserted, me) = waiter::with_context(|c| {
                let me = if crate::log::enabled(Level::Debug) {
                    c.name.clone()
                } else {
                    String::new()
                };
                if c.request_threads.contains_key(&conn_id) || matches!(callback, CapEntry::Null) {
                    (false, me)
                } else {
                    c.request_threads.insert(conn_id, callback);
                    (true, me)
                }
            });
            crate::ipc_log!(Level::Debug, "{{{me}}} IPC server executing request #{req}");
            conn.run_call(obj, method, msg, read_cx, qid, req);
            if inserted {
                let removed = waiter::with_context(|c| c.request_threads.remove(&conn_id));
                drop(removed);
            }
            if let Some(depth) = depth {
                depth.fetch_sub(1, Ordering::Relaxed);
            }
        }));
        Ok(())
    }

    /// Runs a call on the current thread and sends its Return.
    pub(super) fn run_call(
        self: &Arc<Self>,
        obj: Arc<dyn ServerObject>,
        method: &'static crate::call::MethodInfo,
        msg: InMessage,
        read_cx: ReadCx,
        qid: u32,
        req: u64,
    ) {
        let mut b = Builder::new_default();
        let mut build_cx = BuildCx::new(self.clone());
        let mut cap_table = Vec::new();
        let mut destroy = false;
        let hooks = read_cx.hooks();
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<()> {
            let params = call_params(&msg, &hooks)?;
            let mut ret = b.init_root::<message::Builder>().init_return();
            ret.set_answer_id(qid);
            ret.set_release_param_caps(false);
            let mut content = ret.init_results().init_content();
            content.imbue_mut(&mut cap_table);
            let mut call = IncomingCall {
                params,
                results: Some(content),
                read_cx: &read_cx,
                build_cx: &mut build_cx,
                destroy: false,
                ordinal: method.ordinal,
            };
            let r = obj.dispatch(&mut call);
            destroy = call.destroy;
            r
        }));
        drop(hooks);
        drop(msg);
        if destroy {
            obj.destroy();
        }
        let error = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.message().to_string()),
            Err(panic) => Some(panic_message(&panic)),
        };
        if let Some(reason) = error {
            self.log(
                Level::Error,
                &format!(
                    "IPC server error request #{req} {} kj::Exception: {reason}",
                    method.results_name
                ),
            );
            let _ = self.return_error(qid, exception::Type::Failed, &reason);
            return;
        }
        self.log(
            Level::Debug,
            &format!("IPC server send response #{req} {}", method.results_name),
        );
        if crate::log::enabled(Level::Trace) {
            let hooks = ReadCx::hooks_for(&build_cx.entries);
            if let Ok(root) = b.get_root_as_reader::<message::Reader>() {
                if let Ok(message::Return(Ok(ret))) = root.which() {
                    if let Ok(return_::Results(Ok(p))) = ret.which() {
                        let mut content = p.get_content();
                        content.imbue(&hooks);
                        self.log(
                            Level::Trace,
                            &format!("response data: {}", (method.format_results)(content)),
                        );
                    }
                }
            }
        }
        if let Err(e) = self.finish_return(qid, b, &build_cx, &cap_table) {
            self.log(
                Level::Warning,
                &format!("IPC server could not send response #{req}: {e}"),
            );
        }
    }
}

/// The thread's name for a debug line, without allocating when debug logging is off.
fn debug_name(t: &ThreadServer) -> String {
    if crate::log::enabled(Level::Debug) {
        t.name.clone()
    } else {
        String::new()
    }
}
