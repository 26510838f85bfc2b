//! Our own `redis-server` and PostgreSQL on loopback ports, with throw-away
//! data directories, stopped and removed by [`Servers`]' `Drop`, by the
//! Ctrl-C handler and by the panic hook ([`cleanup_all`]), whichever comes first.

use anyhow::{anyhow, bail, Context, Result};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Processes and directories to remove if the program is interrupted.
struct Registry {
    pids: Vec<(i32, libc::c_int)>, // (pid, signal that stops it cleanly)
    dirs: Vec<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    pids: Vec::new(),
    dirs: Vec::new(),
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

fn alive(pid: i32) -> bool {
    // reap it if it is our child and has exited
    unsafe {
        let mut st = 0;
        libc::waitpid(pid, &mut st, libc::WNOHANG);
        libc::kill(pid, 0) == 0
    }
}

/// Sends `sig`, waits up to `grace` for the process to go, then SIGKILLs it.
fn stop_pid(pid: i32, sig: libc::c_int, grace: Duration) {
    if !alive(pid) {
        return;
    }
    unsafe { libc::kill(pid, sig) };
    let t0 = Instant::now();
    while alive(pid) && t0.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(20));
    }
    if alive(pid) {
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let t0 = Instant::now();
        while alive(pid) && t0.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Stops every registered server and removes every registered directory.
/// Idempotent; safe from a signal-handler thread or a panic hook.
pub fn cleanup_all() {
    let (pids, dirs) = {
        let mut r = registry();
        (std::mem::take(&mut r.pids), std::mem::take(&mut r.dirs))
    };
    for (pid, sig) in pids {
        stop_pid(pid, sig, Duration::from_secs(5));
    }
    for d in dirs {
        let _ = std::fs::remove_dir_all(&d);
    }
}

/// Installs the Ctrl-C/SIGTERM/SIGHUP handler and a panic hook that both clean up.
pub fn install_cleanup_handlers() {
    let _ = ctrlc::set_handler(|| {
        eprintln!("realcheck: interrupted, stopping the servers");
        cleanup_all();
        std::process::exit(130);
    });
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        prev(info);
        cleanup_all();
    }));
}

fn register_pid(pid: i32, sig: libc::c_int) {
    registry().pids.push((pid, sig));
}

fn unregister_pid(pid: i32) {
    registry().pids.retain(|(p, _)| *p != pid);
}

pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Finds Debian's PostgreSQL binaries (`/usr/lib/postgresql/<major>/bin`), newest major first.
pub fn pg_bindir() -> Result<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no /usr/lib/postgresql: install Debian's postgresql (scripts/setup.sh servers)")?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop()
        .map(|(_, b)| b)
        .ok_or_else(|| anyhow!("no /usr/lib/postgresql/*/bin/postgres"))
}

/// The user PostgreSQL runs as: ourselves, or (as root, which postgres
/// refuses) the system user `cachesim`, created when missing.
fn pg_user() -> Result<Option<(u32, u32)>> {
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let lookup = || -> Option<(u32, u32)> {
        let name = std::ffi::CString::new("cachesim").ok()?;
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        if pw.is_null() {
            None
        } else {
            Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) })
        }
    };
    if let Some(u) = lookup() {
        return Ok(Some(u));
    }
    let st = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "cachesim",
        ])
        .status()
        .context("useradd")?;
    if !st.success() {
        bail!("useradd cachesim failed ({st})");
    }
    lookup()
        .map(Some)
        .ok_or_else(|| anyhow!("user cachesim not found after useradd"))
}

pub struct RedisConf {
    pub maxmemory_bytes: u64,
    pub policy: &'static str,
}

/// Both servers. Dropping it stops them and removes the data directory.
pub struct Servers {
    pub dir: PathBuf,
    pub redis_port: u16,
    pub pg_port: u16,
    redis: Option<Child>,
    pg: Option<Child>,
    pg_bin: PathBuf,
    pg_ids: Option<(u32, u32)>,
    pub pg_max_connections: u32,
    pub redis_version: String,
    pub pg_version: String,
}

