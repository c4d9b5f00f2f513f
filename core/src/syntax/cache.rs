//! A file's syntax errors kept between builds, by content: parsing is most of what one file
//! costs, so editing one migration of 700 re-parses that one. An entry is named by SHA-256
//! of the fingerprint (the build of strata that parsed: a changed parser never reads an old
//! entry), the dialect and the file's text; it holds the errors with their byte ranges, so a
//! file whose text is unchanged gets the same findings at the same places.

use std::fs;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use strata_model::Dialect;

use super::SyntaxError;

/// Where entries live, and what they are valid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxCache {
    dir: PathBuf,
    fingerprint: String,
}

impl SyntaxCache {
    /// Entries under `dir` (created on first store), valid for builds with `fingerprint`.
    pub fn new(dir: PathBuf, fingerprint: impl Into<String>) -> Self {
        SyntaxCache {
            dir,
            fingerprint: fingerprint.into(),
        }
    }

    /// The errors of `text`, whose sections are described by `sections` (where they start
    /// and end): stored ones, else `check`'s, stored for next time. A cache that cannot be
    /// read or written only costs the parse.
    pub(crate) fn errors(
        &self,
        dialect: Dialect,
        text: &str,
        sections: &str,
        check: impl FnOnce() -> Vec<SyntaxError>,
    ) -> Vec<SyntaxError> {
        let key = self.key(dialect, text, sections);
        let path = self.dir.join(&key);
        if let Some(errors) = fs::read_to_string(&path)
            .ok()
            .and_then(|stored| decode(&key, &stored, text.len()))
        {
            return errors;
        }
        let errors = check();
        // Written aside and renamed, so a reader never sees half an entry.
        let partial = self.dir.join(format!("{key}.{}.tmp", std::process::id()));
        if fs::create_dir_all(&self.dir).is_ok()
            && fs::write(&partial, encode(&key, &errors)).is_ok()
        {
            let _ = fs::rename(&partial, &path);
        }
        errors
    }

    fn key(&self, dialect: Dialect, text: &str, sections: &str) -> String {
        let mut hasher = Sha256::new();
        for part in [self.fingerprint.as_str(), dialect.name(), sections] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher.update(text.as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// `strata syntax <key>`, then per error `<start> <end> <message bytes>` and the message on
/// the following line(s).
fn encode(key: &str, errors: &[SyntaxError]) -> String {
    let mut out = format!("strata syntax {key}\n");
    for error in errors {
        out.push_str(&format!(
            "{} {} {}\n{}\n",
            error.range.start,
            error.range.end,
            error.message.len(),
            error.message
        ));
    }
    out
}

/// The errors of an entry for `key`, each inside a text of `len` bytes; `None` for anything
/// else (another key, a truncated or foreign file).
fn decode(key: &str, stored: &str, len: usize) -> Option<Vec<SyntaxError>> {
    let mut rest = stored.strip_prefix(&format!("strata syntax {key}\n"))?;
    let mut errors = Vec::new();
    while !rest.is_empty() {
        let (line, after) = rest.split_once('\n')?;
        let mut numbers = line.split(' ').map(|n| n.parse::<usize>().ok());
        let (start, end, length) = (numbers.next()??, numbers.next()??, numbers.next()??);
        if start > end || end > len {
            return None;
        }
        let message = after.get(..length)?;
        rest = after.get(length..)?.strip_prefix('\n')?;
        errors.push(SyntaxError {
            range: start..end,
            message: message.to_string(),
        });
    }
    Some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_entry_is_read_back_and_a_changed_text_misses() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = SyntaxCache::new(dir.path().join("syntax"), "build-1");
        let error = SyntaxError {
            range: 3..4,
            message: "expected command,\nfound `CREAT`".to_string(),
        };
        let first = cache.errors(Dialect::Postgres, "-- x\nCREAT", "", || vec![error.clone()]);
        assert_eq!(first, vec![error.clone()]);
        let again = cache.errors(Dialect::Postgres, "-- x\nCREAT", "", || {
            panic!("parsed again")
        });
        assert_eq!(again, vec![error]);
        let mut parsed = false;
        cache.errors(Dialect::Postgres, "-- y\nCREAT", "", || {
            parsed = true;
            Vec::new()
        });
        assert!(parsed, "another text is another entry");
        let other_build = SyntaxCache::new(dir.path().join("syntax"), "build-2");
        let mut parsed = false;
        other_build.errors(Dialect::Postgres, "-- x\nCREAT", "", || {
            parsed = true;
            Vec::new()
        });
        assert!(parsed, "another build of strata never reads the entry");
    }

    #[test]
    fn damaged_entries_are_ignored() {
        let key = "k";
        assert_eq!(decode(key, "strata syntax k\n", 10), Some(Vec::new()));
        for bad in [
            "strata syntax j\n",
            "strata syntax k\n1 2",
            "strata syntax k\n1 2 5\nab",
            "strata syntax k\n5 2 1\na\n",
            "strata syntax k\n1 20 1\na\n",
        ] {
            assert_eq!(decode(key, bad, 10), None, "{bad:?}");
        }
    }
}
