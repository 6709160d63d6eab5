//! `bylaw serve`: every policy under a directory served over HTTP (the `bylaw-server`
//! crate), until Ctrl-C or SIGTERM; requests in flight are answered before it exits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bylaw_server::{Config, Server, StartError};

use crate::{ErrorFormat, Exit, report};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The directory of policies (searched recursively; `*.test.bylaw` files are not served).
    pub policy_dir: PathBuf,
    /// The address to listen on. There is no authentication yet: keep it on loopback.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The largest request body, in bytes.
    #[arg(long, default_value_t = Config::default().max_body)]
    pub max_body: usize,
    /// The most records one request may give.
    #[arg(long, default_value_t = Config::default().max_records)]
    pub max_records: usize,
    /// Seconds a request may take.
    #[arg(long, default_value_t = Config::default().timeout.as_secs())]
    pub timeout: u64,
}

pub fn run(args: &ServeArgs, format: ErrorFormat) -> Exit {
    let config = Config {
        max_body: args.max_body,
        max_records: args.max_records,
        timeout: Duration::from_secs(args.timeout),
        ..Config::default()
    };
    let server = match Server::build(&args.policy_dir, config) {
        Ok(s) => s,
        Err(e) => {
            if let StartError::NothingToServe { skipped, .. } = &e {
                for s in skipped {
                    eprintln!("skipped {}:\n{}", s.file.display(), s.rendered.join("\n"));
                }
            }
            report::error(format, e.code(), e.to_string());
            return Exit::PolicyErrors;
        }
    };
    for (name, served) in server.registry().policies() {
        let engine = match served.native_declined() {
            None => "native code".to_string(),
            Some(why) => format!("the interpreter ({why})"),
        };
        eprintln!("serving {name} ({}) by {engine}", served.file().display());
    }
    for s in server.registry().skipped() {
        eprintln!("skipped {}:\n{}", s.file.display(), s.rendered.join("\n"));
    }
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, beyond this machine, with no authentication: anyone who can reach it can evaluate and read the policies",
            args.addr
        );
    }
    let served = server.run(args.addr, |addr| eprintln!("listening on http://{addr}"));
    match served {
        Ok(()) => Exit::Ok,
        Err(e) => {
            report::error(
                format,
                "bylaw::serve::io",
                format!("cannot serve on {}: {e}", args.addr),
            );
            Exit::Io
        }
    }
}
