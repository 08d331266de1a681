//! Questions we ask the peer: Bootstrap and Calls, their Return and our Finish.

use super::wire::exception_error;
use super::*;

impl ConnInner {
    pub(super) fn handle_return(self: &Arc<Self>, qid: u32, msg: InMessage) -> Result<()> {
        let question = self.lock().questions.remove(&qid);
        let (caps, error, no_finish) = {
            let root = msg.get_root::<message::Reader>()?;
            let message::Return(ret) = root.which()? else {
                return Err(Error::Protocol("expected a Return message".into()));
            };
            let ret = ret?;
            let no_finish = ret.get_no_finish_needed();
            match ret.which()? {
                return_::Results(p) => {
                    (self.decode_cap_table(p?.get_cap_table()?)?, None, no_finish)
                }
                return_::Exception(ex) => (Vec::new(), Some(exception_error(ex?)), no_finish),
                return_::Canceled(()) => (
                    Vec::new(),
                    Some(Error::Remote("call canceled".into())),
                    no_finish,
                ),
                _ => (
                    Vec::new(),
                    Some(Error::Unimplemented("unsupported Return variant".into())),
                    no_finish,
                ),
            }
        };
        if !no_finish {
            let mut b = Builder::new_default();
            let mut fin = b.init_root::<message::Builder>().init_finish();
            fin.set_question_id(qid);
            // Result caps are imported already and released one by one when dropped.
            fin.set_release_result_caps(false);
            self.send(&b)?;
        }
        {
            let mut st = self.lock();
            st.free_questions.push(qid);
        }
        let Some(q) = question else {
            return Err(Error::Protocol(format!(
                "Return for unknown question {qid}"
            )));
        };
        let reply = match error {
            Some(e) => Err(e),
            None => Ok((msg, caps)),
        };
        q.waiter.deliver(q.key, reply);
        Ok(())
    }

    /// Sends a Bootstrap message and waits for the peer's bootstrap capability.
    pub(super) fn request_bootstrap(self: &Arc<Self>) -> Result<CapEntry> {
        let mut b = Builder::new_default();
        let (qid, key, waiter) = self.new_question()?;
        b.init_root::<message::Builder>()
            .init_bootstrap()
            .set_question_id(qid);
        self.send(&b)?;
        let (msg, caps) = waiter.wait_reply(key)?;
        let root = msg.get_root::<message::Reader>()?;
        let message::Return(Ok(ret)) = root.which()? else {
            return Err(Error::Protocol("expected a Return message".into()));
        };
        let return_::Results(Ok(payload)) = ret.which()? else {
            return Err(Error::Protocol("bootstrap returned no results".into()));
        };
        let hooks = ReadCx::hooks_for(&caps);
        let mut content = payload.get_content();
        content.imbue(&hooks);
        let client: capnp::capability::Client = content.get_as_capability()?;
        client
            .hook
            .get_ptr()
            .checked_sub(1)
            .and_then(|i| caps.get(i))
            .cloned()
            .ok_or_else(|| Error::Protocol("bootstrap returned no capability".into()))
    }

    /// Allocates a question ID whose reply goes to the current thread's waiter.
    pub(crate) fn new_question(&self) -> Result<(u32, u64, Arc<Waiter>)> {
        if self.disconnected.load(Ordering::Acquire) {
            return Err(self.disconnected_error());
        }
        if waiter::with_context(|c| c.reader_of == Some(self.id)) {
            // Only this thread reads the reply: waiting here would deadlock.
            return Err(Error::Protocol(
                "blocking IPC call from the connection's event loop thread; give the method a Context".into(),
            ));
        }
        let waiter = waiter::with_context(|c| c.waiter.clone());
        let key = NEXT_QUESTION_KEY.fetch_add(1, Ordering::Relaxed);
        let qid = {
            let mut st = self.lock();
            let qid = match st.free_questions.pop() {
                Some(q) => q,
                None => {
                    let q = st.next_question;
                    st.next_question += 1;
                    q
                }
            };
            st.questions.insert(
                qid,
                Question {
                    key,
                    waiter: waiter.clone(),
                },
            );
            qid
        };
        Ok((qid, key, waiter))
    }

    /// Forgets a question whose Call could not be sent.
    pub(crate) fn drop_question(&self, key: u64) {
        let mut st = self.lock();
        st.questions.retain(|_, q| q.key != key);
    }
}
