//! Starting and stopping the stack: the database (the server named by
//! `DATABASE_URL`, or an embedded cluster in the data directory), the two
//! service roles and schemas, generated tokens for unset token variables,
//! then both services in this process until Ctrl-C or SIGTERM. Services stop
//! (draining in-flight requests) before the database does.

use std::path::{Path, PathBuf};

use platform::{
    config::{self, ConfigError, Env, ProcessEnv},
    db::{self, DatabaseUrl, ServiceRole},
    embedded::{Cluster, ClusterOptions, EmbeddedError, ServerPrograms, SUPERUSER},
    server,
};
use sqlx::{Connection, PgConnection};
use tokio::{net::TcpListener, sync::watch};

use crate::secrets::Secrets;

/// The database the embedded cluster serves.
pub const DATABASE: &str = "ticketing";
const RESELLER_ROLE: &str = "ticketing_reseller";
const ADMIN_ROLE: &str = "ticketing_admin";
/// The first owner's e-mail when `ADMIN_BOOTSTRAP_EMAIL` is unset.
pub const DEFAULT_OWNER_EMAIL: &str = "owner@ticketing.example";
/// Token variables the launcher fills in when they are unset.
const GENERATED_TOKENS: [&str; 3] = ["INGEST_TOKENS", "CORE_TOKENS", "INTERNAL_TOKEN"];

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Database(String),
    #[error("cannot listen on {addr}: {source} (set {variable} to another address)")]
    Bind {
        addr: std::net::SocketAddr,
        variable: &'static str,
        source: std::io::Error,
    },
    #[error("{service} stopped unexpectedly: {reason}")]
    Service {
        service: &'static str,
        reason: String,
    },
}

fn roles() -> [ServiceRole; 2] {
    [
        ServiceRole {
            role: RESELLER_ROLE.into(),
            schema: reseller_service::SCHEMA,
        },
        ServiceRole {
            role: ADMIN_ROLE.into(),
            schema: admin_service::SCHEMA,
        },
    ]
}

/// The role and schema set-up for operators of a managed PostgreSQL: the very
/// statements the launcher runs.
pub fn setup_sql_script() -> String {
    let mut script = String::from(
        "-- Run as an administrator on the ticketing database, then give each role a\n\
         -- password and point each service's DATABASE_URL at its own role:\n\
         --   reseller-service: postgres://ticketing_reseller:...@host/ticketing\n\
         --   admin-service:    postgres://ticketing_admin:...@host/ticketing\n\
         -- Each service applies its own migrations at start-up.\n",
    );
    for role in roles() {
        for statement in db::setup_sql(&role) {
            script.push_str(&statement);
            script.push_str(";\n");
        }
        script.push_str(&format!("-- ALTER ROLE {} PASSWORD '...';\n", role.role));
    }
    script
}

/// The environment, with the launcher's values in front of it.
struct Overlay<'a> {
    values: &'a [(&'static str, String)],
}

impl Env for Overlay<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| ProcessEnv.get(name))
    }
}

/// Where the services' databases are, and the embedded cluster if we run one.
struct Databases {
    reseller: DatabaseUrl,
    admin: DatabaseUrl,
    description: String,
    cluster: Option<Cluster>,
}

