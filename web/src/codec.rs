//! The page's URL: a whole scenario (parameters, seed, scheduled faults and
//! the commands applied live) in `?s=<base64url of the scenario JSON>`, plus
//! `preset`, `embed`, `speed`, `t` (start at that simulated second) and
//! `paused`. Pure, tested natively.
//!
//! Parsing never panics: a bad or hostile URL gives the defaults and a list of
//! problems for the page to show (as text, never as HTML).

use cachesim_core::calibrate::{self, key_rates, miss_delay_s};
use cachesim_core::{presets, Command, Scenario, ScheduledCommand};

/// Longest query string accepted.
pub const MAX_QUERY_LEN: usize = 64 * 1024;
/// The largest scenario file the page loads (bytes).
pub const MAX_SCENARIO_FILE: usize = 256 * 1024;
/// The browser version's ceiling on any arrival rate (V2's 500K preset; the RPS
/// slider stops at `format::RPS_MAX`).
pub const MAX_WEB_RPS: f64 = 500_000.0;
/// Largest keyspace the browser version builds (memory of the tab).
pub const MAX_WEB_KEYS: u64 = 4_000_000;
/// Largest number of key-busting keys alive at once (rate x TTL).
pub const MAX_WEB_ATTACK_KEYS: f64 = 10_000_000.0;
/// Largest `t` (simulated seconds run ahead at load).
pub const MAX_START_S: f64 = 3_600.0;
/// Speeds offered.
pub const SPEEDS: [u32; 3] = [1, 10, 100];
/// The preset the page starts with.
pub const DEFAULT_PRESET: &str = "steady";

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 section 5).
pub fn base64url_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64url (padding optional; standard `+` and `/` accepted too).
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (i, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => {
                return Err(format!(
                    "character {} of the scenario is not base64url",
                    i + 1
                ))
            }
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if text.len() % 4 == 1 {
        return Err("the scenario's base64url text is truncated".into());
    }
    Ok(out)
}

/// Decodes `%XX` escapes and `+` (as a space) of a query component.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b&c=x` into (key, value) pairs (keys and values percent-decoded).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// Shortens user text for a message (and strips control characters).
pub fn quote(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    if s.chars().count() > 40 {
        format!("\"{clean}...\"")
    } else {
        format!("\"{clean}\"")
    }
}

/// What the URL asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct UrlState {
    pub scenario: Scenario,
    /// The preset named in the URL (or the default), when the scenario is one.
    pub preset: Option<String>,
    pub embed: bool,
    pub speed: u32,
    /// Simulated seconds to run ahead before showing the page.
    pub start_at_s: f64,
    pub paused: bool,
    /// `compare`: open the comparison of the designs on the scenario.
    pub compare: Option<CompareAsk>,
}

/// What a link asks of the comparison view: its length (the scenario's
/// duration when `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct CompareAsk {
    pub seconds: Option<f64>,
}

impl Default for UrlState {
    fn default() -> Self {
        UrlState {
            scenario: presets::preset(DEFAULT_PRESET).expect("the default preset exists"),
            preset: Some(DEFAULT_PRESET.to_string()),
            embed: false,
            speed: 1,
            start_at_s: 0.0,
            paused: false,
            compare: None,
        }
    }
}

/// The parsed URL and every problem found on the way (empty when all is well).
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub state: UrlState,
    pub problems: Vec<String>,
}

/// Keys the core would build for this scenario at a given rate, hit rate and TTL.
pub fn keyspace_keys(s: &Scenario, rps: f64, hit_rate: f64, ttl_s: f64) -> u64 {
    calibrate::derive_keyspace(
        hit_rate,
        s.client.top1_share,
        key_rates(s, rps),
        ttl_s,
        miss_delay_s(s),
    )
    .keys
}

/// The lowest hit rate the browser's keyspace limit allows at these rates:
/// what `MAX_WEB_KEYS` keys give (more keys, lower hit rate). One evaluation
/// of the model's formula, not a calibration.
pub fn lowest_reachable_hit_rate(s: &Scenario, rps: f64, ttl_s: f64) -> f64 {
    let z = calibrate::solve_exponent(MAX_WEB_KEYS, s.client.top1_share);
    calibrate::expected_hit_rate(MAX_WEB_KEYS, z, key_rates(s, rps), ttl_s, miss_delay_s(s))
}

