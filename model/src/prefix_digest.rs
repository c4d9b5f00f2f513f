//! The prefix digest of each migration: what the runtime's start-up compares with the top row
//! of the history, computed identically by the macro (at build time) and the CLI.

use sha2::{Digest, Sha256};

use crate::migration::Migration;

/// Gives each migration the digest of `"v1:c1,v2:c2,...,v:c"` up to itself. The runtime stores
/// it in the history row it writes (`chain`), so the top row alone tells a later start-up
/// whether the database holds exactly this list up to there.
pub fn set_prefix_digests(migrations: &mut [Migration]) {
    let mut hasher = Sha256::new();
    for (i, migration) in migrations.iter_mut().enumerate() {
        if i > 0 {
            hasher.update(b",");
        }
        hasher.update(format!("{}:{}", migration.version(), migration.checksum()).as_bytes());
        let digest: String = hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        migration.set_prefix_digest(digest.into());
    }
}
