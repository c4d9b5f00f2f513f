//! Expansion cache. The expansion is a pure function of the directory's files, the
//! environment flags the macro reads and strata's version, while parsing and linting ~1 MB of
//! SQL in an unoptimized proc macro takes seconds. Clean expansions are stored under the
//! target directory under two keys: every file's path, size and modification time (the same
//! freshness test cargo uses; a few stat calls, the edit-rebuild loop), and every file's path
//! and content (a fresh clone, a CI checkout or `git switch` touches files without changing
//! them: reading and hashing 1 MB costs milliseconds, the full expansion seconds).
//!
//! Both keys include `STRATA_MACRO_FINGERPRINT`, which the build script computes from
//! strata's version, the contents of the macro's and core's sources and `rustc -vV`, never
//! from the clock: rebuilding the macro from the same inputs keeps every entry valid.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

const MAX_ENTRIES: usize = 64;

/// The build script, so the tests below can check its fingerprint.
#[cfg(test)]
#[path = "../build.rs"]
#[allow(dead_code)]
mod build_script;

/// `<target>/strata-cache`, where `<target>` is `CARGO_TARGET_DIR` or the `target` directory
/// beside the nearest `Cargo.lock` above the manifest directory. `None` disables caching.
pub fn directory(manifest_dir: &Path) -> Option<PathBuf> {
    if std::env::var_os("STRATA_NO_CACHE").is_some() {
        return None;
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => manifest_dir
            .ancestors()
            .find(|dir| dir.join("Cargo.lock").is_file())?
            .join("target"),
    };
    target.is_dir().then(|| target.join("strata-cache"))
}

/// What identifies a file in a key.
#[derive(Clone, Copy)]
pub enum Key {
    Metadata,
    Content,
}

fn hash_entries(dir: &Path, depth: usize, kind: Key, hasher: &mut DefaultHasher) {
    let Ok(entries) = fs::read_dir(dir) else {
        "unreadable".hash(hasher);
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        path.hash(hasher);
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                if depth > 0 {
                    hash_entries(&path, depth - 1, kind, hasher);
                }
            }
            Ok(meta) => match kind {
                Key::Metadata => {
                    meta.len().hash(hasher);
                    meta.modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .hash(hasher);
                }
                Key::Content => fs::read(&path).ok().hash(hasher),
            },
            Err(_) => "broken".hash(hasher),
        }
    }
}

/// The cache key for one expansion.
pub fn key(root: &Path, inputs: &[&str], kind: Key) -> String {
    let mut hasher = DefaultHasher::new();
    (kind as u8).hash(&mut hasher);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    env!("STRATA_MACRO_FINGERPRINT").hash(&mut hasher);
    inputs.hash(&mut hasher);
    // Migration directories hold files and one level of per-migration directories.
    hash_entries(root, 2, kind, &mut hasher);
    format!("{:016x}", hasher.finish())
}

/// A warning to emit again on a hit: the lint's name and the note the miss rendered. Spans
/// are not stored; a hit gives the warning the macro argument's span, as a miss does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub name: String,
    pub note: String,
}

/// A cached expansion: its warnings (a directory with warnings is as fast to rebuild as a
/// clean one) and the rest of the expansion as text. Expansions with errors are not cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub warnings: Vec<Warning>,
    pub body: String,
}

/// `// strata expansion <key>`, `// warnings <n>`, then per warning `// warning <name>
/// <bytes>` and the note's bytes on the following line(s), then the body.
fn encode(key: &str, entry: &Entry) -> String {
    let mut text = format!(
        "// strata expansion {key}\n// warnings {}\n",
        entry.warnings.len()
    );
    for warning in &entry.warnings {
        text.push_str(&format!(
            "// warning {} {}\n{}\n",
            warning.name,
            warning.note.len(),
            warning.note
        ));
    }
    text.push_str(&entry.body);
    text
}

fn decode(key: &str, text: &str) -> Option<Entry> {
    // The first line repeats the key, so a truncated or foreign file is never replayed.
    let rest = text.strip_prefix(&format!("// strata expansion {key}\n"))?;
    let (count, mut rest) = rest.strip_prefix("// warnings ")?.split_once('\n')?;
    let mut warnings = Vec::new();
    for _ in 0..count.parse::<usize>().ok()? {
        let (line, after) = rest.strip_prefix("// warning ")?.split_once('\n')?;
        let (name, length) = line.rsplit_once(' ')?;
        let length: usize = length.parse().ok()?;
        let note = after.get(..length)?;
        rest = after.get(length..)?.strip_prefix('\n')?;
        warnings.push(Warning {
            name: name.to_string(),
            note: note.to_string(),
        });
    }
    Some(Entry {
        warnings,
        body: rest.to_string(),
    })
}

pub fn load(cache: &Path, key: &str) -> Option<Entry> {
    let text = fs::read_to_string(cache.join(format!("{key}.rs"))).ok()?;
    decode(key, &text)
}

pub fn store(cache: &Path, key: &str, entry: &Entry) {
    if fs::create_dir_all(cache).is_err() {
        return;
    }
    let temporary = cache.join(format!("{key}.{}.tmp", std::process::id()));
    let content = encode(key, entry);
    if fs::write(&temporary, content).is_ok()
        && fs::rename(&temporary, cache.join(format!("{key}.rs"))).is_err()
    {
        let _ = fs::remove_file(&temporary);
    }
    prune(cache);
}

