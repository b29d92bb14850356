//! This SDK: typed `host view` calls through `pyrum`, all in flight at once or one at a time,
//! and the scale run (one client, eight `rumor serve` processes).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use pyrum_bench::stats::Run;
use pyrum_commands::host::HostViewResult;
use pyrum_commands::Commands;
use pyrum_core::{Actor, Error, Rumor};

/// N typed `host view` calls on one actor of `rumor bare --level=trace`, after `host start`.
/// `pipelined`: all N futures in flight at once (bounded only by the send queue); else one at a
/// time. Latency: from the call's first poll to its typed result. Every result's peer id is
/// checked against the actor's.
pub async fn calls(bin: std::path::PathBuf, n: usize, pipelined: bool) -> pyrum_core::Result<Run> {
    let rumor = Rumor::builder().rumor_bin(&bin).spawn().await?;
    let alice = rumor.actor("alice")?;
    alice.host().start().await?;
    let me = alice.host().view().await?.peer_id;
    let mut latencies = Vec::with_capacity(n);
    let cpu = pyrum_bench::cpu_time();
    let rumor_cpu = pyrum_bench::descendants_cpu_time();
    let start = Instant::now();
    if pipelined {
        let mut inflight: FuturesUnordered<_> = (0..n)
            .map(|_| async {
                let t = Instant::now();
                let view = alice.host().view().await?;
                Ok::<_, Error>((t.elapsed(), view.peer_id))
            })
            .collect();
        while let Some(r) = inflight.next().await {
            let (latency, peer) = r?;
            assert_eq!(peer, me, "a result of another actor");
            latencies.push(latency);
        }
    } else {
        for _ in 0..n {
            let t = Instant::now();
            let view = alice.host().view().await?;
            latencies.push(t.elapsed());
            assert_eq!(view.peer_id, me, "a result of another actor");
        }
    }
    let elapsed = start.elapsed();
    let cpu = pyrum_bench::cpu_time() - cpu;
    let rumor_cpu = pyrum_bench::descendants_cpu_time().saturating_sub(rumor_cpu);
    rumor.close().await?;
    Ok(
        Run::from_latencies(latencies, elapsed, pyrum_bench::peak_rss_kib(), cpu)
            .with_rumor_cpu(rumor_cpu),
    )
}

/// A `rumor serve --tcp` process, killed on drop.
struct Server {
    child: tokio::process::Child,
    addr: String,
}

impl Server {
    fn start(bin: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = tokio::process::Command::new(bin)
            .args(["serve", "--tcp", &addr])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} serve: {e}", bin.display()));
        Server { child, addr }
    }

    async fn connect(&mut self) -> pyrum_core::Result<Rumor> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match Rumor::connect_tcp(&self.addr).await {
                Ok(r) => return Ok(r),
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        panic!("rumor serve --tcp {} exited: {status}", self.addr);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
}

/// What the scale run measured.
pub struct Scale {
    /// Calls, latencies and the client's peak RSS.
    pub run: Run,
    /// Entries the results carried (markers excluded).
    pub entries: u64,
    /// Results that named another actor's peer (must be 0).
    pub cross_talk: u64,
}

/// One client, `servers` Rumor processes (`rumor serve --tcp`), `actors` actors on each, each
/// listening and connected to its partner on the next server (servers in pairs); then
/// `per_actor` `host view` calls on every actor, all in flight at once over all connections.
/// Each result's peer id must be the asked actor's.
pub async fn scale(
    bin: &Path,
    servers: usize,
    actors: usize,
    per_actor: usize,
) -> pyrum_core::Result<Scale> {
    assert!(servers.is_multiple_of(2), "servers come in pairs");
    let mut procs: Vec<Server> = (0..servers).map(|_| Server::start(bin)).collect();
    let mut rumors = Vec::new();
    for s in &mut procs {
        rumors.push(s.connect().await?);
    }
    // Every actor: host start, listen, view, all actors at once.
    let setups: FuturesUnordered<_> = rumors
        .iter()
        .enumerate()
        .flat_map(|(r, rumor)| (0..actors).map(move |k| (r, k, rumor.clone())))
        .map(|(r, k, rumor)| async move {
            let actor = rumor.actor(&format!("r{r}a{k}"))?;
            actor.host().start().await?;
            actor.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
            let view = actor.host().view().await?;
            Ok::<_, Error>((r, k, actor, view))
        })
        .collect();
    let mut done = Vec::new();
    for d in setups.collect::<Vec<_>>().await {
        done.push(d?);
    }
    done.sort_by_key(|(r, k, _, _)| (*r, *k));
    let mut table: Vec<Vec<(Actor, HostViewResult)>> = Vec::new();
    for (r, _, actor, view) in done {
        if table.len() == r {
            table.push(Vec::new());
        }
        table[r].push((actor, view));
    }
    // Pairs: actor k of server 2j connects to actor k of server 2j+1.
    let connects: FuturesUnordered<_> = (0..servers / 2)
        .flat_map(|j| (0..actors).map(move |k| (j, k)))
        .map(|(j, k)| {
            let (a, _) = &table[2 * j][k];
            let (_, b) = &table[2 * j + 1][k];
            async move {
                a.peer().connect(b.addr[0].clone()).await?;
                let peers = a.peer().list().await?;
                assert!(
                    peers.peers.to_string().contains(b.peer_id.as_str()),
                    "{} lists its partner after connecting: {}",
                    a.name(),
                    peers.peers
                );
                Ok::<_, Error>(())
            }
        })
        .collect();
    for r in connects.collect::<Vec<_>>().await {
        r?;
    }

    let cpu = pyrum_bench::cpu_time();
    let rumor_cpu = pyrum_bench::descendants_cpu_time();
    let start = Instant::now();
    let mut inflight: FuturesUnordered<_> = table
        .iter()
        .flatten()
        .flat_map(|(actor, view)| (0..per_actor).map(move |_| (actor, &view.peer_id)))
        .map(|(actor, me)| async move {
            let t = Instant::now();
            let view = actor.host().view().await?;
            let ok = view.peer_id == *me
                && view
                    .addr
                    .iter()
                    .all(|a| a.as_str().ends_with(&format!("/p2p/{me}")));
            Ok::<_, Error>((t.elapsed(), ok, view.entries.len() as u64))
        })
        .collect();
    let mut latencies = Vec::new();
    let (mut entries, mut cross_talk) = (0u64, 0u64);
    while let Some(r) = inflight.next().await {
        let (latency, ok, n) = r?;
        latencies.push(latency);
        entries += n;
        cross_talk += u64::from(!ok);
    }
    let elapsed = start.elapsed();
    let cpu = pyrum_bench::cpu_time() - cpu;
    let rumor_cpu = pyrum_bench::descendants_cpu_time().saturating_sub(rumor_cpu);
    drop(inflight);
    for r in &rumors {
        r.close().await?;
    }
    drop(procs);
    Ok(Scale {
        run: Run::from_latencies(latencies, elapsed, pyrum_bench::peak_rss_kib(), cpu)
            .with_rumor_cpu(rumor_cpu),
        entries,
        cross_talk,
    })
}
