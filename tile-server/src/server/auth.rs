//! Who is asking: bearer tokens, each with a name and a role.
//!
//! The configuration lists tokens by the SHA-256 of their text, never the text itself:
//!
//! ```toml
//! [[tokens]]
//! name = "zhang-san"
//! role = "editor"          # or "admin"
//! sha256 = "9f86d0…"       # printed by `riskmap token new zhang-san --role editor`
//! ```
//!
//! A request names its token in `Authorization: Bearer …`. [`Tokens::authorize`] hashes
//! what it was given and compares the hash with every configured one in constant time,
//! so neither the file nor the time taken tells anything about a token; it answers with
//! the token's name and role ([`Caller`], the actor of an edit), or 401 (no token, or an
//! unknown one) or 403 (a role below the one needed: admin > editor). Only the name is
//! ever logged.
//!
//! The older `admin_token` (or `RISKMAP_ADMIN_TOKEN`), kept in plain text, still works
//! as a token named `admin` with the admin role; the configuration warns about it.

use std::fmt;

use axum::http::{HeaderMap, header};
use serde::Deserialize;
// SHA-256 from RustCrypto's `sha2`: small, audited, already used for the run manifest's
// hashes; nothing here needs more than a digest.
use sha2::{Digest, Sha256};

use super::error::AppError;

/// What a token may do; an admin may do everything an editor may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Edits features.
    Editor,
    /// Edits, reloads, and whatever else administers the server.
    Admin,
}

impl Role {
    /// Its name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// From its name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `[[tokens]]` entry of the configuration.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Who holds it: the actor of the changes made with it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// SHA-256 of the token, 64 hex digits.
    pub sha256: String,
}

impl fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The hash is not the token, but a configuration dump has no use for it.
        f.debug_struct("TokenConfig")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The name of the token that `admin_token` stands for.
pub const LEGACY_ADMIN: &str = "admin";

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// Why a request was not authorised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// 401: no `Authorization: Bearer` header.
    #[error("this needs a bearer token (Authorization: Bearer …)")]
    Missing,
    /// 401: a token no entry has.
    #[error("unknown bearer token")]
    Unknown,
    /// 403: a known token whose role is too low.
    #[error("token {name:?} has role {role}; this needs {needed}")]
    Forbidden {
        /// The token's name.
        name: String,
        /// Its role.
        role: Role,
        /// The role needed.
        needed: Role,
    },
    /// 403: the server has no token at all, so nothing that needs one is allowed.
    #[error(
        "no tokens are configured: add [[tokens]] to the configuration (riskmap token new NAME --role ROLE)"
    )]
    NoTokens,
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> AppError {
        match e {
            AuthError::Missing | AuthError::Unknown => AppError::Unauthorized(e.to_string()),
            AuthError::Forbidden { .. } | AuthError::NoTokens => AppError::Forbidden(e.to_string()),
        }
    }
}

/// The tokens a server accepts, by hash; replaced whole when the configuration is read
/// again ([`Tokens::replace`]: a token revoked stops working without a restart).
#[derive(Default)]
pub struct Tokens {
    entries: std::sync::RwLock<Vec<Entry>>,
}

impl Clone for Tokens {
    fn clone(&self) -> Self {
        Tokens {
            entries: std::sync::RwLock::new(self.read().clone()),
        }
    }
}

#[derive(Clone)]
struct Entry {
    name: String,
    role: Role,
    hash: [u8; 32],
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.read().iter().map(|e| (&e.name, e.role)))
            .finish()
    }
}

