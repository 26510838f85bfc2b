//! The pods' second: their CPU utilisation, the LB's health checks, and the
//! autoscaler's decision.

use super::*;
use crate::autoscaler::Autoscaler;

impl Simulation {
    pub(super) fn pods_second(&mut self) {
        let now = self.now;
        let (mut sum, mut max, mut n) = (0.0, 0.0f64, 0);
        for p in &mut self.pods {
            // a burst charged just ahead of `now` can make `done_by` dip
            // below the last mark (an idle gap counted as queued); the mark
            // never goes back, so no work is counted twice
            let done = p.cpu.done_by(now);
            let capacity = p.cpu.cores() as f64 * NANOS_PER_SEC as f64;
            p.cpu_utilization = done.saturating_sub(p.cpu_mark) as f64 / capacity;
            p.cpu_mark = p.cpu_mark.max(done);
            // like ECS' CPUUtilization: an average over the running tasks
            if p.active && p.up {
                sum += p.cpu_utilization;
                max = max.max(p.cpu_utilization);
                n += 1;
            }
        }
        let mean = if n > 0 { sum / n as f64 } else { 0.0 };
        self.acc.s.pod_cpu = mean;
        self.acc.s.pod_cpu_max = max;
        self.totals.pod_cpu_sum += mean;
        self.totals.pod_cpu_peak = self.totals.pod_cpu_peak.max(mean);
        let second = (now / NANOS_PER_SEC) as u32;
        if second % self.scenario.app.health_check.interval_s == 0 {
            self.health_checks();
        }
        self.acc.s.pods_in_rotation = self.pods.iter().filter(|p| p.routable()).count() as u32;
        self.autoscale_second(mean);
    }

    /// The LB checks every pod of the deployment.
    fn health_checks(&mut self) {
        let now = self.now;
        let cfg = &self.scenario.app.health_check;
        let timeout = from_ms(cfg.timeout_ms);
        let limit = self.scenario.app.max_inflight_per_pod;
        for p in self.pods.iter_mut().filter(|p| p.active) {
            let ok = p.up && p.inflight < limit && p.cpu.wait(now) <= timeout;
            p.healthy = p.health.record(ok, p.healthy, cfg);
        }
    }

    /// One second of the autoscaler: a scale-out that is due starts its
    /// pods; the alarm may decide on the next one.
    fn autoscale_second(&mut self, cpu: f64) {
        if let Some((at, count)) = self.scale_out {
            if self.now >= at {
                self.scale_out = None;
                // never below what the deployment has meanwhile (scaled by hand)
                let active = self.pods.iter().filter(|p| p.active).count();
                if count as usize > active {
                    self.set_pods(count as usize);
                }
            }
        }
        if !self.autoscale.on || self.scale_out.is_some() {
            return;
        }
        if self.autoscaler.second(cpu, &self.autoscale) {
            let active = self.pods.iter().filter(|p| p.active).count() as u32;
            let target = Autoscaler::target(active, &self.autoscale);
            if target > active {
                self.scale_out = Some((self.now + from_secs(self.autoscale.start_s), target));
                self.totals.scale_outs += 1;
            }
        }
    }
}
