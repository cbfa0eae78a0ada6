//! Mock Exchange server for `bench/probe.sh`: listens on 127.0.0.1 only, on COUNT consecutive ports
//! from BASE, answering like an Exchange 2019 CU12 (X-OWA-Version 15.2.1118.7). Exits by itself after
//! `--duration` seconds.
//!
//! Usage: `mock_exchange [--base 20000] [--count 10000] [--variant 2019|2016|se|none] [--tls] [--duration 600] [--threads 1]`

#[path = "../tests/support/mock.rs"]
mod mock;

use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut base: u16 = 20000;
    let mut count: u16 = 10000;
    let mut duration: u64 = 600;
    let mut threads: usize = 1;
    let mut tls = false;
    let mut variant = mock::Variant::Ex2019Unpatched;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--base" => base = val()?.parse()?,
            "--count" => count = val()?.parse()?,
            "--duration" => duration = val()?.parse()?,
            "--threads" => threads = val()?.parse()?,
            "--tls" => tls = true,
            "--variant" => {
                variant = match val()?.as_str() {
                    "2016" => mock::Variant::Ex2016Cu19NoHeader,
                    "se" => mock::Variant::ExSe,
                    "none" => mock::Variant::NotExchange,
                    _ => mock::Variant::Ex2019Unpatched,
                }
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let acceptor = if tls {
            Some(mock::tls_acceptor())
        } else {
            None
        };
        let mut mocks = Vec::with_capacity(usize::from(count));
        for i in 0..count {
            let port = base.checked_add(i).ok_or("port range overflows")?;
            let l = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            mocks.push(mock::serve_with(l, variant, acceptor.clone(), false));
        }
        println!("ready {count} ports from 127.0.0.1:{base}");
        tokio::time::sleep(Duration::from_secs(duration)).await;
        let total: usize = mocks
            .iter()
            .map(|m| m.connections.load(std::sync::atomic::Ordering::Relaxed))
            .sum();
        eprintln!("mock: {total} connections served");
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
