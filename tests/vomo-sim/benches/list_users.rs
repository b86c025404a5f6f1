//! Benchmark: pages of `GET /users` served per second on loopback with a million users
//! loaded and the rate limit off, and resident memory per loaded user.
//!
//! Knobs (environment): `BENCH_USERS` (1000000), `BENCH_SECONDS` (5), `BENCH_CONNECTIONS` (32).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vomo_sim::{DataSize, SimConfig, Simulator};

fn main() -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let users = knob("BENCH_USERS", 1_000_000);
    let seconds = knob("BENCH_SECONDS", 5);
    let connections = knob("BENCH_CONNECTIONS", 32);

    let before = resident_bytes()?;
    let started = Instant::now();
    let sim = Simulator::start(SimConfig {
        size: DataSize {
            customers: 4,
            children_per_customer: 1,
            users: users as u32,
            projects_per_org: 200,
            groups_per_org: 20,
            members_per_group: 50,
            forms_per_org: 5,
            completions_per_form: 500,
            ..DataSize::small()
        },
        rate_limit: None,
        request_log_capacity: 1_000,
        ..SimConfig::default()
    })
    .await?;
    let load_time = started.elapsed();
    let after = resident_bytes()?;
    let per_user = (after.saturating_sub(before)) as f64 / users as f64;

    let customer = sim.customers().into_iter().next().context("no customer")?;
    let addr = sim.addr();
    let path_of = |page: u64| format!("/v1/users?page={page}");
    let first = fetch_once(addr, &customer.token, &path_of(1)).await?;
    let total = total_of(&first)?;
    let pages = total.div_ceil(15).max(1);
    let cached = resident_bytes()?;

    let served = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..connections {
        let (served, bytes, token) = (served.clone(), bytes.clone(), customer.token.clone());
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut buffer = Vec::with_capacity(16 * 1024);
            let mut page = 1 + worker * (pages / connections.max(1));
            while Instant::now() < deadline {
                let request = format!(
                    "GET /v1/users?page={page} HTTP/1.1\r\nHost: {addr}\r\n\
                     Authorization: Bearer {token}\r\n\r\n"
                );
                stream.write_all(request.as_bytes()).await?;
                let body = read_response(&mut stream, &mut buffer).await?;
                served.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(body as u64, Ordering::Relaxed);
                page = page % pages + 1;
            }
            anyhow::Ok(())
        }));
    }
    let measure = Instant::now();
    for task in tasks {
        task.await??;
    }
    let elapsed = measure.elapsed().as_secs_f64();
    let served = served.load(Ordering::Relaxed) as f64;
    let bytes = bytes.load(Ordering::Relaxed) as f64;

    println!("users loaded          {users}");
    println!("load time             {:.2} s", load_time.as_secs_f64());
    println!("rss before / after    {:.1} MiB / {:.1} MiB", mib(before), mib(after));
    println!("memory per user       {per_user:.0} bytes");
    println!("rss with list cached  {:.1} MiB", mib(cached));
    println!("customer 1 users      {total} ({pages} pages)");
    println!("connections           {connections}");
    println!("pages served          {served:.0} in {elapsed:.2} s");
    println!("pages per second      {:.0}", served / elapsed);
    println!("body MiB per second   {:.1}", bytes / elapsed / 1_048_576.0);
    sim.shutdown().await;
    Ok(())
}

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// Resident set size from `/proc/self/statm` (second field, in pages of 4 KiB).
fn resident_bytes() -> anyhow::Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").context("failed to read statm")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .context("unexpected statm format")?;
    Ok(pages * 4096)
}

async fn fetch_once(addr: std::net::SocketAddr, token: &str, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = Vec::new();
    let length = read_response(&mut stream, &mut buffer).await?;
    Ok(String::from_utf8_lossy(&buffer[buffer.len() - length..]).into_owned())
}

fn total_of(body: &str) -> anyhow::Result<u64> {
    let value: serde_json::Value = serde_json::from_str(body)?;
    value["meta"]["total"].as_u64().context("no meta.total")
}

/// Reads one response with a `Content-Length` into `buffer`; returns the body length.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> anyhow::Result<usize> {
    buffer.clear();
    let mut chunk = [0_u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            bail!("connection closed before the head");
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        bail!("unexpected answer: {}", head.lines().next().unwrap_or(""));
    }
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .context("no content-length")?;
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            bail!("connection closed mid-body");
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Ok(length)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