impl Tokens {
    /// The configured tokens (entries whose hash is not 64 hex digits are left out; the
    /// configuration refuses them when it is read), and the plain `admin_token`, if any,
    /// as the admin token named [`LEGACY_ADMIN`].
    pub fn new(configured: &[TokenConfig], admin_token: Option<&str>) -> Tokens {
        let mut entries: Vec<Entry> = configured
            .iter()
            .filter_map(|t| {
                Some(Entry {
                    name: t.name.clone(),
                    role: t.role,
                    hash: parse_hash(&t.sha256)?,
                })
            })
            .collect();
        if let Some(t) = admin_token.filter(|t| !t.is_empty()) {
            entries.push(Entry {
                name: LEGACY_ADMIN.into(),
                role: Role::Admin,
                hash: hash_token(t),
            });
        }
        Tokens {
            entries: std::sync::RwLock::new(entries),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Entry>> {
        // (a panic while the list was replaced leaves the list as it was)
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes `other`'s tokens in place of these: requests after it are authorised by them.
    pub fn replace(&self, other: Tokens) {
        let new = other
            .entries
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = new;
    }

    /// The names of the tokens accepted.
    pub fn names(&self) -> Vec<String> {
        self.read().iter().map(|e| e.name.clone()).collect()
    }

    /// Whether no token is accepted at all.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Who made a request, from its `Authorization: Bearer` header, if their role is at
    /// least `needed`.
    pub fn authorize(&self, headers: &HeaderMap, needed: Role) -> Result<Caller, AuthError> {
        let entries = self.read();
        if entries.is_empty() {
            return Err(AuthError::NoTokens);
        }
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or(AuthError::Missing)?;
        let hash = hash_token(given);
        // Every entry is compared, in constant time, whichever matches.
        let mut found: Option<&Entry> = None;
        for e in entries.iter() {
            if ct_eq(&e.hash, &hash) {
                found = Some(e);
            }
        }
        let Some(e) = found else {
            tracing::warn!(target: "audit", needed = needed.name(), "request refused: unknown token");
            return Err(AuthError::Unknown);
        };
        if e.role < needed {
            tracing::warn!(
                target: "audit",
                token = %e.name,
                role = e.role.name(),
                needed = needed.name(),
                "request refused: role too low"
            );
            return Err(AuthError::Forbidden {
                name: e.name.clone(),
                role: e.role,
                needed,
            });
        }
        tracing::info!(token = %e.name, role = e.role.name(), "request authorised");
        Ok(Caller {
            name: e.name.clone(),
            role: e.role,
        })
    }
}

/// The token of `Bearer <token>` (the scheme in any case, RFC 7235).
fn bearer(v: &str) -> Option<&str> {
    let (scheme, token) = v.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// SHA-256 of a token's text.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Lower-case hex of a hash.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 64 hex digits (either case) as 32 bytes.
pub fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let s = s.trim().as_bytes();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

/// Equality of two hashes in a time that does not depend on where they differ.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// A fresh token: 32 bytes from the operating system's random source, as 64 hex digits
/// after the prefix `rmk_` (which lets secret scanners and people recognise one).
///
/// The bytes come from `getrandom`, the crate under `rand`'s `OsRng`: the OS generator
/// directly, with no user-space generator to seed or get wrong, and nothing else pulled
/// in (`rand` is in the tree only behind the core's `generate` feature, for the synthetic
/// city's reproducible streams, which is the opposite of what a secret needs).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex(&bytes)))
}

/// What every token made by [`new_token`] starts with.
pub const TOKEN_PREFIX: &str = "rmk_";

/// The configuration entry of a token, to paste into the server's TOML.
pub fn config_entry(name: &str, role: Role, token: &str) -> String {
    format!(
        "[[tokens]]\nname = {}\nrole = \"{}\"\nsha256 = \"{}\"\n",
        toml_string(name),
        role.name(),
        hex(&hash_token(token))
    )
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

    use axum::http::HeaderValue;

    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    fn tokens() -> Tokens {
        // sha256("editor-secret") and sha256("admin-secret"), from `sha256sum`.
        Tokens::new(
            &[
                TokenConfig {
                    name: "zhang-san".into(),
                    role: Role::Editor,
                    sha256: "2ab2be1f6eca11ec9aeb4cda517586091446724556c17637fadb27d0cee08173"
                        .into(),
                },
                TokenConfig {
                    name: "li-si".into(),
                    role: Role::Admin,
                    sha256: hex(&hash_token("admin-secret")),
                },
            ],
            Some("legacy-secret"),
        )
    }

    #[test]
    fn the_hash_is_sha256() {
        // echo -n abc | sha256sum (FIPS 180-2 example).
        assert_eq!(
            hex(&hash_token("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            parse_hash(&hex(&hash_token("abc"))),
            Some(hash_token("abc"))
        );
        assert_eq!(parse_hash("ab"), None);
        assert_eq!(parse_hash(&"g".repeat(64)), None);
    }

    #[test]
    fn roles_decide_401_and_403() {
        let t = tokens();
        let admin = t
            .authorize(&headers("Bearer admin-secret"), Role::Admin)
            .unwrap();
        assert_eq!(
            admin,
            Caller {
                name: "li-si".into(),
                role: Role::Admin
            }
        );
        // An admin may edit.
        assert!(
            t.authorize(&headers("bearer admin-secret"), Role::Editor)
                .is_ok()
        );
        let editor = t
            .authorize(&headers("Bearer editor-secret"), Role::Editor)
            .unwrap();
        assert_eq!(editor.name, "zhang-san");
        assert_eq!(
            t.authorize(&headers("Bearer editor-secret"), Role::Admin),
            Err(AuthError::Forbidden {
                name: "zhang-san".into(),
                role: Role::Editor,
                needed: Role::Admin
            })
        );
        // The plain admin_token is the admin token named "admin".
        let legacy = t
            .authorize(&headers("Bearer legacy-secret"), Role::Admin)
            .unwrap();
        assert_eq!(legacy.name, LEGACY_ADMIN);
        assert_eq!(
            t.authorize(&HeaderMap::new(), Role::Editor),
            Err(AuthError::Missing)
        );
        assert_eq!(
            t.authorize(&headers("Basic admin-secret"), Role::Editor),
            Err(AuthError::Missing)
        );
        assert_eq!(
            t.authorize(&headers("Bearer admin-secre"), Role::Editor),
            Err(AuthError::Unknown)
        );
        let no_tokens = Tokens::new(&[], None);
        assert_eq!(
            no_tokens.authorize(&headers("Bearer x"), Role::Editor),
            Err(AuthError::NoTokens)
        );
        let status = |e: AuthError| crate::server::error::AppError::from(e).status();
        assert_eq!(status(AuthError::Unknown).as_u16(), 401);
        assert_eq!(status(AuthError::Missing).as_u16(), 401);
        assert_eq!(
            status(AuthError::Forbidden {
                name: "x".into(),
                role: Role::Editor,
                needed: Role::Admin
            })
            .as_u16(),
            403
        );
        assert_eq!(status(AuthError::NoTokens).as_u16(), 403);
    }

    #[test]
    fn new_tokens_are_random_and_their_entry_matches() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        let entry = config_entry("wang \"wu\"", Role::Editor, &a);
        #[derive(Deserialize)]
        struct File {
            tokens: Vec<TokenConfig>,
        }
        let f: File = toml::from_str(&entry).unwrap();
        assert_eq!(f.tokens[0].name, "wang \"wu\"");
        let t = Tokens::new(&f.tokens, None);
        let who = t
            .authorize(&headers(&format!("Bearer {a}")), Role::Editor)
            .unwrap();
        assert_eq!(who.name, "wang \"wu\"");
        assert!(
            !entry.contains(&a),
            "the entry holds the hash, not the token"
        );
    }
}
