//! `clubos`: the thin command line over the service crates.

mod backup;
mod bookings;
mod customer;
mod load;
mod migrate_db;
mod send;
mod serve;
mod sop;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "clubos",
    version,
    about = "ClubOS: the action-only AI operator for unmanned golf-simulator facilities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service (no config: the sandbox demo deployment on SQLite).
    Serve {
        /// Deployment config (TOML); also read from CLUBOS_CONFIG.
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Post a correctly formed (and, with a secret configured, signed)
    /// OpenPhone `message.received` webhook to a running server.
    Send {
        /// The customer's phone number, in any common format.
        #[arg(long)]
        from: String,
        /// The text message.
        text: String,
        /// The facility's number the text is sent to (default: the first
        /// location's number, else the OpenPhone sender).
        #[arg(long)]
        to: Option<String>,
        /// Server base URL (default: from the config's listen address).
        #[arg(long)]
        url: Option<String>,
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Validate a config file and its autonomy profile.
    CheckConfig { file: PathBuf },
    /// The local booking store of a running server.
    #[command(subcommand)]
    Bookings(BookingsCommand),
    /// The knowledge base of a running server.
    #[command(subcommand)]
    Sop(SopCommand),
    /// Operator console accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// One customer's data: export it, or forget the customer (docs/PRIVACY.md).
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Copy the SQLite database to FILE: consistent while the server runs,
    /// checked, then renamed into place.
    Backup {
        file: PathBuf,
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Replace the SQLite database with the backup FILE. Refused while any
    /// process (a running server) has the database open, and unless FILE is
    /// a ClubOS database of a schema version this build knows.
    Restore {
        file: PathBuf,
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Benchmark: drive N signed webhooks through a real server (started as
    /// a child on a temporary SQLite database, or --url) to decisions,
    /// sandbox actions and replies; print throughput and latency percentiles.
    Load(load::Args),
    /// Copy a single-site SQLite deployment into an empty PostgreSQL
    /// database, ids and history kept (see docs/DEPLOYMENT.md).
    MigrateDb {
        /// The PostgreSQL database: postgres://USER@HOST/DB (no password).
        #[arg(long)]
        to: String,
        /// The SQLite database to copy (default: the config's database_url).
        #[arg(long)]
        from: Option<String>,
        /// The environment variable holding the PostgreSQL password
        /// (default: the config's server.database_password_env).
        #[arg(long)]
        password_env: Option<String>,
        /// The SQLite deployment's config.
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum BookingsCommand {
    /// Import bookings from a CSV file (columns: customer_phone, location,
    /// starts_at, ends_at; optional id, bay, status). Needs the server's API
    /// token in CLUBOS_API_TOKEN (or the config's `api_token_env`).
    Import {
        file: PathBuf,
        /// Check the file only; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Server base URL (default: from the config's listen address).
        #[arg(long)]
        url: Option<String>,
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account: `clubos user add ops@example.com --role operator
    /// --location bedford --password-stdin` (no --location: every location).
    Add {
        email: String,
        /// admin, operator or viewer.
        #[arg(long)]
        role: String,
        /// A location the account works at; repeat for several.
        #[arg(long = "location")]
        locations: Vec<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum CustomerCommand {
    /// Write everything held about a customer (name and flags, bookings,
    /// threads with messages, decisions and actions, notifications) as
    /// JSON, to standard output or --output FILE (created readable by its
    /// owner only). The export is recorded in the audit log.
    Export {
        /// The customer's phone number, in any common format.
        phone: String,
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Delete the customer's record and bookings and redact their threads
    /// (messages, number); decisions and actions stay for audit. Recorded
    /// in the audit log by a keyed reference, never the number.
    Forget {
        phone: String,
        /// Confirm: this cannot be undone.
        #[arg(long)]
        yes: bool,
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum SopCommand {
    /// Upload documents (markdown, text, CSV, JSON; directories are walked):
    /// each becomes draft SOPs in the review queue, never active ones. Needs
    /// the server's API token in CLUBOS_API_TOKEN (or the config's `api_token_env`).
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Server base URL (default: from the config's listen address).
        #[arg(long)]
        url: Option<String>,
        #[arg(long, env = "CLUBOS_CONFIG")]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::CheckConfig { file } => check_config(&file),
        Command::Serve { config } => runtime().and_then(|rt| rt.block_on(serve::run(config))),
        Command::Send { from, text, to, url, config } => {
            runtime().and_then(|rt| rt.block_on(send::run(send::Args { from, text, to, url, config })))
        }
        Command::Load(args) => load::run(args),
        Command::MigrateDb { to, from, password_env, config } => {
            runtime().and_then(|rt| rt.block_on(migrate_db::run(migrate_db::Args { to, from, config, password_env })))
        }
        Command::Sop(SopCommand::Import { paths, url, config }) => {
            runtime().and_then(|rt| rt.block_on(sop::import(sop::Args { paths, url, config })))
        }
        Command::User(UserCommand::Add { email, role, locations, password_stdin, config }) => runtime()
            .and_then(|rt| rt.block_on(user::add(user::AddArgs { email, role, locations, password_stdin, config }))),
        Command::Customer(CustomerCommand::Export { phone, output, config }) => {
            runtime().and_then(|rt| rt.block_on(customer::export(customer::Args { phone, config }, output)))
        }
        Command::Customer(CustomerCommand::Forget { phone, yes, config }) => {
            runtime().and_then(|rt| rt.block_on(customer::forget(customer::Args { phone, config }, yes)))
        }
        Command::Backup { file, config } => backup::backup(&file, config.as_deref()),
        Command::Restore { file, config } => backup::restore(&file, config.as_deref()),
        Command::Bookings(BookingsCommand::Import { file, dry_run, url, config }) => {
            runtime().and_then(|rt| rt.block_on(bookings::import(bookings::Args { file, url, config, dry_run })))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn check_config(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    match clubos_config::check(file) {
        Ok(summary) => {
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The deployment: the file given, or the built-in demo.
pub(crate) fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<clubos_config::Config> {
    match path {
        Some(p) => clubos_config::Config::load(p).map_err(|e| anyhow::anyhow!("{e}")),
        None => Ok(clubos_config::Config::demo()),
    }
}
