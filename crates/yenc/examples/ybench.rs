//! One side of `cargo xtask bench yenc`: runs one operation on a file in
//! memory, single-threaded, and prints one JSON line.
//!
//! ```text
//! cargo run --release -p ap-yenc --example ybench -- FILE encode|decode|crc [RUNS] [KERNEL]
//! ```
//! `bytes` is the raw (unencoded) size in every mode, like the node script
//! `benches/node/yencode-bench.js`, so the two lines compare directly.
//! KERNEL (scalar, sse2, ssse3, avx2, avx512) defaults to the best one.

use ap_yenc::{Kernel, crc32, decode_raw_with, encode_raw_with, max_encoded_len};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ybench: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(op)) = (args.first(), args.get(1)) else {
        return Err("usage: ybench FILE encode|decode|crc [RUNS] [KERNEL]".into());
    };
    let runs: u32 = args
        .get(2)
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(5)
        .max(1);
    let kernel = match args.get(3).map(String::as_str) {
        None => Kernel::best(),
        Some("scalar") => Kernel::Scalar,
        Some("sse2") => Kernel::Sse2,
        Some("ssse3") => Kernel::Ssse3,
        Some("avx2") => Kernel::Avx2,
        Some("avx512") => Kernel::Avx512,
        Some(other) => return Err(format!("unknown kernel {other:?}").into()),
    };
    // Line length: 128 as posted; YBENCH_LINE overrides it for experiments.
    let line: usize = std::env::var("YBENCH_LINE")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(128);
    let data = std::fs::read(path)?;
    let mut enc = vec![0u8; max_encoded_len(data.len(), line)];
    let enc_len = encode_raw_with(kernel, &data, line, &mut enc)?;
    let mut dec = vec![0u8; enc_len];
    // One untimed run so page faults do not count.
    let start;
    let mut check = 0u64;
    match op.as_str() {
        "encode" => {
            encode_raw_with(kernel, &data, line, &mut enc)?;
            start = Instant::now();
            for _ in 0..runs {
                check += encode_raw_with(kernel, &data, line, &mut enc)? as u64;
            }
        }
        "decode" => {
            decode_raw_with(kernel, &enc[..enc_len], &mut dec, true)?;
            start = Instant::now();
            for _ in 0..runs {
                let (_, n) = decode_raw_with(kernel, &enc[..enc_len], &mut dec, true)?;
                check += n as u64;
            }
            if check != data.len() as u64 * u64::from(runs) || dec[..data.len()] != data[..] {
                return Err("decode did not give the input back".into());
            }
        }
        "crc" => {
            start = Instant::now();
            for _ in 0..runs {
                check ^= u64::from(crc32(&data));
            }
        }
        other => return Err(format!("unknown mode {other:?}: use encode, decode or crc").into()),
    }
    let seconds = start.elapsed().as_secs_f64() / f64::from(runs);
    std::hint::black_box(check);
    let bytes = data.len();
    println!(
        "{{\"tool\":\"ap-yenc\",\"kernel\":\"{kernel:?}\",\"op\":\"{op}\",\"bytes\":{bytes},\"seconds\":{seconds:.6},\"mb_per_s\":{:.1}}}",
        bytes as f64 / seconds / 1e6
    );
    Ok(())
}
