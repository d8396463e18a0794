//! `riskmap token new NAME --role ROLE`: a fresh bearer token and its configuration entry.

use crate::args::{TokenArgs, TokenCommand};
use crate::server::auth::{Role, config_entry, new_token};

use super::CliError;

/// Prints a new token once (it is not kept anywhere) and the `[[tokens]]` entry that
/// holds its hash, for the server configuration.
pub fn token(args: &TokenArgs) -> Result<(), CliError> {
    match &args.command {
        TokenCommand::New { name, role } => {
            if name.trim().is_empty() {
                return Err(CliError::Usage("the token's name is empty".into()));
            }
            let role = Role::parse(role).ok_or_else(|| {
                CliError::Usage(format!("unknown role {role:?}: editor or admin"))
            })?;
            let token = new_token()
                .map_err(|e| CliError::Usage(format!("the system's random source failed: {e}")))?;
            super::out(format_args!(
                "token for {name} ({role}), shown this once; give it to its holder:\n\n    \
                 {token}\n\nadd to the server configuration (it keeps only the hash):\n\n{}",
                config_entry(name, role, &token)
            ))
        }
    }
}
