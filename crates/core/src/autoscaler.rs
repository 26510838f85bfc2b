//! Autoscaling the AppService pods the way the seed describes: when the
//! pods' CPU is above 70% for 3 consecutive minutes, the deployment doubles
//! (2 -> 4 -> 8 pods), up to `max_pods`.
//!
//! Like a CloudWatch alarm, it looks at one datapoint a minute, the pods'
//! mean CPU over that minute, and fires when the last `minutes` datapoints
//! are all above the threshold. New pods take `start_s` to start (pulling
//! the image, starting the process), then join when the LB's health checks
//! pass. After a scale-out the count starts again, so the next one needs
//! `minutes` more minutes above the threshold. It never scales in.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoscaleConfig {
    /// Off in the seed's default run; a live command switches it.
    pub on: bool,
    /// Mean CPU of the pods (0-1) above which a minute counts.
    pub cpu_threshold: f64,
    /// Consecutive minutes above the threshold that trigger a scale-out.
    pub minutes: u32,
    /// The autoscaler never grows the deployment past this (a deployment
    /// already larger stays as it is).
    pub max_pods: u32,
    /// Seconds from the decision until the new pods' processes run.
    pub start_s: f64,
}

impl Default for AutoscaleConfig {
    fn default() -> Self {
        AutoscaleConfig {
            on: false,
            cpu_threshold: 0.7,
            minutes: 3,
            max_pods: 8,
            start_s: 45.0,
        }
    }
}

/// The alarm's state: this minute's sum, and the minutes above threshold.
#[derive(Clone, Copy, Debug, Default)]
pub struct Autoscaler {
    cpu_sum: f64,
    seconds: u32,
    minutes_above: u32,
}

impl Autoscaler {
    /// Adds one second's mean pod CPU. At the end of each minute, returns
    /// true if the alarm fires (and starts counting again).
    pub fn second(&mut self, cpu: f64, cfg: &AutoscaleConfig) -> bool {
        self.cpu_sum += cpu;
        self.seconds += 1;
        if self.seconds < 60 {
            return false;
        }
        let minute = self.cpu_sum / 60.0;
        self.cpu_sum = 0.0;
        self.seconds = 0;
        if minute > cfg.cpu_threshold {
            self.minutes_above += 1;
        } else {
            self.minutes_above = 0;
        }
        if self.minutes_above >= cfg.minutes {
            self.minutes_above = 0;
            return true;
        }
        false
    }

    /// Minutes in a row above the threshold so far.
    pub fn minutes_above(&self) -> u32 {
        self.minutes_above
    }

    /// The next deployment size: double, at most `max_pods`.
    pub fn target(pods: u32, cfg: &AutoscaleConfig) -> u32 {
        (pods * 2).min(cfg.max_pods).max(pods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_after_three_full_minutes_above_the_threshold() {
        let cfg = AutoscaleConfig::default();
        let mut a = Autoscaler::default();
        // one minute above, one below (the count restarts), then three above
        let minutes = [0.9, 0.5, 0.8, 0.8, 0.8, 0.8];
        let mut fired_at = Vec::new();
        for (m, cpu) in minutes.iter().enumerate() {
            for s in 0..60 {
                if a.second(*cpu, &cfg) {
                    fired_at.push(m * 60 + s);
                }
            }
        }
        assert_eq!(fired_at, [4 * 60 + 59]);
        assert_eq!(Autoscaler::target(2, &cfg), 4);
        assert_eq!(Autoscaler::target(6, &cfg), 8);
        assert_eq!(Autoscaler::target(9, &cfg), 9);
    }
}
