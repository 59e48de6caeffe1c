//! `meldpunt`: the binary. Parses the command line, opens the store and calls the use cases.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use meldpunt_app::accounts::NewUser;
use meldpunt_app::{Actor, App, AppConfig, AppError, SystemClock};
use meldpunt_core::auth::Role;
use meldpunt_core::ids::{BoardId, SchoolId};
use meldpunt_store::{Store, StoreConfig};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

mod dev;

/// Meldpunt — incident management for Dutch school boards (IBP FO domain 6, AVG art. 33/34).
#[derive(Parser, Debug)]
#[command(name = "meldpunt", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

/// Database settings, shared by every command.
#[derive(Args, Debug, Clone)]
struct DbArgs {
    /// Data directory; the embedded SQLite database lives here unless --database-url is given.
    #[arg(
        long,
        env = "MELDPUNT_DATA_DIR",
        default_value = "./meldpunt-data",
        global = true
    )]
    data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Default: SQLite in the data directory.
    #[arg(long, env = "MELDPUNT_DATABASE_URL", global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web UI, the JSON API and the job runner.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage school boards.
    #[command(subcommand)]
    Board(BoardCmd),
    /// Manage schools.
    #[command(subcommand)]
    School(SchoolCmd),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Print the OpenAPI document of the JSON API.
    Openapi,
    /// Development and benchmark tools (`dev seed`: generated data at scale).
    #[command(subcommand)]
    Dev(dev::DevCmd),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MELDPUNT_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// SMTP server for notifications, e.g. smtp://127.0.0.1:25 or smtps://user:pass@mail.example.nl.
    #[arg(long, env = "MELDPUNT_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender address of notifications.
    #[arg(long, env = "MELDPUNT_MAIL_FROM", default_value = "meldpunt@localhost")]
    mail_from: String,
    /// The URL people use to reach meldpunt (for links in e-mails).
    #[arg(long, env = "MELDPUNT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Mark cookies Secure (set this when meldpunt is served over HTTPS).
    #[arg(long, env = "MELDPUNT_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Reports accepted per IP address per minute on the public form.
    #[arg(long, env = "MELDPUNT_REPORT_RATE", default_value_t = 10)]
    report_rate: u32,
    /// Jobs (notifications, SLA checks) this instance runs at the same time. 0 makes a web-only
    /// instance: another instance on the same PostgreSQL database must run the jobs.
    #[arg(long, env = "MELDPUNT_JOB_WORKERS", default_value_t = 3, value_parser = clap::value_parser!(u16).range(0..=16))]
    job_workers: u16,
    /// Run on these CPUs only, e.g. `0` or `0,1` (Linux). On SQLite one CPU is often faster for
    /// writes: each statement hands work between threads, and hand-offs across CPUs cost more
    /// than the work itself on small VMs (docs/performance.md).
    #[arg(long, env = "MELDPUNT_CPUS", value_delimiter = ',')]
    cpus: Vec<usize>,
}

#[derive(Subcommand, Debug)]
enum BoardCmd {
    /// Add a school board.
    Add {
        /// Name of the board.
        #[arg(long)]
        name: String,
    },
    /// List boards.
    List,
}

#[derive(Subcommand, Debug)]
enum SchoolCmd {
    /// Add a school to a board.
    Add {
        /// Name of the school.
        #[arg(long)]
        name: String,
        /// BRIN or BRIN + vestigingsnummer, e.g. 12AB or 12AB00.
        #[arg(long)]
        brin: Option<String>,
        /// Board id; may be left out when there is one board.
        #[arg(long)]
        board: Option<BoardId>,
    },
    /// List the schools of a board.
    List {
        /// Board id; may be left out when there is one board.
        #[arg(long)]
        board: Option<BoardId>,
    },
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Add an account with one role.
    Add {
        /// Login e-mail address.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Role: service-desk, handler, incident-manager, ibp-officer, dpo, board, admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Board id; may be left out when there is one board.
        #[arg(long)]
        board: Option<BoardId>,
        /// Limit the role to one school (school id).
        #[arg(long)]
        school: Option<SchoolId>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCmd {
    /// Create an API token; the token is printed as the last line.
    Create {
        /// Account the token acts as.
        #[arg(long)]
        email: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "api")]
        label: String,
    },
    /// Revoke an API token by its id.
    Revoke {
        /// Token id (printed by `token create`).
        #[arg(long)]
        id: uuid::Uuid,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Verify the hash chain; exits non-zero naming the first bad entry.
    Verify,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::from_code(s).ok_or_else(|| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        format!("unknown role '{s}'; use one of: {}", all.join(", "))
    })
}