/// Runs the stack until Ctrl-C or SIGTERM; with `demo`, fills it with the
/// demo data once both services are ready.
pub async fn run(data_dir: PathBuf, demo: bool) -> Result<(), LaunchError> {
    let data_dir = prepare_data_dir(&data_dir)?;
    let mut secrets = Secrets::load(&data_dir).map_err(|source| LaunchError::DataDir {
        path: data_dir.clone(),
        source,
    })?;

    let mut shared: Vec<(&'static str, String)> = Vec::new();
    for variable in GENERATED_TOKENS {
        if config::optional(&ProcessEnv, variable).is_none() {
            let token =
                secrets
                    .get_or_generate(variable)
                    .map_err(|source| LaunchError::DataDir {
                        path: data_dir.clone(),
                        source,
                    })?;
            shared.push((variable, token));
        }
    }

    // A first owner to log in with, unless the operator names one: its
    // password is generated once and kept with the tokens.
    if config::optional(&ProcessEnv, "ADMIN_BOOTSTRAP_EMAIL").is_none() {
        let password = secrets
            .get_or_generate("ADMIN_BOOTSTRAP_PASSWORD")
            .map_err(|source| LaunchError::DataDir {
                path: data_dir.clone(),
                source,
            })?;
        shared.push(("ADMIN_BOOTSTRAP_EMAIL", DEFAULT_OWNER_EMAIL.to_owned()));
        shared.push(("ADMIN_BOOTSTRAP_PASSWORD", password));
    }

    let mut databases = match DatabaseUrl::from_env(&ProcessEnv, "DATABASE_URL")? {
        Some(url) => external(url, &mut secrets, &data_dir).await?,
        None => embedded(&data_dir).await?,
    };

    let with_database = |url: &DatabaseUrl| {
        let mut values = shared.clone();
        values.push(("DATABASE_URL", url.to_url_string()));
        values
    };
    let reseller_env = with_database(&databases.reseller);
    let admin_env = with_database(&databases.admin);
    let reseller_config = reseller_service::Config::from_env(&Overlay {
        values: &reseller_env,
    })?;
    let mut admin_config = admin_service::Config::from_env(&Overlay { values: &admin_env })?;

    let reseller_listener = bind(reseller_config.http_addr, "RESELLER_HTTP_ADDR").await?;
    let admin_listener = bind(admin_config.http_addr, "ADMIN_HTTP_ADDR").await?;
    if config::optional(&ProcessEnv, "RESELLER_SERVICE_URL").is_none() {
        // admin-service reaches the reseller-service of this stack, wherever
        // it listens.
        if let Ok(addr) = reseller_listener.local_addr() {
            admin_config.reseller_service_url = format!("http://{addr}");
        }
    }
    let demo_stack = demo.then(|| {
        let env = Overlay { values: &admin_env };
        let first = |raw: Option<String>| {
            raw.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .find(|t| !t.is_empty())
                .unwrap_or_default()
                .to_owned()
        };
        let url = |l: &TcpListener| {
            l.local_addr()
                .map(|a| format!("http://{a}"))
                .unwrap_or_default()
        };
        crate::demo::Stack {
            reseller_url: url(&reseller_listener),
            admin_url: url(&admin_listener),
            ingest_token: first(env.get("INGEST_TOKENS")),
            owner_email: env.get("ADMIN_BOOTSTRAP_EMAIL").unwrap_or_default(),
            owner_password: env.get("ADMIN_BOOTSTRAP_PASSWORD").unwrap_or_default(),
        }
    });
    print_banner(
        &reseller_listener,
        &admin_listener,
        &databases.description,
        &shared,
        &data_dir,
    );

    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mut reseller = tokio::spawn(reseller_service::run(
        reseller_config,
        reseller_listener,
        stopped(stop_rx.clone()),
    ));
    let mut admin = tokio::spawn(admin_service::run(
        admin_config,
        admin_listener,
        stopped(stop_rx),
    ));

    let demo = demo_stack.map(|stack| {
        let data_dir = data_dir.clone();
        tokio::spawn(async move {
            if let Err(error) = crate::demo::run(stack, &data_dir).await {
                tracing::error!(%error, "the demo could not be seeded");
            }
        })
    });

    let failure = tokio::select! {
        () = server::shutdown_signal() => None,
        result = &mut reseller => Some(("reseller-service", result)),
        result = &mut admin => Some(("admin-service", result)),
    };
    if let Some(demo) = demo {
        demo.abort();
    }
    let _ = stop_tx.send(true);
    let outcome = match failure {
        None => {
            let _ = reseller.await;
            let _ = admin.await;
            Ok(())
        }
        Some((service, result)) => {
            // Stop the one still running before reporting.
            if !reseller.is_finished() {
                let _ = reseller.await;
            }
            if !admin.is_finished() {
                let _ = admin.await;
            }
            let reason = match result {
                Ok(Ok(())) => "it exited".to_owned(),
                Ok(Err(error)) => error.to_string(),
                Err(error) => error.to_string(),
            };
            Err(LaunchError::Service { service, reason })
        }
    };

    if let Some(mut cluster) = databases.cluster.take() {
        tracing::info!("stopping the embedded PostgreSQL");
        tokio::task::spawn_blocking(move || cluster.stop())
            .await
            .map_err(|e| LaunchError::Database(e.to_string()))??;
    }
    tracing::info!("stack stopped");
    outcome
}

fn prepare_data_dir(dir: &Path) -> Result<PathBuf, LaunchError> {
    let error = |source| LaunchError::DataDir {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(error)?;
    std::fs::canonicalize(dir).map_err(error)
}

async fn bind(
    addr: std::net::SocketAddr,
    variable: &'static str,
) -> Result<TcpListener, LaunchError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| LaunchError::Bind {
            addr,
            variable,
            source,
        })
}

