//! `riskmap db init`: the PostGIS schema; and the one way the commands reach a database.

use std::future::Future;

use riskmap_core::store::pg::{self, Db};
use tokio_postgres::Client;

use super::CliError;
use crate::args::{DbArgs, DbCommand};
use crate::progress::Ui;

/// `riskmap db …`.
pub fn db(ui: &Ui, args: &DbArgs) -> Result<(), CliError> {
    match &args.command {
        DbCommand::Init(a) => with_db(&a.db, |mut client, db| async move {
            let report = pg::init(&mut client, &db, a.srid).await?;
            print_init(ui, &db, &report)
        }),
    }
}

/// What `init` did, or that it did nothing.
pub(super) fn print_init(ui: &Ui, db: &Db, r: &pg::InitReport) -> Result<(), CliError> {
    if ui.is_quiet() {
        return Ok(());
    }
    if r.changed.is_empty() {
        super::out(format_args!(
            "{}: schema version {} (SRID {}) is in place; nothing changed\n",
            db.shown(),
            r.version,
            r.srid
        ))
    } else {
        super::out(format_args!(
            "{}: schema version {} (SRID {}); created:\n",
            db.shown(),
            r.version,
            r.srid
        ))?;
        for c in &r.changed {
            super::out(format_args!("  {c}\n"))?;
        }
        Ok(())
    }
}

/// Connects to `url` and runs `f` on a current-thread runtime (the connection is driven
/// by the same thread while `f` waits on it).
pub(super) fn with_db<T, F, Fut>(url: &str, f: F) -> Result<T, CliError>
where
    F: FnOnce(Client, Db) -> Fut,
    Fut: Future<Output = Result<T, CliError>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the database client: {e}")))?;
    rt.block_on(async {
        let (client, db) = pg::connect(url).await?;
        f(client, db).await
    })
}
