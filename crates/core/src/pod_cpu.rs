//! A pod's CPU: `cores` servers that run the pod's bursts of work in the
//! order they are charged (a FIFO multi-server queue, M/G/c).
//!
//! A request's work (its own, and a DB reply's if it had one) is charged
//! when its answer is ready, and the answer leaves when the work is done. A
//! burst starts on the core that frees first, as soon as it is free, so work
//! piles up, and latency with it, only when every core is busy. Nothing here
//! needs an event: the burst's end is computed when it is charged.
//!
//! Busy time: at any `now`, each core's remaining work runs from `now` to
//! its `free_at`, so the work done so far is everything charged minus what
//! the cores still hold (a burst charged a little ahead of `now`, at an
//! answer's time, can leave a short idle gap that this counts as queued
//! until `now` passes it).

use crate::time::Nanos;

#[derive(Clone, Debug, Default)]
pub struct PodCpu {
    /// When each core finishes the work queued on it.
    free_at: Vec<Nanos>,
    /// All work charged so far.
    charged: Nanos,
}

impl PodCpu {
    pub fn new(cores: u32) -> Self {
        PodCpu {
            free_at: vec![0; cores.max(1) as usize],
            charged: 0,
        }
    }

    pub fn cores(&self) -> usize {
        self.free_at.len()
    }

    /// Charges `work` of CPU at `at`; returns when it is done.
    pub fn run(&mut self, at: Nanos, work: Nanos) -> Nanos {
        if work == 0 {
            return at;
        }
        let core = self.earliest();
        let done = self.free_at[core].max(at) + work;
        self.free_at[core] = done;
        self.charged += work;
        done
    }

    /// How long a burst charged at `now` would wait for a core.
    pub fn wait(&self, now: Nanos) -> Nanos {
        self.free_at[self.earliest()].saturating_sub(now)
    }

    /// Work the cores have done by `now` (core-nanoseconds). A burst charged
    /// ahead of `now` on an idle core counts its gap as queued, so this can
    /// dip until `now` passes the gap.
    pub fn done_by(&self, now: Nanos) -> Nanos {
        let queued: Nanos = self.free_at.iter().map(|f| f.saturating_sub(now)).sum();
        self.charged.saturating_sub(queued)
    }

    fn earliest(&self) -> usize {
        let mut best = 0;
        for (i, f) in self.free_at.iter().enumerate() {
            if *f < self.free_at[best] {
                best = i;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_waits_only_when_every_core_is_busy() {
        let mut cpu = PodCpu::new(2);
        assert_eq!(cpu.run(0, 10), 10);
        assert_eq!(cpu.run(0, 10), 10);
        // both cores busy until 10: the third waits
        assert_eq!(cpu.wait(0), 10);
        assert_eq!(cpu.run(0, 10), 20);
        assert_eq!(cpu.run(25, 5), 30);
    }

    #[test]
    fn a_burst_charged_ahead_of_now_dips_what_is_done_but_never_below_zero() {
        let mut cpu = PodCpu::new(1);
        cpu.run(0, 10);
        assert_eq!(cpu.done_by(20), 10);
        // charged at 25 for an answer at 30: the idle gap counts as queued
        cpu.run(30, 10);
        assert_eq!(cpu.done_by(25), 5);
        assert_eq!(cpu.done_by(40), 20);
        let mut fresh = PodCpu::new(1);
        fresh.run(30, 10);
        assert_eq!(fresh.done_by(0), 0);
    }

    #[test]
    fn work_done_never_exceeds_the_cores_capacity() {
        let mut cpu = PodCpu::new(2);
        for _ in 0..100 {
            cpu.run(0, 7);
        }
        // 700 units on 2 cores: by t = 100 exactly 200 are done
        assert_eq!(cpu.done_by(100), 200);
        assert_eq!(cpu.done_by(350), 700);
        assert_eq!(cpu.done_by(1_000), 700);
    }
}
