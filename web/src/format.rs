//! Number formatting and slider scales (pure, tested natively).

/// Lowest and highest RPS the slider offers.
pub const RPS_MIN: f64 = 100.0;
pub const RPS_MAX: f64 = 200_000.0;
/// Steps of the log-scale RPS slider (`<input type=range min=0 max=RPS_STEPS>`).
pub const RPS_STEPS: u32 = 1000;

/// Rounds to two significant digits (1234 -> 1200, 15678 -> 16000).
pub fn round_sig2(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return 0.0;
    }
    let mag = 10f64.powi(x.abs().log10().floor() as i32 - 1);
    (x / mag).round() * mag
}

/// Slider position (0..=RPS_STEPS) to a rate, log scale, rounded to 2 significant digits.
pub fn rps_from_slider(pos: f64) -> f64 {
    let p = (pos / RPS_STEPS as f64).clamp(0.0, 1.0);
    let raw = RPS_MIN * (RPS_MAX / RPS_MIN).powf(p);
    round_sig2(raw).clamp(RPS_MIN, RPS_MAX)
}

/// A rate to the nearest slider position.
pub fn slider_from_rps(rps: f64) -> u32 {
    let r = rps.clamp(RPS_MIN, RPS_MAX);
    let p = (r / RPS_MIN).ln() / (RPS_MAX / RPS_MIN).ln();
    (p * RPS_STEPS as f64).round() as u32
}

/// Compact count: 950, 1.2K, 12K, 1.5M.
pub fn compact(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    let sign = if x < 0.0 { "-" } else { "" };
    let (v, unit) = if a >= 1e6 {
        (a / 1e6, "M")
    } else if a >= 1e3 {
        (a / 1e3, "K")
    } else {
        return format!(
            "{sign}{}",
            trim(a, if a < 10.0 && a.fract() != 0.0 { 1 } else { 0 })
        );
    };
    let digits = if v < 10.0 { 1 } else { 0 };
    format!("{sign}{}{unit}", trim(v, digits))
}

/// Formats with `digits` decimals and drops a trailing ".0".
fn trim(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A rate in requests or operations per second: "10K/s".
pub fn per_sec(x: f64) -> String {
    format!("{}/s", compact(x))
}

/// A percentage of a fraction: 0.853 -> "85%", 0.0042 -> "0.4%".
pub fn pct(frac: f64) -> String {
    if !frac.is_finite() {
        return "-".into();
    }
    let p = frac * 100.0;
    if p != 0.0 && p.abs() < 10.0 {
        format!("{}%", trim(p, 1))
    } else {
        format!("{p:.0}%")
    }
}

/// Milliseconds: 0.35 -> "0.35 ms", 12.3 -> "12 ms", 840 -> "840 ms", 2500 -> "2.5 s".
pub fn ms(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x >= 1000.0 {
        format!("{} s", trim(x / 1000.0, 1))
    } else if x >= 10.0 {
        format!("{x:.0} ms")
    } else if x >= 1.0 {
        format!("{} ms", trim(x, 1))
    } else {
        format!("{} ms", trim(x, 2))
    }
}

/// A ratio like "5.1x".
pub fn times(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}x")
    } else {
        format!("{x:.1}x")
    }
}

/// A load against capacity, worded the same everywhere (readout, explanation,
/// canvas): "42% of capacity" below it, "4.0x capacity" at or above it.
pub fn load(x: f64) -> String {
    if x.is_finite() && x >= 1.0 {
        format!("{} capacity", times(x))
    } else {
        format!("{} of capacity", pct(x))
    }
}

/// Gigabytes: 26 -> "26 GB", 0.15 -> "0.15 GB", 0.3 (from bytes) -> "307 MB".
pub fn bytes(b: f64) -> String {
    let gb = b / (1024.0 * 1024.0 * 1024.0);
    if gb >= 1.0 {
        format!("{} GB", trim(gb, 1))
    } else {
        let mb = b / (1024.0 * 1024.0);
        if mb >= 1.0 {
            format!("{mb:.0} MB")
        } else {
            format!("{:.0} KB", b / 1024.0)
        }
    }
}

