//! The full consistency check (Core's `CheckAddrman`), run on `-checkaddrman` and after
//! loading peers.dat. Error codes are Core's, so logs compare.

use std::collections::{HashMap, HashSet};

use super::{AddrMan, NewTriedCount, ADDRMAN_NEW_BUCKETS_PER_ADDRESS, EMPTY};
use crate::netaddress::Network;

impl AddrMan {
    /// Checks every cross-reference between entries, tables, counters and the random
    /// order; `Err` carries Core's negative error code.
    pub fn check_addrman(&self) -> Result<(), i32> {
        let mut set_tried: HashSet<i64> = HashSet::new();
        let mut map_new: HashMap<i64, i32> = HashMap::new();
        let mut local: HashMap<Network, NewTriedCount> = HashMap::new();
        if self.random.len() != (self.n_tried + self.n_new) as usize {
            return Err(-7);
        }
        for (&n, info) in &self.map_info {
            let net = info.address.addr().get_network();
            if info.in_tried {
                if info.last_success == 0 {
                    return Err(-1);
                }
                if info.ref_count != 0 {
                    return Err(-2);
                }
                set_tried.insert(n);
                local.entry(net).or_default().n_tried += 1;
            } else {
                if info.ref_count < 0 || info.ref_count > ADDRMAN_NEW_BUCKETS_PER_ADDRESS {
                    return Err(-3);
                }
                if info.ref_count == 0 {
                    return Err(-4);
                }
                map_new.insert(n, info.ref_count);
                local.entry(net).or_default().n_new += 1;
            }
            if self.map_addr.get(&info.address.service) != Some(&n) {
                return Err(-5);
            }
            if info.random_pos >= self.random.len() || self.random[info.random_pos] != n {
                return Err(-14);
            }
            if info.last_try < 0 {
                return Err(-6);
            }
            if info.last_success < 0 {
                return Err(-8);
            }
        }
        if set_tried.len() != self.n_tried as usize {
            return Err(-9);
        }
        if map_new.len() != self.n_new as usize {
            return Err(-10);
        }
        for (b, bucket) in self.vv_tried.iter().enumerate() {
            for (i, &id) in bucket.iter().enumerate() {
                if id == EMPTY {
                    continue;
                }
                if !set_tried.contains(&id) {
                    return Err(-11);
                }
                match self.map_info.get(&id) {
                    Some(info) if info.get_tried_bucket(&self.key) == b => {
                        if info.get_bucket_position(&self.key, false, b) != i {
                            return Err(-18);
                        }
                    }
                    _ => return Err(-17),
                }
                set_tried.remove(&id);
            }
        }
        for (b, bucket) in self.vv_new.iter().enumerate() {
            for (i, &id) in bucket.iter().enumerate() {
                if id == EMPTY {
                    continue;
                }
                let Some(left) = map_new.get_mut(&id) else {
                    return Err(-12);
                };
                match self.map_info.get(&id) {
                    Some(info) if info.get_bucket_position(&self.key, true, b) == i => {}
                    _ => return Err(-19),
                }
                *left -= 1;
                if *left == 0 {
                    map_new.remove(&id);
                }
            }
        }
        if !set_tried.is_empty() {
            return Err(-13);
        }
        if !map_new.is_empty() {
            return Err(-15);
        }
        if self.key == [0u8; 32] {
            return Err(-16);
        }
        // Counters may hold all-zero networks the entries no longer have.
        if self.network_counts.len() < local.len() {
            return Err(-20);
        }
        for (net, count) in &self.network_counts {
            if local.get(net).copied().unwrap_or_default() != *count {
                return Err(-21);
            }
        }
        Ok(())
    }
}