/// Default board name on a fresh installation; renamed in the admin pages.
const DEFAULT_BOARD: &str = "Schoolbestuur";

async fn open(db: &DbArgs) -> Result<Store> {
    let store = Store::connect(&StoreConfig {
        database_url: db.database_url.clone(),
        data_dir: db.data_dir.clone(),
        max_connections: 8,
    })
    .await
    .context("cannot open the database")?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| {
                        format!(
                            "{}: {}",
                            f.field,
                            meldpunt_web::api::problem::message_for(f.code)
                        )
                    })
                    .collect();
            anyhow::anyhow!("invalid input — {}", parts.join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MELDPUNT_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Output piped into `head` and the like ends quietly when the reader goes away, as Unix
    // tools do, instead of panicking on a broken pipe. Not for `serve`: its sockets must keep
    // reporting a closed connection as an error.
    if !matches!(cli.command, Command::Serve(_)) {
        restore_sigpipe();
    }
    // CPU affinity before the runtime starts, so every thread (runtime, database) inherits it.
    if let Command::Serve(a) = &cli.command {
        if let Err(e) = pin_to_cpus(&a.cpus) {
            eprintln!("error: --cpus: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Restores the default action of SIGPIPE (the Rust runtime ignores it).
#[cfg(target_os = "linux")]
fn restore_sigpipe() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: installs the default disposition, no handler code; called before any other
    // thread exists.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

#[cfg(not(target_os = "linux"))]
fn restore_sigpipe() {}

/// Restricts this thread (and the threads it starts later) to `cpus`; nothing when empty.
#[cfg(target_os = "linux")]
fn pin_to_cpus(cpus: &[usize]) -> Result<()> {
    use nix::sched::{sched_setaffinity, CpuSet};
    if cpus.is_empty() {
        return Ok(());
    }
    let mut set = CpuSet::new();
    for &c in cpus {
        set.set(c)
            .map_err(|_| anyhow::anyhow!("CPU {c} is out of range"))?;
    }
    sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
        .with_context(|| format!("cannot run on CPUs {cpus:?}"))
}

#[cfg(not(target_os = "linux"))]
fn pin_to_cpus(cpus: &[usize]) -> Result<()> {
    if cpus.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("only supported on Linux")
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    let ok = std::process::ExitCode::SUCCESS;
    if let Command::Openapi = cli.command {
        println!("{}", meldpunt_web::openapi_json());
        return Ok(ok);
    }
    let store = open(&cli.db).await?;
    let config = match &cli.command {
        Command::Serve(a) => AppConfig {
            smtp_url: a.smtp_url.clone().filter(|s| !s.trim().is_empty()),
            mail_from: a.mail_from.clone(),
            public_base_url: a
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", a.listen))
                .trim_end_matches('/')
                .to_string(),
        },
        _ => AppConfig::default(),
    };
    let app = App::new(store.clone(), Arc::new(SystemClock), config);
    app.ensure_default_board(DEFAULT_BOARD)
        .await
        .map_err(explain)?;
    match cli.command {
        Command::Serve(a) => serve(app, a).await?,
        Command::Migrate => println!("database is up to date ({})", store.backend().name()),
        Command::Board(BoardCmd::Add { name }) => {
            let id = app
                .create_board(&Actor::Cli, &name)
                .await
                .map_err(explain)?;
            println!("{id}");
        }
        Command::Board(BoardCmd::List) => {
            for b in store.boards().await? {
                println!("{}\t{}", b.id, b.name);
            }
        }
        Command::School(SchoolCmd::Add { name, brin, board }) => {
            let board = app.resolve_board(board).await.map_err(explain)?;
            let id = app
                .add_school(&Actor::Cli, board, &name, brin.as_deref())
                .await
                .map_err(explain)?;
            println!("{id}");
        }
        Command::School(SchoolCmd::List { board }) => {
            let board = app.resolve_board(board).await.map_err(explain)?;
            for s in store.schools(board).await? {
                println!("{}\t{}\t{}", s.id, s.brin.unwrap_or_default(), s.name);
            }
        }
        Command::User(UserCmd::Add {
            email,
            name,
            role,
            board,
            school,
            password_stdin,
        }) => {
            if !password_stdin {
                bail!("give the password on standard input with --password-stdin, e.g.: printf '%s\\n' \"$PASSWORD\" | meldpunt user add … --password-stdin");
            }
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("cannot read the password from standard input")?;
            let password = input.lines().next().unwrap_or("").to_string();
            let id = app
                .add_user(
                    &Actor::Cli,
                    NewUser {
                        email,
                        name,
                        password,
                        role,
                        board,
                        school,
                    },
                )
                .await
                .map_err(explain)?;
            println!("{id}");
        }
        Command::Token(TokenCmd::Create { email, label }) => {
            let (id, token) = app
                .create_api_token(&Actor::Cli, &email, &label)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => anyhow::anyhow!("no account with e-mail {email}"),
                    other => explain(other),
                })?;
            println!("token id: {id}");
            println!("{token}");
        }
        Command::Token(TokenCmd::Revoke { id }) => {
            app.revoke_api_token(&Actor::Cli, id)
                .await
                .map_err(explain)?;
            println!("revoked {id}");
        }
        Command::Audit(AuditCmd::Verify) => match store.verify_audit().await? {
            Ok(report) => println!("audit trail intact: {} entries verified", report.entries),
            Err(b) => {
                eprintln!("audit trail BROKEN at entry {}: {b}", b.seq());
                return Ok(std::process::ExitCode::from(2));
            }
        },
        Command::Dev(cmd) => dev::run(&app, cmd).await?,
        Command::Openapi => unreachable!("handled above"),
    }
    store.close().await;
    Ok(ok)
}

async fn serve(app: App, a: ServeArgs) -> Result<()> {
    if app.store.user_count().await? == 0 {
        eprintln!(
            "\nNo accounts yet / Nog geen accounts. Create the first administrator with:\n\n    printf '%s\\n' 'a-long-password' | meldpunt user add --email you@school.nl --name 'Your Name' --role admin --password-stdin\n\nand a service-desk account with --role service-desk. The public report form is at http://{}/melden\n",
            a.listen
        );
    }
    if app.config.smtp_url.is_none() {
        tracing::warn!("MELDPUNT_SMTP_URL is not set: notifications are recorded as not sent");
    }
    let web = meldpunt_web::router(
        app.clone(),
        meldpunt_web::WebConfig {
            secure_cookies: a.secure_cookies,
            report_rate_per_minute: a.report_rate,
        },
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = format!(
        "{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    // Several runner loops, so slow deliveries (SMTP, webhooks) do not queue behind each other;
    // each claims its own jobs with a lease.
    let runners: Vec<_> = (0..a.job_workers)
        .map(|k| {
            let (app, stop_rx, worker) = (app.clone(), stop_rx.clone(), format!("{worker}-{k}"));
            tokio::spawn(async move {
                app.run_jobs(worker, std::time::Duration::from_millis(500), stop_rx)
                    .await
            })
        })
        .collect();
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    tracing::info!(
        listen = %a.listen,
        backend = app.store.backend().name(),
        "meldpunt is running: open http://{}/melden",
        a.listen
    );
    axum::serve(
        listener,
        web.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("install SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    })
    .await?;
    let _ = stop_tx.send(true);
    for runner in runners {
        let _ = runner.await;
    }
    app.store.close().await;
    Ok(())
}