/// The browser's own limits (the tab's memory and CPU), on top of the core's
/// validation: every rate at most 200K/s and a keyspace of at most 4M keys
/// for the worst combination of rate, hit rate and TTL the scenario reaches.
pub fn check_web_limits(s: &Scenario) -> Result<(), String> {
    let mut max_rps = s.client.rps;
    let mut max_hit = s.client.target_hit_rate;
    let mut max_ttl = s.cache.ttl_s;
    let mut max_attack: f64 = 0.0;
    for f in &s.faults {
        match &f.command {
            Command::SetRps { rps } => max_rps = max_rps.max(*rps),
            Command::SetTargetHitRate { hit_rate } => max_hit = max_hit.max(*hit_rate),
            Command::SetTtl { seconds } => max_ttl = max_ttl.max(*seconds),
            Command::KeyBusting { rate } => max_attack = max_attack.max(*rate),
            Command::HotKey { rate, .. } if *rate > MAX_WEB_RPS => {
                return Err(format!(
                    "a hot key of {rate}/s is more than the browser version's {MAX_WEB_RPS}/s"
                ))
            }
            _ => {}
        }
    }
    if max_rps > MAX_WEB_RPS {
        return Err(format!(
            "{max_rps} RPS is more than the browser version's {MAX_WEB_RPS}"
        ));
    }
    if max_attack > MAX_WEB_RPS {
        return Err(format!("a key-busting rate of {max_attack}/s is more than the browser version's {MAX_WEB_RPS}/s"));
    }
    if max_attack * max_ttl > MAX_WEB_ATTACK_KEYS {
        return Err(
            "the key-busting attack would keep too many keys alive for a browser tab".into(),
        );
    }
    // a given keyspace is what the browser builds, unless a target hit rate
    // set live re-derives it at the rate and TTL in force
    let retargets = s
        .faults
        .iter()
        .any(|f| matches!(f.command, Command::SetTargetHitRate { .. }));
    let keys = match s.client.keys {
        Some(k) if !retargets => k,
        Some(k) => k.max(keyspace_keys(s, max_rps, max_hit, max_ttl)),
        None => keyspace_keys(s, max_rps, max_hit, max_ttl),
    };
    if keys > MAX_WEB_KEYS {
        return Err(format!(
            "that rate, hit rate and TTL need {keys} keys; the browser version builds at most {MAX_WEB_KEYS}"
        ));
    }
    Ok(())
}

/// The scenario to share: the base scenario with the commands applied live
/// merged into its faults (in time order; equal times keep their order).
pub fn share_scenario(base: &Scenario, applied: &[ScheduledCommand]) -> Scenario {
    let mut s = base.clone();
    s.faults.extend(applied.iter().cloned());
    s.faults.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    s
}

/// The query string of a share link: `?s=...` (and `&preset=NAME` when the
/// scenario is named after a preset).
pub fn share_query(s: &Scenario) -> String {
    let json = serde_json::to_string(s).expect("a scenario always serialises");
    let mut q = format!("?s={}", base64url_encode(json.as_bytes()));
    if presets::PRESETS.iter().any(|p| p.name == s.name) {
        q.push_str("&preset=");
        q.push_str(&s.name);
    }
    q
}

/// The scenario file's text: `serde_json::to_string_pretty`'s layout, made
/// from the share link's compact JSON (one serialiser of the scenario in the
/// wasm instead of two: the pretty one was ~16 KB of code).
pub fn scenario_file_json(s: &Scenario) -> String {
    pretty_json(&serde_json::to_string(s).expect("a scenario always serialises"))
}