/// Keeps the newest entries only; every edit of a migration creates a new one.
fn prune(cache: &Path) {
    prune_to(cache, MAX_ENTRIES);
}

/// Per-file syntax entries (`<cache>/syntax`, strata-core's): one per version of each file,
/// a few hundred bytes each; kept for many directories of many hundred files.
pub const MAX_SYNTAX_ENTRIES: usize = 20_000;

/// Deletes all but the `keep` newest files in `dir` (subdirectories are left alone).
pub fn prune_to(dir: &Path, keep: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= keep {
        return;
    }
    files.sort();
    for (_, path) in &files[..files.len() - keep] {
        let _ = fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_with_their_warnings_and_reject_truncation() {
        let entry = Entry {
            warnings: vec![
                Warning {
                    name: "untracked_directory".into(),
                    note: "migrations added to `m` will not trigger a rebuild\n --> m\n// warning x 3\n".into(),
                },
                Warning {
                    name: "unknown_directive".into(),
                    note: "é, multi-byte".into(),
                },
            ],
            body: "{ const A: () = (); }".into(),
        };
        let text = encode("k1", &entry);
        assert_eq!(decode("k1", &text), Some(entry.clone()));
        assert_eq!(decode("k2", &text), None, "another key's file");
        for cut in [10, 40, text.len() - entry.body.len() - 2] {
            assert_eq!(decode("k1", &text[..cut]), None, "cut at {cut}");
        }
        let clean = Entry {
            warnings: Vec::new(),
            body: "{}".into(),
        };
        assert_eq!(decode("k", &encode("k", &clean)), Some(clean));
    }

    #[test]
    fn content_keys_survive_a_touch_that_metadata_keys_do_not() {
        let root = std::env::temp_dir().join(format!("strata-cache-key-{}", std::process::id()));
        fs::create_dir_all(root.join("0002_dir")).expect("create");
        fs::write(root.join("0001_a.sql"), "-- UP\nSELECT 1;\n").expect("write");
        fs::write(root.join("0002_dir/up.sql"), "SELECT 2;\n").expect("write");
        let keys = || {
            (
                key(&root, &["x"], Key::Metadata),
                key(&root, &["x"], Key::Content),
            )
        };
        let (metadata, content) = keys();
        assert_ne!(metadata, content);
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(root.join("0002_dir/up.sql"))
            .expect("open")
            .set_modified(later)
            .expect("touch");
        let (touched_metadata, touched_content) = keys();
        assert_ne!(
            touched_metadata, metadata,
            "a touched file misses by metadata"
        );
        assert_eq!(touched_content, content, "and hits by content");
        fs::write(root.join("0002_dir/up.sql"), "SELECT 3;\n").expect("edit");
        assert_ne!(keys().1, content, "an edit misses both");
        assert_ne!(
            key(&root, &["y"], Key::Content),
            key(&root, &["x"], Key::Content),
            "flags are part of the key"
        );
        fs::remove_dir_all(&root).expect("clean up");
    }

    #[test]
    fn the_macro_fingerprint_follows_source_contents_not_time() {
        use build_script::{fingerprint, source_dirs};
        let root =
            std::env::temp_dir().join(format!("strata-macro-fingerprint-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("macros/src/nested")).expect("create");
        fs::create_dir_all(root.join("core/src")).expect("create");
        fs::write(root.join("macros/src/lib.rs"), "// macro\n").expect("write");
        fs::write(root.join("macros/src/nested/a.rs"), "// a\n").expect("write");
        fs::write(
            root.join("core/Cargo.toml"),
            "[package]\nname = \"strata-core\"\n",
        )
        .expect("write");
        fs::write(root.join("core/src/lib.rs"), "// core\n").expect("write");
        let macros = root.join("macros");
        let sources = source_dirs(&macros);
        assert_eq!(
            sources.len(),
            2,
            "the macro's and core's sources: {sources:?}"
        );
        let of = |sources: &[(String, PathBuf)]| fingerprint("0.1.0", "rustc 1.0.0", sources);
        let first = of(&sources);
        assert!(first.starts_with("0.1.0-"), "{first}");
        assert_eq!(of(&sources), first, "the same inputs, the same fingerprint");

        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(root.join("core/src/lib.rs"))
            .expect("open")
            .set_modified(later)
            .expect("touch");
        assert_eq!(of(&sources), first, "a touch changes nothing");

        fs::write(root.join("core/src/lib.rs"), "// core, edited\n").expect("edit");
        assert_ne!(of(&sources), first, "an edit of core changes it");
        fs::write(root.join("core/src/lib.rs"), "// core\n").expect("restore");
        assert_eq!(of(&sources), first, "and undoing the edit restores it");
        fs::write(root.join("macros/src/nested/b.rs"), "").expect("add");
        assert_ne!(of(&sources), first, "a new file changes it");
        fs::remove_file(root.join("macros/src/nested/b.rs")).expect("remove");
        assert_eq!(of(&sources), first);

        assert_ne!(
            fingerprint("0.1.0", "rustc 1.0.1", &sources),
            first,
            "the compiler is part of it"
        );
        assert_ne!(
            fingerprint("0.1.1", "rustc 1.0.0", &sources),
            first,
            "so is the version"
        );

        // A published strata-macros has no strata-core beside it.
        fs::remove_file(root.join("core/Cargo.toml")).expect("remove");
        assert_eq!(source_dirs(&macros).len(), 1);
        fs::remove_dir_all(&root).expect("clean up");
    }
}
