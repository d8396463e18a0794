//! How RiskMap connects to PostgreSQL: the URL's settings, with limits a server that
//! follows a database for months needs where the URL gives none.
//!
//! A connection that a firewall or a broken link drops without a word (a government
//! network's firewall forgets an idle connection after some minutes) never says it is
//! gone: a follower's `LISTEN` would wait on it for ever, `/health` saying all is well
//! while the map stops following the database. TCP keepalives sent after 30 s of quiet,
//! every 10 s, dropping the connection after 3 unanswered, keep a firewall's memory of
//! the connection fresh and find a dead link within about a minute; a connection whose
//! sent data stays unacknowledged for 60 s (`tcp_user_timeout`, Linux) is dropped too;
//! and a connection attempt gives up after 10 s rather than the system's two minutes. A
//! URL that names any of these (`keepalives_idle=…`, `connect_timeout=…`, …) keeps its
//! own; a value of 0 (libpq's "none" or "the system's") is taken as not named, as
//! tokio-postgres reads it, and a `keepalives_idle` of 7200 s (tokio-postgres's default)
//! likewise. Unix sockets have no keepalives (the server is on the same machine).

use std::time::Duration;

use tokio_postgres::Config;

/// The longest wait for a connection to be made.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Quiet before the first keepalive.
pub const KEEPALIVES_IDLE: Duration = Duration::from_secs(30);
/// Between keepalives.
pub const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);
/// Keepalives unanswered before the connection is dropped.
pub const KEEPALIVES_RETRIES: u32 = 3;
/// The longest sent data may stay unacknowledged.
pub const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);

/// The connection settings of `url` (a `postgres://` URL or `key=value` pairs), with the
/// limits above where it names none, and the password of the environment's `PGPASSWORD`
/// (as libpq reads it) where it names none: a URL on a command line is seen by every
/// user of the machine (`ps`, `/proc/PID/cmdline`), the environment only by the process's.
pub fn config(url: &str) -> Result<Config, tokio_postgres::Error> {
    config_with(url, std::env::var("PGPASSWORD").ok())
}

/// [`config`] with the environment's password given.
fn config_with(url: &str, env_password: Option<String>) -> Result<Config, tokio_postgres::Error> {
    let mut c: Config = url.parse()?;
    if c.get_password().is_none()
        && let Some(p) = env_password.filter(|p| !p.is_empty())
    {
        c.password(p);
    }
    if c.get_connect_timeout().is_none() {
        c.connect_timeout(CONNECT_TIMEOUT);
    }
    // tokio-postgres's own default: the URL named none (or named its default).
    if c.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        c.keepalives_idle(KEEPALIVES_IDLE);
    }
    if c.get_keepalives_interval().is_none() {
        c.keepalives_interval(KEEPALIVES_INTERVAL);
    }
    if c.get_keepalives_retries().is_none() {
        c.keepalives_retries(KEEPALIVES_RETRIES);
    }
    if c.get_tcp_user_timeout().is_none() {
        c.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_from_the_environment_where_the_url_names_none() {
        let url = "postgres://riskmap@db.internal/haimen";
        let c = config_with(url, Some("s3cret".into())).unwrap();
        assert_eq!(c.get_password(), Some(&b"s3cret"[..]));
        let c = config_with(
            "postgres://riskmap:own@db.internal/haimen",
            Some("s3cret".into()),
        )
        .unwrap();
        assert_eq!(c.get_password(), Some(&b"own"[..]));
        assert_eq!(
            config_with(url, Some(String::new()))
                .unwrap()
                .get_password(),
            None
        );
        assert_eq!(config_with(url, None).unwrap().get_password(), None);
    }

    #[test]
    fn a_url_without_limits_gets_a_followers_and_keeps_its_own() {
        let c = config("postgres://riskmap@db.internal:5432/haimen").unwrap();
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(10)));
        assert!(c.get_keepalives());
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(30));
        assert_eq!(c.get_keepalives_interval(), Some(Duration::from_secs(10)));
        assert_eq!(c.get_keepalives_retries(), Some(3));
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_secs(60)));
        // Its own, in either form of the URL.
        for url in [
            "postgres://riskmap@db.internal/haimen?connect_timeout=3&keepalives_idle=600&keepalives_interval=5&keepalives_retries=9&tcp_user_timeout=20",
            "host=db.internal user=riskmap dbname=haimen connect_timeout=3 keepalives_idle=600 keepalives_interval=5 keepalives_retries=9 tcp_user_timeout=20",
        ] {
            let c = config(url).unwrap();
            assert_eq!(
                c.get_connect_timeout(),
                Some(&Duration::from_secs(3)),
                "{url}"
            );
            assert_eq!(c.get_keepalives_idle(), Duration::from_secs(600), "{url}");
            assert_eq!(
                c.get_keepalives_interval(),
                Some(Duration::from_secs(5)),
                "{url}"
            );
            assert_eq!(c.get_keepalives_retries(), Some(9), "{url}");
            assert_eq!(
                c.get_tcp_user_timeout(),
                Some(&Duration::from_secs(20)),
                "{url}"
            );
        }
        // A server-side setting in `options` is not the client's.
        let c = config("host=db.internal options='-c tcp_keepalives_idle=60'").unwrap();
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(30));
        // Keepalives turned off stay off.
        assert!(
            !config("host=db.internal keepalives=0")
                .unwrap()
                .get_keepalives()
        );
        assert!(config("postgres://db.internal:notaport/x").is_err());
    }
}