/// An embedded cluster in `<data dir>/postgres`, created on first use.
async fn embedded(data_dir: &Path) -> Result<Databases, LaunchError> {
    let programs = ServerPrograms::locate()?;
    let options = ClusterOptions::new(data_dir.join("postgres"));
    tracing::info!(dir = %options.dir.display(), "starting the embedded PostgreSQL");
    let cluster = tokio::task::spawn_blocking(move || Cluster::start(&programs, &options))
        .await
        .map_err(|e| LaunchError::Database(e.to_string()))??;

    let mut conn = PgConnection::connect_with(&cluster.connect_options(SUPERUSER, "postgres"))
        .await
        .map_err(database_error)?;
    db::create_database_if_missing(&mut conn, DATABASE, None)
        .await
        .map_err(database_error)?;
    let mut conn = PgConnection::connect_with(&cluster.connect_options(SUPERUSER, DATABASE))
        .await
        .map_err(database_error)?;
    db::provision(&mut conn, &roles())
        .await
        .map_err(database_error)?;

    let description = format!(
        "embedded, data in {} (psql -h {} -p {} -U {SUPERUSER} {DATABASE})",
        data_dir.join("postgres").display(),
        cluster.socket_dir().display(),
        cluster.port(),
    );
    Ok(Databases {
        reseller: DatabaseUrl(cluster.connect_options(RESELLER_ROLE, DATABASE)),
        admin: DatabaseUrl(cluster.connect_options(ADMIN_ROLE, DATABASE)),
        description,
        cluster: Some(cluster),
    })
}

/// The server of `DATABASE_URL`, whose user must be able to create roles and
/// schemas; each service role gets a generated password kept with the tokens.
async fn external(
    url: DatabaseUrl,
    secrets: &mut Secrets,
    data_dir: &Path,
) -> Result<Databases, LaunchError> {
    let mut conn = PgConnection::connect_with(&url.0)
        .await
        .map_err(|e| LaunchError::Database(format!("cannot connect to DATABASE_URL: {e}")))?;
    db::provision(&mut conn, &roles()).await.map_err(|e| {
        LaunchError::Database(format!(
            "cannot create the service roles and schemas as the DATABASE_URL user ({e}); \
             use a user that may create roles, or have an administrator run `stack setup-sql` \
             and start the two service binaries with their own DATABASE_URL"
        ))
    })?;
    let mut urls = Vec::new();
    for role in [RESELLER_ROLE, ADMIN_ROLE] {
        let password = secrets
            .get_or_generate(&format!("{}_PASSWORD", role.to_uppercase()))
            .map_err(|source| LaunchError::DataDir {
                path: data_dir.to_path_buf(),
                source,
            })?;
        sqlx::raw_sql(&db::set_password_sql(role, &password))
            .execute(&mut conn)
            .await
            .map_err(database_error)?;
        urls.push(DatabaseUrl(
            url.0.clone().username(role).password(&password),
        ));
    }
    let admin = urls
        .pop()
        .ok_or_else(|| LaunchError::Database("no admin role".into()))?;
    let reseller = urls
        .pop()
        .ok_or_else(|| LaunchError::Database("no reseller role".into()))?;
    Ok(Databases {
        description: format!("{:?} (DATABASE_URL)", url),
        reseller,
        admin,
        cluster: None,
    })
}

fn database_error(error: sqlx::Error) -> LaunchError {
    LaunchError::Database(format!("setting up the database failed: {error}"))
}

#[allow(clippy::print_stdout)] // the banner is the launcher's output for a person
fn print_banner(
    reseller: &TcpListener,
    admin: &TcpListener,
    database: &str,
    generated: &[(&'static str, String)],
    data_dir: &Path,
) {
    let addr = |l: &TcpListener| {
        l.local_addr()
            .map(|a| format!("http://{a}"))
            .unwrap_or_else(|_| "?".into())
    };
    println!("ticketing stack starting");
    println!("  reseller-service  {}", addr(reseller));
    println!("  admin-service     {}", addr(admin));
    println!("  PostgreSQL        {database}");
    if !generated.is_empty() {
        println!(
            "generated tokens (kept in {}):",
            data_dir.join("secrets.env").display()
        );
        for (variable, token) in generated {
            println!("  {variable}={token}");
        }
    }
    println!("both services answer GET /readyz with 200 once migrated; Ctrl-C stops everything");
}
