//! `realcheck`: the model against a real Redis and a real PostgreSQL.
//!
//!     realcheck all [--out DIR] [--scale X] [--repeat N] [--only NAME]   every scenario (or one), charts and results (minutes; N runs each)
//!     realcheck redis-saturation [--out DIR] [--scale X] [--repeat N]   the shaped Redis stepped to saturation (minutes)
//!     realcheck pg-curves [--out DIR] [--repeat N]   the connection curves of both query shapes, their CPU, pgbench and the model
//!     realcheck smoke                         two short scenarios; fail if a server or the client fails

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = PathBuf::from("docs/calibration");
    let mut scale = 1.0;
    let mut repeat = 1;
    let mut cmd = None;
    let mut only = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--out" if i + 1 < args.len() => {
                out = PathBuf::from(&args[i + 1]);
                i += 1;
            }
            "--scale" if i + 1 < args.len() => {
                scale = args[i + 1].parse().unwrap_or_else(|_| usage(2));
                i += 1;
            }
            "--repeat" if i + 1 < args.len() => {
                repeat = args[i + 1].parse().unwrap_or_else(|_| usage(2));
                i += 1;
            }
            "--only" if i + 1 < args.len() => {
                only = Some(args[i + 1].clone());
                i += 1;
            }
            "-h" | "--help" => usage(0),
            "all" | "smoke" | "redis-saturation" | "pg-curve-pinned" | "pg-curves"
                if cmd.is_none() =>
            {
                cmd = Some(args[i].clone())
            }
            _ => usage(2),
        }
        i += 1;
    }
    if only.is_some() && cmd.as_deref() != Some("all") {
        eprintln!("realcheck: --only goes with `all`");
        usage(2);
    }
    let r = match cmd.as_deref() {
        Some("all") => cachesim_realcheck::run::all(&out, scale, repeat, only.as_deref()),
        Some("smoke") => cachesim_realcheck::run::smoke(),
        Some("redis-saturation") => cachesim_realcheck::run::redis_saturation(&out, scale, repeat),
        Some("pg-curve-pinned") => cachesim_realcheck::run::pg_curve_pinned(&out, repeat),
        Some("pg-curves") => cachesim_realcheck::run::pg_curves(&out, repeat),
        _ => usage(2),
    };
    cachesim_realcheck::servers::cleanup_all();
    if let Err(e) = r {
        eprintln!("realcheck: {e:#}");
        std::process::exit(1);
    }
}

fn usage(code: i32) -> ! {
    eprintln!(
        "usage: realcheck all [--out DIR] [--scale X] [--repeat N] [--only NAME]   every scenario, or only the one named, e.g. herd-real (N runs each, mean and min-max): charts, CSV and results.md in DIR (default docs/calibration)\n       realcheck redis-saturation [--out DIR] [--scale X] [--repeat N]   the shaped Redis at 0.5-1.2 of its thread: redis-saturation.md, .png and .csv in DIR\n       realcheck pg-curve-pinned [--out DIR] [--repeat N]   PostgreSQL's PK-lookup curve with the server on a CPU of its own: pg-curve-pinned.md in DIR\n       realcheck pg-curves [--out DIR] [--repeat N]   both query shapes' connection curves with their CPU, pgbench and the model: pg-curves.md in DIR\n       realcheck smoke                         one short scenario against both servers"
    );
    std::process::exit(code)
}
