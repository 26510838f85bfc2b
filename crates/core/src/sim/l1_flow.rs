//! L1 in each pod (V2): a read first looks in its pod's in-process LRU; a
//! hit answers in `l1.hit_us` without touching Redis. Values read from
//! Redis or the DB are stored there; the pod's own writes drop its copy, the
//! invalidation stream drops every pod's.

use super::*;
use crate::l1_cache::L1Result;

impl Simulation {
    /// A read at its pod: answered from L1 (true) or not.
    pub(super) fn l1_lookup(&mut self, id: ReqId) -> bool {
        if self.l1.is_empty() {
            return false;
        }
        let (key, pod) = {
            let r = self.requests.get(id);
            (r.key, r.pod as usize)
        };
        let now = self.now;
        match self.l1[pod].get(key, now) {
            L1Result::Miss => false,
            L1Result::Hit { version } => {
                count!(self, reads);
                count!(self, hits);
                count!(self, l1_hits);
                self.check_stale(key, version);
                self.respond_at(id, now + self.l1_hit);
                true
            }
        }
    }

    /// A read's value (at DB `version`) reached its pod: keep a copy in L1.
    pub(super) fn l1_store(&mut self, pod: usize, key: u32, version: u16) {
        if key >= self.l1_admit_below || !self.hot_keys.is_hot(key) {
            return;
        }
        if let Some(l1) = self.l1.get_mut(pod) {
            l1.put(key, version, self.now);
        }
    }

    /// The pod wrote `key`: its own copy is dropped at once.
    pub(super) fn l1_drop(&mut self, pod: usize, key: u32) {
        if let Some(l1) = self.l1.get_mut(pod) {
            l1.remove(key);
        }
    }

    /// A read was served a value at `version`: stale if the DB has moved
    /// on, and for how long the DB has had the newer value.
    pub(super) fn check_stale(&mut self, key: u32, version: u16) {
        if version != self.db.version(key) {
            count!(self, stale_reads);
            let now_ms = (self.now / NANOS_PER_MS) as u32;
            let age = now_ms.saturating_sub(self.db.changed_ms(key)) as u64;
            self.totals.stale_age_max_ms = self.totals.stale_age_max_ms.max(age);
            self.stale_age.record(age.clamp(1, 86_400_000)).ok();
            self.acc.s.stale_age_max_ms = self.acc.s.stale_age_max_ms.max(age);
        }
    }
}
