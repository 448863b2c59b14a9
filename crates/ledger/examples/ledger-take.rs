//! Takes queued jobs from the ledger at LOCATION until none is left and
//! prints each job id it took: the queue test runs two of these at once.
//!
//! Usage: ledger-take LOCATION WORKER

use ap_ledger::{JobState, Ledger};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [location, worker] = args.as_slice() else {
        return Err("usage: ledger-take LOCATION WORKER".into());
    };
    let ledger = Ledger::open(location)?;
    while let Some(job) = ledger.take_next(worker)? {
        println!("{}", job.job_id);
        ledger.advance(&job.job_id, worker, JobState::Done, None, None)?;
    }
    Ok(())
}