impl Servers {
    /// Creates the data directory, initdb's a cluster, starts both servers and waits until they answer.
    pub fn start(pg_max_connections: u32) -> Result<Servers> {
        let which = Command::new("sh")
            .args(["-c", "command -v redis-server"])
            .output()?;
        if !which.status.success() {
            bail!(
                "redis-server not found: install Debian's redis-server (scripts/setup.sh servers)"
            );
        }
        let pg_bin = pg_bindir()?;
        let pg_ids = pg_user()?;
        let dir = std::env::temp_dir().join(format!(
            "realcheck-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir)?;
        registry().dirs.push(dir.clone());
        std::fs::create_dir_all(dir.join("redis"))?;
        if let Some((uid, gid)) = pg_ids {
            chown(&dir, uid, gid)?;
        }
        let redis_version = cmd_out("redis-server", &["--version"]).unwrap_or_default();
        let pg_version =
            cmd_out(pg_bin.join("postgres").to_str().unwrap(), &["--version"]).unwrap_or_default();
        let mut s = Servers {
            redis_port: free_port()?,
            pg_port: free_port()?,
            dir,
            redis: None,
            pg: None,
            pg_bin,
            pg_ids,
            pg_max_connections,
            redis_version,
            pg_version,
        };
        s.start_redis(&RedisConf {
            maxmemory_bytes: 0,
            policy: "noeviction",
        })?;
        s.initdb()?;
        s.start_pg()?;
        Ok(s)
    }

    pub fn redis_url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.redis_port)
    }

