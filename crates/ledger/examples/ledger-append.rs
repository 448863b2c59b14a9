//! Appends COUNT sets, one commit each, to the ledger at LOCATION: the
//! concurrent-writer test runs two of these at once.
//!
//! Usage: ledger-append LOCATION PREFIX COUNT

use ap_ledger::{Ledger, SetInfo};
use ap_secret_codec::SetKey;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [location, prefix, count] = args.as_slice() else {
        return Err("usage: ledger-append LOCATION PREFIX COUNT".into());
    };
    let count: u32 = count.parse()?;
    let ledger = Ledger::open(location)?;
    for i in 0..count {
        let info = SetInfo {
            set_id: format!("{prefix}-{i:04}"),
            title: format!("set {i} of {prefix}"),
            created_at: 1_795_500_000 + i64::from(i),
            posted_at: None,
            source_bytes: u64::from(i),
            posted_bytes: 0,
            file_count: 1,
            article_count: 1,
            groups: vec!["alt.binaries.test".into()],
            server_host: "127.0.0.1".into(),
            status: "posted".into(),
            secret: String::new(),
        };
        ledger.record_set(info, &SetKey::generate()?)?;
    }
    Ok(())
}