/// Seconds of simulated time as "m:ss".
pub fn clock(s: f64) -> String {
    let s = s.max(0.0);
    let total = s.floor() as u64;
    if total >= 3600 {
        format!(
            "{}:{:02}:{:02}",
            total / 3600,
            (total / 60) % 60,
            total % 60
        )
    } else {
        format!("{}:{:02}", total / 60, total % 60)
    }
}

/// A duration in seconds: 300 -> "300 s", 5400 -> "1.5 h".
pub fn secs(s: f64) -> String {
    if s >= 3600.0 {
        format!("{} h", trim(s / 3600.0, 1))
    } else if s >= 1.0 {
        format!("{} s", trim(s, 1))
    } else {
        format!("{} ms", trim(s * 1000.0, 0))
    }
}

/// The smallest "nice" number (1, 2, 5 x 10^k) that is >= x (and >= 1).
pub fn nice_ceil(x: f64) -> u64 {
    if !x.is_finite() || x <= 1.0 {
        return 1;
    }
    let mut base = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let v = base.saturating_mul(m);
            if v as f64 >= x {
                return v;
            }
        }
        if base > u64::MAX / 10 {
            return u64::MAX;
        }
        base *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rps_slider_is_log_and_round_trips() {
        assert_eq!(rps_from_slider(0.0), 100.0);
        assert_eq!(rps_from_slider(RPS_STEPS as f64), 200_000.0);
        let mid = rps_from_slider(500.0);
        assert!(mid > 4_000.0 && mid < 5_000.0, "{mid}");
        for rps in [100.0, 1_000.0, 10_000.0, 20_000.0, 100_000.0, 200_000.0] {
            let back = rps_from_slider(slider_from_rps(rps) as f64);
            assert!((back - rps).abs() / rps < 0.02, "{rps} -> {back}");
        }
        assert_eq!(slider_from_rps(1.0), 0);
        assert_eq!(slider_from_rps(1e9), RPS_STEPS);
    }

    #[test]
    fn formats() {
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(1234.0), "1.2K");
        assert_eq!(compact(10_000.0), "10K");
        assert_eq!(compact(12_345.0), "12K");
        assert_eq!(compact(1_500_000.0), "1.5M");
        assert_eq!(compact(2.5), "2.5");
        assert_eq!(compact(f64::NAN), "-");
        assert_eq!(per_sec(2000.0), "2K/s");
        assert_eq!(pct(0.853), "85%");
        assert_eq!(pct(0.0042), "0.4%");
        assert_eq!(pct(0.0), "0%");
        assert_eq!(pct(1.0), "100%");
        assert_eq!(ms(0.35), "0.35 ms");
        assert_eq!(ms(1.82), "1.8 ms");
        assert_eq!(ms(24.6), "25 ms");
        assert_eq!(ms(840.0), "840 ms");
        assert_eq!(ms(2500.0), "2.5 s");
        assert_eq!(times(5.12), "5.1x");
        assert_eq!(times(12.3), "12x");
        assert_eq!(load(3.99), "4.0x capacity");
        assert_eq!(load(1.0), "1.0x capacity");
        assert_eq!(load(0.42), "42% of capacity");
        assert_eq!(bytes(26.0 * 1024.0 * 1024.0 * 1024.0), "26 GB");
        assert_eq!(bytes(321_771_520.0), "307 MB");
        assert_eq!(clock(83.4), "1:23");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(secs(300.0), "300 s");
        assert_eq!(secs(5400.0), "1.5 h");
    }

    #[test]
    fn rounding() {
        assert_eq!(round_sig2(1234.0), 1200.0);
        assert_eq!(round_sig2(15_678.0), 16_000.0);
        assert_eq!(round_sig2(0.0), 0.0);
        assert_eq!(nice_ceil(0.3), 1);
        assert_eq!(nice_ceil(1.0), 1);
        assert_eq!(nice_ceil(1.5), 2);
        assert_eq!(nice_ceil(34.0), 50);
        assert_eq!(nice_ceil(50.0), 50);
        assert_eq!(nice_ceil(51.0), 100);
        assert_eq!(nice_ceil(120.0), 200);
    }
}