/// Lays out compact JSON (no whitespace outside strings, as `serde_json`
/// writes it) the way serde_json's `PrettyFormatter` does: two spaces of
/// indent, `": "` after keys, `{}` and `[]` when empty.
pub fn pretty_json(compact: &str) -> String {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0;
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                if let Some(&close @ ('}' | ']')) = chars.peek() {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// Decodes the `s` parameter into a scenario (strict) within the web limits.
pub fn decode_scenario(text: &str) -> Result<Scenario, String> {
    let bytes = base64url_decode(text.trim())?;
    let json =
        String::from_utf8(bytes).map_err(|_| "the scenario is not UTF-8 text".to_string())?;
    parse_scenario_json(&json)
}

/// A scenario of `bytes` is not too large to load (a file is checked before it is read).
pub fn check_scenario_size(bytes: f64) -> Result<(), String> {
    if bytes > MAX_SCENARIO_FILE as f64 {
        return Err(format!(
            "the scenario is too large ({} KB; at most {} KB)",
            (bytes / 1024.0).ceil(),
            MAX_SCENARIO_FILE / 1024
        ));
    }
    Ok(())
}

/// Reads a scenario's JSON (a saved scenario file, or a link's decoded `s`):
/// strict, like the CLI, and within the web limits.
pub fn parse_scenario_json(json: &str) -> Result<Scenario, String> {
    check_scenario_size(json.len() as f64)?;
    let s = Scenario::from_json(json).map_err(|e| format!("the scenario is invalid: {e}"))?;
    check_web_limits(&s)?;
    Ok(s)
}

/// The moment a link shares, after its scenario: the simulated time to
/// start at (exactly, so the recipient's numbers are the sender's; up to
/// `MAX_START_S`), the speed, and whether it is paused.
pub fn moment_params(now_s: f64, speed: u32, paused: bool) -> String {
    let mut q = String::new();
    if now_s > 0.0 && now_s <= MAX_START_S {
        q.push_str(&format!("&t={now_s}"));
    }
    if speed != 1 {
        q.push_str(&format!("&speed={speed}"));
    }
    if paused {
        q.push_str("&paused");
    }
    q
}

/// The link that opens the comparison of the designs on `s` for `seconds`:
/// `?compare=NAME` for an unchanged preset, else the scenario itself.
pub fn compare_query(s: &Scenario, preset: Option<&str>, seconds: f64) -> String {
    let same_preset = preset.and_then(|name| {
        let mut p = presets::preset(name)?;
        p.seed = s.seed;
        (p == *s).then_some(name)
    });
    let mut q = match same_preset {
        Some(name) if s.seed == presets::preset(name).map_or(0, |p| p.seed) => {
            format!("?compare={name}")
        }
        _ => format!("{}&compare", share_query(s)),
    };
    if seconds != s.duration_s {
        q.push_str(&format!("&seconds={seconds}"));
    }
    q
}

/// Parses a page's query string (`location.search`).
pub fn parse_query(query: &str) -> Parsed {
    let mut state = UrlState::default();
    let mut problems = Vec::new();
    if query.len() > MAX_QUERY_LEN {
        problems.push(format!(
            "The link is too long ({} characters, at most {MAX_QUERY_LEN}); running the default scenario instead.",
            query.len()
        ));
        return Parsed { state, problems };
    }
    let pairs = query_pairs(query);
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    state.embed = pairs.iter().any(|(k, _)| k == "embed");
    state.paused = pairs.iter().any(|(k, _)| k == "paused");
    // whether a notice already says what runs instead
    let mut fallback_said = false;
    if let Some(name) = get("preset") {
        match presets::preset(name) {
            Some(s) => {
                state.scenario = s;
                state.preset = Some(name.to_string());
            }
            None => {
                fallback_said = true;
                problems.push(format!(
                    "Unknown preset {}; running {DEFAULT_PRESET} instead. Presets: {}.",
                    quote(name),
                    presets::PRESETS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
    }
    if let Some(text) = get("s") {
        match decode_scenario(text) {
            Ok(s) => {
                state.preset = presets::PRESETS
                    .iter()
                    .find(|p| p.name == s.name)
                    .map(|p| p.name.to_string());
                state.scenario = s;
            }
            Err(why) => {
                let fallback = state
                    .preset
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PRESET.to_string());
                problems.push(if fallback_said {
                    format!("The link's scenario could not be used either: {why}.")
                } else {
                    format!(
                        "The link's scenario could not be used: {why}. Running the {fallback} preset instead."
                    )
                });
            }
        }
    }
    if let Some(name) = get("compare") {
        let mut ask = CompareAsk { seconds: None };
        // `compare=NAME` compares a preset; a bare `compare` the link's scenario
        if !name.is_empty() {
            match presets::preset(name) {
                Some(s) => {
                    state.scenario = s;
                    state.preset = Some(name.to_string());
                }
                None => problems.push(format!(
                    "Unknown preset {} to compare; comparing {} instead.",
                    quote(name),
                    state.preset.as_deref().unwrap_or("the link's scenario")
                )),
            }
        }
        if let Some(v) = get("seconds") {
            let (lo, hi) = crate::comparison::SECONDS;
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => ask.seconds = Some(x),
                _ => problems.push(format!(
                    "Comparison length seconds={} is not a number of seconds from {lo} to {hi}; using the scenario's duration.",
                    quote(v)
                )),
            }
        }
        state.compare = Some(ask);
    }
    if let Some(v) = get("speed") {
        match v.parse::<u32>() {
            Ok(n) if SPEEDS.contains(&n) => state.speed = n,
            _ => problems.push(format!(
                "Speed {} is not one of 1, 10, 100; using 1x.",
                quote(v)
            )),
        }
    }
    if let Some(v) = get("t") {
        match v.parse::<f64>() {
            Ok(t) if t.is_finite() && (0.0..=MAX_START_S).contains(&t) => state.start_at_s = t,
            _ => problems.push(format!("Start time t={} is not a number of seconds from 0 to {MAX_START_S}; starting at 0.", quote(v))),
        }
    }
    Parsed { state, problems }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachesim_core::Simulation;

    #[test]
    fn the_scenario_file_is_serde_jsons_pretty_layout() {
        for p in presets::PRESETS {
            let mut s = presets::preset(p.name).unwrap();
            s.name = "a \"quoted\" name, with {braces} [and] : commas\\".into();
            assert_eq!(
                scenario_file_json(&s),
                serde_json::to_string_pretty(&s).unwrap(),
                "{}",
                p.name
            );
        }
        assert_eq!(pretty_json(r#"{"a":[],"b":{},"c":[1,{"d":"x"}]}"#), "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": \"x\"\n    }\n  ]\n}");
    }

    #[test]
    fn comparison_links() {
        let p = parse_query("?compare=compare-crash");
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.state.compare, Some(CompareAsk { seconds: None }));
        assert_eq!(p.state.preset.as_deref(), Some("compare-crash"));
        let s = presets::preset("compare-crash").unwrap();
        assert_eq!(
            compare_query(&s, Some("compare-crash"), 300.0),
            "?compare=compare-crash"
        );
        let q = compare_query(&s, Some("compare-crash"), 150.0);
        assert_eq!(q, "?compare=compare-crash&seconds=150");
        assert_eq!(parse_query(&q).state.compare.unwrap().seconds, Some(150.0));
        // a changed scenario travels whole
        let mut changed = s.clone();
        changed.client.rps = 12_000.0;
        let q = compare_query(&changed, Some("compare-crash"), 300.0);
        assert!(q.starts_with("?s=") && q.ends_with("&compare"), "{q}");
        let p = parse_query(&q);
        assert_eq!(p.state.scenario.client.rps, 12_000.0);
        assert!(p.state.compare.is_some());
        // another seed is not the preset's link
        let mut seeded = s.clone();
        seeded.seed = 7;
        assert!(compare_query(&seeded, Some("compare-crash"), 300.0).starts_with("?s="));
        // bad values say so and fall back
        let p = parse_query("?compare=nope&seconds=-3");
        assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
        assert_eq!(p.state.compare, Some(CompareAsk { seconds: None }));
        assert_eq!(parse_query("?preset=steady").state.compare, None);
    }

    #[test]
    fn a_link_carries_the_moment_it_was_made() {
        let s = presets::preset("cache-crash").unwrap();
        let q = format!("{}{}", share_query(&s), moment_params(71.25, 10, true));
        let p = parse_query(&q);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.state.start_at_s, 71.25);
        assert_eq!((p.state.speed, p.state.paused), (10, true));
        assert_eq!(
            moment_params(0.0, 1, false),
            "",
            "a fresh run needs nothing"
        );
        // beyond what a link replays, it starts at 0 rather than fail
        assert!(!moment_params(MAX_START_S + 1.0, 1, false).contains("t="));
    }

    #[test]
    fn scenario_files_are_read_strictly_with_the_field_named() {
        let s = parse_scenario_json(r#"{"client":{"rps":20000},"seed":9}"#).unwrap();
        assert_eq!((s.client.rps, s.seed), (20_000.0, 9));
        let cases = [
            (r#"{"client":{"rps":-5}}"#, "client.rps"),
            (r#"{"cache":{"ttl_seconds":3}}"#, "ttl_seconds"),
            (r#"{"client":{"rps":"fast"}}"#, "client.rps"),
            ("not json", "invalid"),
            (r#"{"client":{"rps":900000000}}"#, "rps"),
        ];
        for (json, named) in cases {
            let err = parse_scenario_json(json).unwrap_err();
            assert!(err.contains(named), "{json}: {err}");
        }
        let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(MAX_SCENARIO_FILE));
        assert!(parse_scenario_json(&huge)
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn base64url_round_trips_and_matches_rfc4648() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_encode(plain.as_bytes()), enc);
            assert_eq!(base64url_decode(enc).unwrap(), plain.as_bytes());
        }
        let all: Vec<u8> = (0..=255u8).collect();
        let e = base64url_encode(&all);
        assert!(!e.contains('+') && !e.contains('/') && !e.contains('='));
        assert_eq!(base64url_decode(&e).unwrap(), all);
        assert_eq!(base64url_decode("Zm9vYg==").unwrap(), b"foob");
        assert!(base64url_decode("Zm9v!").is_err());
        assert!(base64url_decode("Z").is_err());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%3D"), "=");
        let pairs = query_pairs("?embed&preset=cache-crash&s=");
        assert_eq!(pairs[0], ("embed".to_string(), String::new()));
        assert_eq!(pairs[1].1, "cache-crash");
    }

    #[test]
    fn scenario_round_trips_through_the_url() {
        let mut s = presets::preset("cache-crash").unwrap();
        s.seed = 42;
        s.client.rps = 12_345.0;
        let applied = vec![
            ScheduledCommand {
                at_s: 12.345678,
                command: Command::SetRps { rps: 20_000.0 },
            },
            ScheduledCommand {
                at_s: 75.0,
                command: Command::DbSlowdown { factor: 3.0 },
            },
        ];
        let shared = share_scenario(&s, &applied);
        assert_eq!(shared.faults.len(), 4);
        assert!(shared.faults.windows(2).all(|w| w[0].at_s <= w[1].at_s));
        let q = share_query(&shared);
        assert!(q.starts_with("?s=") && q.ends_with("&preset=cache-crash"));
        let parsed = parse_query(&q);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.state.scenario, shared);
        assert_eq!(parsed.state.preset.as_deref(), Some("cache-crash"));
    }

    #[test]
    fn a_shared_link_reproduces_the_run() {
        let base = presets::preset("steady").unwrap();
        let mut a = Simulation::new(base.clone()).unwrap();
        a.advance_by(2.3);
        a.apply(Command::SetRps { rps: 14_000.0 }).unwrap();
        a.advance_by(1.9);
        a.apply(Command::CrashCache {
            shard: 0,
            host: false,
        })
        .unwrap();
        a.advance_by(3.0);
        let shared = share_scenario(&base, a.applied_log());
        let replay = parse_query(&share_query(&shared)).state.scenario;
        let mut b = Simulation::new(replay).unwrap();
        b.advance_to(a.now_s());
        let ha: Vec<_> = a.history().iter().cloned().collect();
        let hb: Vec<_> = b.history().iter().cloned().collect();
        assert_eq!(ha, hb);
        assert!(b.status().cache_down());
    }

    #[test]
    fn presets_embed_speed_and_start_time() {
        let p = parse_query("?preset=hot-key&embed&speed=10&t=80&paused");
        assert!(p.problems.is_empty());
        assert_eq!(p.state.scenario.name, "hot-key");
        assert!(p.state.embed && p.state.paused);
        assert_eq!(p.state.speed, 10);
        assert_eq!(p.state.start_at_s, 80.0);
        let d = parse_query("");
        assert_eq!(d.state, UrlState::default());
        assert!(d.problems.is_empty());
    }

    #[test]
    fn an_embed_takes_the_same_scenario_state_as_a_share_link() {
        // what the docs' embeds do: ?embed&s=<share state>&preset=NAME
        let mut s = presets::preset("hot-key").unwrap();
        s.app.single_flight = true;
        s.seed = 7;
        let share = share_query(&s);
        for q in [
            format!("?embed&{}", &share[1..]),
            format!("{share}&embed&speed=10"),
        ] {
            let p = parse_query(&q);
            assert!(p.problems.is_empty(), "{q}: {:?}", p.problems);
            assert!(p.state.embed, "{q}");
            assert_eq!(p.state.scenario, s, "{q}");
            assert_eq!(p.state.preset.as_deref(), Some("hot-key"));
        }
        // a bad scenario in an embed falls back like a share link, still embedded
        let p = parse_query("?embed&s=%%%%&preset=cache-crash");
        assert!(p.state.embed);
        assert_eq!(p.state.scenario.name, "cache-crash");
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn bad_urls_fall_back_to_defaults_with_a_message() {
        let cases = [
            "?s=%%%%",
            "?s=not*base64",
            "?s=AAAA",
            "?s=MTIz",
            "?preset=<img src=x onerror=alert(1)>",
            "?speed=1000",
            "?t=-5",
            "?t=NaN",
        ];
        for q in cases {
            let p = parse_query(q);
            assert_eq!(p.problems.len(), 1, "{q}: {:?}", p.problems);
            assert_eq!(p.state.scenario, UrlState::default().scenario, "{q}");
        }
        // valid JSON that the core refuses names the field
        let bad = base64url_encode(br#"{"client":{"rps":-1}}"#);
        let p = parse_query(&format!("?s={bad}"));
        assert!(p.problems[0].contains("client.rps"), "{:?}", p.problems);
        let unknown = base64url_encode(br#"{"clients":{}}"#);
        assert!(parse_query(&format!("?s={unknown}")).problems[0].contains("unknown field"));
        // too long
        let long = format!("?s={}", "A".repeat(MAX_QUERY_LEN + 1));
        assert!(parse_query(&long).problems[0].contains("too long"));
        // hostile but valid for the core: beyond the browser's limits
        let mut big = Scenario::default();
        big.client.rps = 2_000_000.0;
        let p = parse_query(&share_query(&big));
        assert!(p.problems[0].contains("browser"), "{:?}", p.problems);
        let mut huge = Scenario::default();
        huge.client.target_hit_rate = 0.995;
        huge.cache.ttl_s = 86_400.0;
        huge.client.rps = 200_000.0;
        let p = parse_query(&share_query(&huge));
        assert!(p.problems[0].contains("keys"), "{:?}", p.problems);
        // the message quotes user text shortened
        let p = parse_query(&format!("?preset={}", "x".repeat(500)));
        assert!(
            !p.problems[0].contains(&"x".repeat(100)),
            "{:?}",
            p.problems
        );
        // a bad preset and a bad scenario: what runs instead is said once
        let p = parse_query("?preset=nope&s=%%%%");
        assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
        let all = p.problems.join(" ");
        assert_eq!(all.matches("instead").count(), 1, "{all}");
        assert!(all.contains("could not be used either"), "{all}");
    }

    #[test]
    fn web_limits_accept_every_preset_and_the_slider_range() {
        for info in presets::PRESETS {
            check_web_limits(&presets::preset(info.name).unwrap()).unwrap();
        }
        let mut s = Scenario::default();
        s.client.rps = MAX_WEB_RPS;
        s.client.target_hit_rate = 0.99;
        check_web_limits(&s).unwrap();
    }
}