    pub fn pg_config(&self) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host("127.0.0.1")
            .port(self.pg_port)
            .user("postgres")
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(5));
        c
    }

    /// Starts an empty redis-server (no persistence) on our port.
    pub fn start_redis(&mut self, conf: &RedisConf) -> Result<()> {
        if self.redis.is_some() {
            bail!("redis already running");
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("redis.log"))?;
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.redis_port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir.join("redis").to_str().unwrap(),
                "--maxmemory",
                &conf.maxmemory_bytes.to_string(),
                "--maxmemory-policy",
                conf.policy,
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("spawn redis-server")?;
        register_pid(child.id() as i32, libc::SIGTERM);
        self.redis = Some(child);
        let t0 = Instant::now();
        loop {
            if let Ok(mut c) =
                redis::Client::open(self.redis_url()).and_then(|c| c.get_connection())
            {
                if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                    return Ok(());
                }
            }
            if t0.elapsed() > Duration::from_secs(10) {
                bail!(
                    "redis-server did not answer within 10 s (log: {})",
                    self.read_log("redis.log")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn redis_pid(&self) -> Option<i32> {
        self.redis.as_ref().map(|c| c.id() as i32)
    }

    pub fn pg_pid(&self) -> Option<i32> {
        self.pg.as_ref().map(|c| c.id() as i32)
    }

    /// SIGKILL: the process dies with its keys (no persistence), like a crash.
    pub fn kill_redis(&mut self) {
        if let Some(mut c) = self.redis.take() {
            let pid = c.id() as i32;
            let _ = c.kill();
            let _ = c.wait();
            unregister_pid(pid);
        }
    }

    fn as_pg_user(&self, cmd: &mut Command) {
        if let Some((uid, gid)) = self.pg_ids {
            cmd.uid(uid).gid(gid);
            // initdb and postgres read the cwd: one the user can enter
            cmd.current_dir(&self.dir);
        }
    }

    fn initdb(&self) -> Result<()> {
        let mut cmd = Command::new(self.pg_bin.join("initdb"));
        cmd.args(["-D", self.dir.join("pg").to_str().unwrap()])
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ])
            .stdin(Stdio::null());
        self.as_pg_user(&mut cmd);
        let out = cmd.output().context("run initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Starts the postmaster with our settings and waits until it accepts queries.
    pub fn start_pg(&mut self) -> Result<()> {
        if self.pg.is_some() {
            bail!("postgres already running");
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("pg.log"))?;
        if let Some((uid, gid)) = self.pg_ids {
            chown(&self.dir.join("pg.log"), uid, gid)?;
        }
        let mut cmd = Command::new(self.pg_bin.join("postgres"));
        cmd.args(["-D", self.dir.join("pg").to_str().unwrap()])
            .args(["-p", &self.pg_port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args([
                "-c",
                &format!("unix_socket_directories={}", self.dir.display()),
            ])
            .args([
                "-c",
                &format!("max_connections={}", self.pg_max_connections),
            ])
            .args(["-c", "superuser_reserved_connections=0"])
            .args(["-c", "shared_buffers=128MB"])
            .args(["-c", "log_min_messages=warning"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        self.as_pg_user(&mut cmd);
        let child = cmd.spawn().context("spawn postgres")?;
        // SIGINT: fast shutdown (ends the backends, no checkpoint wait for clients)
        register_pid(child.id() as i32, libc::SIGINT);
        self.pg = Some(child);
        let t0 = Instant::now();
        let cfg = self.pg_config();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        loop {
            let ok = rt.block_on(async {
                match cfg.connect(tokio_postgres::NoTls).await {
                    Ok((client, conn)) => {
                        let h = tokio::spawn(conn);
                        let r = client.simple_query("SELECT 1").await.is_ok();
                        drop(client);
                        let _ = h.await;
                        r
                    }
                    Err(_) => false,
                }
            });
            if ok {
                return Ok(());
            }
            if let Some(c) = self.pg.as_mut() {
                if let Ok(Some(st)) = c.try_wait() {
                    bail!("postgres exited ({st}): {}", self.read_log("pg.log"));
                }
            }
            if t0.elapsed() > Duration::from_secs(30) {
                bail!(
                    "postgres did not answer within 30 s: {}",
                    self.read_log("pg.log")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop_pg(&mut self) {
        if let Some(mut c) = self.pg.take() {
            let pid = c.id() as i32;
            stop_pid(pid, libc::SIGINT, Duration::from_secs(10));
            let _ = c.wait();
            unregister_pid(pid);
        }
    }

    /// Restarts PostgreSQL with another `max_connections` (same data).
    pub fn restart_pg(&mut self, max_connections: u32) -> Result<()> {
        self.stop_pg();
        self.pg_max_connections = max_connections;
        self.start_pg()
    }

    fn read_log(&self, name: &str) -> String {
        let s = std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        let tail: Vec<&str> = s.lines().rev().take(15).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Stops both servers and removes the directory.
    pub fn stop(&mut self) {
        if let Some(c) = self.redis.take() {
            let pid = c.id() as i32;
            stop_pid(pid, libc::SIGTERM, Duration::from_secs(5));
            let mut c = c;
            let _ = c.wait();
            unregister_pid(pid);
        }
        self.stop_pg();
        let _ = std::fs::remove_dir_all(&self.dir);
        registry().dirs.retain(|d| d != &self.dir);
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop();
    }
}

fn chown(p: &Path, uid: u32, gid: u32) -> Result<()> {
    std::os::unix::fs::chown(p, Some(uid), Some(gid))
        .with_context(|| format!("chown {}", p.display()))
}

fn cmd_out(cmd: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(cmd).args(args).output().ok()?;
    Some(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// CPU seconds from /proc/PID/stat: (utime + stime, cutime + cstime).
fn proc_cpu(pid: i32) -> Option<(f64, f64, i32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // fields after the ")" that closes the command name: state is field 3
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let n = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / tick
    };
    let ppid = f.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    Some((n(14) + n(15), n(16) + n(17), ppid))
}

/// Sets the scheduling priority (nice) of every thread of `pid`; returns
/// the main thread's nice afterwards (unchanged when not permitted).
pub fn renice(pid: i32, nice: i32) -> i32 {
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Some(tid) = t.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) {
                unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, nice) };
            }
        }
    }
    unsafe { libc::getpriority(libc::PRIO_PROCESS, pid as u32) }
}

/// Pins every thread of process `pid` to `cpus` (threads it starts later
/// inherit it); false if the kernel refused or the process is gone.
pub fn pin(pid: i32, cpus: &[usize]) -> bool {
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus {
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    let mut ok = true;
    for t in tasks.flatten() {
        if let Some(tid) = t.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) {
            let size = std::mem::size_of::<libc::cpu_set_t>();
            ok &= unsafe { libc::sched_setaffinity(tid, size, &set) } == 0;
        }
    }
    ok
}

/// Pins process `pid` and its children (a postmaster and its backends;
/// later backends inherit the postmaster's CPUs).
pub fn pin_tree(pid: i32, cpus: &[usize]) -> bool {
    let mut ok = pin(pid, cpus);
    for c in children_of(pid) {
        ok &= pin(c, cpus);
    }
    ok
}

/// A server on a core of its own: `alone` (and its children) on the last
/// of `nproc` CPUs; this process and the `others` (and their children) on
/// the rest. False if a pin failed.
pub fn own_core(alone: i32, others: &[i32], nproc: usize) -> bool {
    let rest: Vec<usize> = (0..nproc - 1).collect();
    let mut ok = pin_tree(alone, &[nproc - 1]) & pin(std::process::id() as i32, &rest);
    for &p in others {
        ok &= pin_tree(p, &rest);
    }
    ok
}

/// The processes whose parent is `pid` (PostgreSQL's backends).
pub fn children_of(pid: i32) -> Vec<i32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    procs
        .flatten()
        .filter_map(|p| p.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| {
            // /proc/P/stat: "P (comm) S PPID ..."; comm may hold spaces
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.to_string()))
                .and_then(|r| r.split_whitespace().nth(1)?.parse::<i32>().ok())
                == Some(pid)
        })
        .collect()
}

/// Seconds the process' main thread has spent runnable but waiting for a
/// CPU (the second field of /proc/PID/schedstat, nanoseconds): how much the
/// other work on the machine delayed it.
pub fn run_queue_wait(pid: i32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?;
    let ns: f64 = text.split_whitespace().nth(1)?.parse().ok()?;
    Some(ns / 1e9)
}

/// (seconds on a CPU, seconds runnable but waiting for one) of the live
/// threads of `pid`, by the scheduler's own clock (the first two fields of
/// each /proc/PID/task/TID/schedstat, ns). The tick-sampled utime + stime
/// of /proc/PID/stat miss much of the time of a process that wakes on a
/// timer, runs well under a tick and sleeps again (a backend in
/// `pg_sleep`): 30-40% of it in the shaped curve.
pub fn sched_times(pid: i32) -> Option<(f64, f64)> {
    let (mut run, mut wait) = (0.0, 0.0);
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        if let Ok(text) = std::fs::read_to_string(t.path().join("schedstat")) {
            let mut f = text
                .split_whitespace()
                .map(|v| v.parse::<f64>().unwrap_or(0.0));
            run += f.next().unwrap_or(0.0);
            wait += f.next().unwrap_or(0.0);
        }
    }
    Some((run / 1e9, wait / 1e9))
}

/// The postmaster and its live children: pid -> [`sched_times`].
pub fn pg_processes(postmaster: i32) -> std::collections::HashMap<i32, (f64, f64)> {
    let mut m = std::collections::HashMap::new();
    m.extend(sched_times(postmaster).map(|t| (postmaster, t)));
    for pid in children_of(postmaster) {
        m.extend(sched_times(pid).map(|t| (pid, t)));
    }
    m
}

/// CPU seconds a process has used (it alone), by the scheduler's clock.
pub fn cpu_of(pid: i32) -> Option<f64> {
    sched_times(pid)
        .map(|t| t.0)
        .or_else(|| proc_cpu(pid).map(|c| c.0))
}

/// CPU seconds of a PostgreSQL cluster: the postmaster, the backends it has
/// reaped (its children's time, as the kernel kept it) and the backends
/// alive now (by the scheduler's clock, [`cpu_of`]).
pub fn pg_cpu(postmaster: i32) -> Option<f64> {
    let (_, reaped, _) = proc_cpu(postmaster)?;
    let own = cpu_of(postmaster)?;
    let live: f64 = children_of(postmaster).into_iter().filter_map(cpu_of).sum();
    Some(own + reaped + live)
}

/// CPU seconds of this process (every thread: the load generator).
pub fn self_cpu() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_child_and_pins_it() {
        let mut child = Command::new("sleep").arg("5").spawn().expect("sleep");
        let pid = child.id() as i32;
        assert!(children_of(std::process::id() as i32).contains(&pid));
        assert!(pin(pid, &[0]));
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        assert_eq!(unsafe { libc::sched_getaffinity(pid, size, &mut set) }, 0);
        assert_eq!(unsafe { libc::CPU_COUNT(&set) }, 1);
        assert!(unsafe { libc::CPU_ISSET(0, &set) });
        child.kill().ok();
        child.wait().ok();
        assert!(!children_of(std::process::id() as i32).contains(&pid));
        assert!(!pin(pid, &[0]), "a process that is gone cannot be pinned");
    }
}
