//! The smoke run: both servers, one short scenario (a Redis crash and cold
//! restart against the shaped DB), the comparison printed. Fails if a server
//! or the client fails, not if the numbers disagree with the model.
//! Needs Debian's redis-server and postgresql: `./scripts/test.sh realcheck`
//! installs them and runs this with `--ignored`.

#[test]
#[ignore = "needs redis-server and postgresql (./scripts/test.sh realcheck)"]
fn smoke_against_real_redis_and_postgres() {
    if let Err(e) = cachesim_realcheck::run::smoke() {
        cachesim_realcheck::servers::cleanup_all();
        panic!("realcheck smoke failed: {e:#}");
    }
    cachesim_realcheck::servers::cleanup_all();
}
