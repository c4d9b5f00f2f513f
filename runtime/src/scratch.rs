//! Scratch databases on a PostgreSQL or MySQL server: created for one `verify` run or one
//! test, dropped when done, and recognised afterwards if the process that made one was
//! killed.
//!
//! A scratch database is named `<prefix>_<unix seconds>_<pid>_<random>`, and the session that
//! created it stays open while the database is in use, marked as its owner: on PostgreSQL by
//! `application_name = strata:<database>`, on MySQL by holding the named lock
//! `strata:scratch:<database>` (released by the server when the session ends). A database
//! with a scratch name whose creating session is gone belongs to a run that was killed:
//! [`drop_abandoned`] drops those, and nothing else.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::driver::{Dialect, Driver};
use crate::error::DbError;

/// A fresh scratch database name under `prefix` (`strata_verify`, `strata_test`).
pub fn scratch_name(prefix: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Two names made in the same second by the same process still differ.
    let random = (now.subsec_nanos() ^ std::process::id().rotate_left(16)) & 0xffff;
    format!(
        "{prefix}_{}_{}_{random:04x}",
        now.as_secs(),
        std::process::id()
    )
}

/// Whether `name` is a scratch name under `prefix`.
pub fn is_scratch_name(prefix: &str, name: &str) -> bool {
    let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('_').collect();
    matches!(parts.as_slice(), [secs, pid, random]
        if !secs.is_empty() && secs.bytes().all(|b| b.is_ascii_digit())
            && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())
            && random.len() == 4 && random.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The named lock a MySQL session holds while it owns scratch database `name` (names stay
/// under MySQL's 64 characters: prefixes are short and the rest is at most 37).
fn owner_lock(name: &str) -> String {
    format!("'strata:scratch:{name}'")
}

/// Marks `conn`'s session as the owner of `name`, then creates it empty (PostgreSQL: from
/// `template0`, so nothing added to `template1` shows up), or from `template` (PostgreSQL
/// only: MySQL has no template databases).
pub async fn create_scratch<D: Driver>(
    conn: &mut D,
    name: &str,
    template: Option<&str>,
) -> Result<(), DbError> {
    if conn.dialect() == Dialect::Mysql {
        if template.is_some() {
            return Err(DbError::new("", "MySQL has no template databases"));
        }
        conn.run_batch(&[
            &format!("SELECT GET_LOCK({}, 0)", owner_lock(name)),
            &format!("CREATE DATABASE `{name}`"),
        ])
        .await?;
        return Ok(());
    }
    let template = template.unwrap_or("template0");
    conn.run_batch(&[&format!("SET application_name = 'strata:{name}'")])
        .await?;
    conn.run_batch(&[&format!(
        "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
    )])
    .await?;
    Ok(())
}

/// Drops `name`, disconnecting whoever is still connected to it (PostgreSQL 13+; older
/// servers without `WITH (FORCE)` get a plain `DROP DATABASE`).
pub async fn drop_scratch<D: Driver>(conn: &mut D, name: &str) -> Result<(), DbError> {
    if conn.dialect() == Dialect::Mysql {
        conn.run_batch(&[
            &format!("DROP DATABASE IF EXISTS `{name}`"),
            &format!("SELECT RELEASE_LOCK({})", owner_lock(name)),
        ])
        .await?;
        return Ok(());
    }
    let forced = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    match conn.run_batch(&[&forced]).await {
        // 42601: a server before 13 does not know WITH (FORCE).
        Err(error) if error.code == "42601" => {
            conn.run_batch(&[&format!("DROP DATABASE IF EXISTS \"{name}\"")])
                .await?;
            Ok(())
        }
        outcome => outcome.map(drop),
    }
}

/// Drops every database named like a scratch database under `prefix` whose creating session
/// is gone (a run killed before it could drop it) and that this role may drop. Returns the
/// names dropped; one that cannot be dropped is left, and the rest still are.
pub async fn drop_abandoned<D: Driver>(conn: &mut D, prefix: &str) -> Result<Vec<String>, DbError> {
    let candidates = if conn.dialect() == Dialect::Mysql {
        // Databases this user cannot see are not listed; one it cannot drop stays.
        conn.run_batch(&[&format!(
            "SELECT schema_name FROM information_schema.schemata \
             WHERE schema_name LIKE '{prefix}\\_%' \
               AND IS_USED_LOCK(CONCAT('strata:scratch:', schema_name)) IS NULL \
             ORDER BY 1"
        )])
        .await?
    } else {
        conn.run_batch(&[&format!(
            "SELECT d.datname FROM pg_database d \
             WHERE d.datname LIKE '{prefix}\\_%' \
               AND (pg_has_role(d.datdba, 'USAGE') \
                    OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) \
               AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a \
                               WHERE a.application_name = 'strata:' || d.datname) \
             ORDER BY 1"
        )])
        .await?
    };
    let mut dropped = Vec::new();
    for row in candidates.into_iter().flatten() {
        let Some(Some(name)) = row.into_iter().next() else {
            continue;
        };
        if !is_scratch_name(prefix, &name) {
            continue;
        }
        match drop_scratch(conn, &name).await {
            Ok(()) => dropped.push(name),
            Err(error) => {
                tracing::warn!(database = name, %error, "cannot drop an abandoned scratch database")
            }
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_names_are_recognised_and_nothing_else() {
        let name = scratch_name("strata_verify");
        assert!(is_scratch_name("strata_verify", &name), "{name}");
        assert!(name.len() < 63, "{name}");
        for other in [
            "strata_verify",
            "strata_verify_",
            "strata_verify_1_2",
            "strata_verify_1_2_zzzz",
            "strata_verify_1_2_abcd_e",
            "strata_verify_x_2_abcd",
            "strata_verifyx_1_2_abcd",
            "strata_test_1_2_abcd",
            "production",
        ] {
            assert!(!is_scratch_name("strata_verify", other), "{other}");
        }
    }
}
