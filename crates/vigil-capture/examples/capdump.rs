//! Prints one line per packet of a capture: epoch time with nanoseconds,
//! captured length, original length, interface, link type, record offset.
//! Handy for comparing with `tshark -T fields -e frame.time_epoch ...`.
//! With `--count`, prints only the packet count and the read rate.
//!
//! Usage: `cargo run --release -p vigil-capture --example capdump -- [--count] FILE|-`

use std::io::Write;
use std::time::Instant;

fn main() {
    if let Err(e) = run() {
        eprintln!("capdump: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<_> = std::env::args_os().skip(1).collect();
    let count_only = args.first().is_some_and(|a| a == "--count");
    if count_only {
        args.remove(0);
    }
    let [path] = args.as_slice() else {
        return Err("usage: capdump [--count] FILE|-".into());
    };
    let mut reader = vigil_capture::CaptureReader::open(path.as_ref())?;
    if count_only {
        let start = Instant::now();
        let (mut packets, mut bytes) = (0u64, 0u64);
        while let Some(p) = reader.next_packet()? {
            packets += 1;
            bytes += p.data.len() as u64;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{packets} packets, {bytes} bytes in {secs:.3} s: {:.2} Mpps, {:.0} MB/s",
            packets as f64 / secs / 1e6,
            reader.bytes_read() as f64 / secs / 1e6
        );
        return Ok(());
    }
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    while let Some(p) = reader.next_packet()? {
        writeln!(
            out,
            "{}.{:09}\t{}\t{}\t{}\t{:?}\t{}",
            p.ts.secs,
            p.ts.nanos,
            p.data.len(),
            p.orig_len,
            p.interface,
            p.link,
            p.offset
        )?;
    }
    out.flush()?;
    Ok(())
}
