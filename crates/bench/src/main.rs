//! The `waxwing-bench` command; see the library documentation and `--help`.

use std::process::ExitCode;

use clap::Parser as _;
use waxwing_bench::opts::Options;

fn main() -> ExitCode {
    let opts = Options::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads.max(1))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("waxwing-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(waxwing_bench::run(&opts)) {
        Ok(reports) => {
            for r in reports {
                println!("{}", if opts.json { r.to_json() } else { r.to_text() });
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("waxwing-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
