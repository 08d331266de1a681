//! The export and import tables: turning capabilities into cap descriptors and back.

use super::*;

impl ConnInner {
    /// Writes the cap table of a Call built in `b`.
    pub(crate) fn encode_call_caps(
        &self,
        b: &mut Builder<HeapAllocator>,
        build_cx: &BuildCx,
        cap_table: &capnp::private::layout::CapTable,
    ) -> Result<()> {
        let root = b.get_root::<message::Builder>()?;
        let message::Call(Ok(call)) = root.which()? else {
            return Err(Error::Protocol("expected a Call message".into()));
        };
        let mut descs = call.get_params()?.init_cap_table(cap_table.len() as u32);
        for (i, h) in cap_table.iter().enumerate() {
            let e = h
                .as_ref()
                .map(|h| build_cx.resolve(h.as_ref()))
                .unwrap_or(CapEntry::Null);
            self.encode_cap(&e, descs.reborrow().get(i as u32))?;
        }
        Ok(())
    }

    /// Fills a CapDescriptor; returns the export ID whose count it raised.
    pub(super) fn encode_cap(
        &self,
        e: &CapEntry,
        mut d: cap_descriptor::Builder<'_>,
    ) -> Result<Option<u32>> {
        match e {
            CapEntry::Null => {
                d.set_none(());
                Ok(None)
            }
            CapEntry::Import(imp) if imp.conn.id == self.id => {
                d.set_receiver_hosted(imp.id);
                Ok(None)
            }
            CapEntry::Import(_) => Err(Error::Protocol(
                "cannot pass a capability of another connection".into(),
            )),
            CapEntry::Local(obj) => {
                let ptr = Arc::as_ptr(obj) as *const () as usize;
                let mut st = self.lock();
                let id = match st.export_ids.get(&ptr) {
                    Some(&id) => {
                        if let Some(ex) = st.exports.get_mut(&id) {
                            ex.refs += 1;
                        }
                        id
                    }
                    None => {
                        let mut id = st.next_export;
                        while st.exports.contains_key(&id) {
                            id = id.wrapping_add(1);
                        }
                        st.next_export = id.wrapping_add(1);
                        st.exports.insert(
                            id,
                            Export {
                                obj: obj.clone(),
                                refs: 1,
                            },
                        );
                        st.export_ids.insert(ptr, id);
                        id
                    }
                };
                d.set_sender_hosted(id);
                Ok(Some(id))
            }
        }
    }

    pub(super) fn release_export(&self, id: u32, count: u32) {
        let removed = {
            let mut st = self.lock();
            let Some(ex) = st.exports.get_mut(&id) else {
                return;
            };
            ex.refs = ex.refs.saturating_sub(count);
            if ex.refs > 0 {
                return;
            }
            let ex = st.exports.remove(&id);
            if let Some(ex) = &ex {
                let ptr = Arc::as_ptr(&ex.obj) as *const () as usize;
                st.export_ids.remove(&ptr);
            }
            ex
        };
        if let Some(ex) = removed {
            ex.obj.destroy();
        }
    }

    pub(crate) fn release_import(&self, id: u32, ptr: usize) {
        let refs = {
            let mut st = self.lock();
            match st.imports.get(&id) {
                Some(imp) if imp.handle.as_ptr() as usize == ptr => {
                    st.imports.remove(&id).map(|i| i.refs)
                }
                _ => None,
            }
        };
        if let Some(refs) = refs {
            if refs > 0 && !self.disconnected.load(Ordering::Acquire) {
                let mut b = Builder::new_default();
                let mut rel = b.init_root::<message::Builder>().init_release();
                rel.set_id(id);
                rel.set_reference_count(refs);
                let _ = self.send(&b);
            }
        }
    }

    pub(super) fn decode_cap(self: &Arc<Self>, d: cap_descriptor::Reader<'_>) -> Result<CapEntry> {
        Ok(match d.which()? {
            cap_descriptor::None(()) => CapEntry::Null,
            cap_descriptor::SenderHosted(id) | cap_descriptor::SenderPromise(id) => self.import(id),
            cap_descriptor::ThirdPartyHosted(t) => self.import(t?.get_vine_id()),
            cap_descriptor::ReceiverHosted(id) => match self.lock().exports.get(&id) {
                Some(e) => CapEntry::Local(e.obj.clone()),
                None => {
                    return Err(Error::Protocol(format!(
                        "unknown export ID {id} in cap table"
                    )))
                }
            },
            cap_descriptor::ReceiverAnswer(pa) => {
                let pa = pa?;
                let ops = transform_ops(pa)?;
                self.answer_cap(pa.get_question_id(), &ops).ok_or_else(|| {
                    Error::Protocol("cap table refers to an unknown answer".into())
                })?
            }
        })
    }

    pub(super) fn import(self: &Arc<Self>, id: u32) -> CapEntry {
        let mut st = self.lock();
        let imp = st.imports.entry(id).or_insert(Import {
            refs: 0,
            handle: Weak::new(),
        });
        imp.refs += 1;
        if let Some(h) = imp.handle.upgrade() {
            return CapEntry::Import(h);
        }
        let h = Arc::new(ImportRef {
            conn: self.clone(),
            id,
        });
        imp.handle = Arc::downgrade(&h);
        CapEntry::Import(h)
    }

    pub(super) fn decode_cap_table(
        self: &Arc<Self>,
        table: capnp::struct_list::Reader<'_, cap_descriptor::Owned>,
    ) -> Result<Vec<CapEntry>> {
        table.iter().map(|d| self.decode_cap(d)).collect()
    }
}
