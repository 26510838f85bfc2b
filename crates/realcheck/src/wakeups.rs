//! The shaped curve's loss at many connections without PostgreSQL: `n`
//! server threads, each behind its own loopback TCP connection, answer a
//! 4-byte request after sleeping `sleep_ms` and spinning `cpu_ms` (what a
//! backend in `pg_sleep` does around its sleep), while one client thread
//! keeps every connection busy (a closed loop, like `curve_point`).
//!
//! If the throughput falls below `n / (sleep + cpu)` here too, with CPUs to
//! spare, the loss is the machine's (waking threads through sockets and
//! timers), not the database's.

use anyhow::Result;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// One run: queries per second and the mean cycle (sleep + spin + trips), ms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Wakeups {
    pub connections: u32,
    pub qps: f64,
    pub cycle_ms: f64,
    /// `connections / (sleep + cpu)`: the rate if nothing else took time
    pub ideal_qps: f64,
}

fn server(mut s: TcpStream, sleep: Duration, cpu: Duration) {
    let mut b = [0u8; 4];
    while s.read_exact(&mut b).is_ok() {
        std::thread::sleep(sleep);
        let t = Instant::now();
        while t.elapsed() < cpu {
            std::hint::spin_loop();
        }
        if s.write_all(&b).is_err() {
            break;
        }
    }
}

/// `n` connections for `secs` after a 0.3 s warm-up.
pub fn run(n: u32, sleep_ms: f64, cpu_ms: f64, secs: f64) -> Result<Wakeups> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let (sleep, cpu) = (
        Duration::from_secs_f64(sleep_ms / 1e3),
        Duration::from_secs_f64(cpu_ms / 1e3),
    );
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..n {
        let c = TcpStream::connect(addr)?;
        let (s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        c.set_nodelay(true)?;
        servers.push(std::thread::spawn(move || server(s, sleep, cpu)));
        clients.push(c);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let warm = Duration::from_millis(300);
    let done: u64 = rt.block_on(async move {
        let start = tokio::time::Instant::now();
        let (from, end) = (start + warm, start + warm + Duration::from_secs_f64(secs));
        let mut set = tokio::task::JoinSet::new();
        for c in clients {
            set.spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut c = tokio::net::TcpStream::from_std({
                    c.set_nonblocking(true).ok()?;
                    c
                })
                .ok()?;
                let (mut b, mut count) = ([0u8; 4], 0u64);
                loop {
                    let t0 = tokio::time::Instant::now();
                    if t0 >= end {
                        break;
                    }
                    c.write_all(b"ping").await.ok()?;
                    c.read_exact(&mut b).await.ok()?;
                    count += u64::from(t0 >= from);
                }
                Some(count)
            });
        }
        let mut total = 0;
        while let Some(r) = set.join_next().await {
            total += r.ok().flatten().unwrap_or(0);
        }
        total
    });
    // the client's sockets are closed: every server's read fails and it ends
    for s in servers {
        let _ = s.join();
    }
    let qps = done as f64 / secs;
    Ok(Wakeups {
        connections: n,
        qps,
        cycle_ms: n as f64 * 1e3 / qps.max(1e-9),
        ideal_qps: n as f64 * 1e3 / (sleep_ms + cpu_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_ends_and_the_rate_is_counted() {
        // timing is not asserted (shared machines): only that the client
        // stops, every server thread sees its socket close, and queries count
        let w = run(3, 1.0, 0.01, 0.2).unwrap();
        assert!(w.qps > 0.0, "{w:?}");
        assert!((w.cycle_ms - 3e3 / w.qps).abs() < 1e-9);
        assert!((w.ideal_qps - 3e3 / 1.01).abs() < 1e-9);
    }
}
