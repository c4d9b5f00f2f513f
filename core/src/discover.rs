//! Reading a migrations directory: which entries are migrations, in which scheme, and the
//! text, tokens and sections of every file. Everything found wrong becomes a diagnostic;
//! nothing is skipped silently except hidden entries and files that are not `.sql`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::diagnostic::Diagnostic;
use crate::lexer::{self, LexError, Token};
use crate::lint_registry::Lint;
use crate::naming::{self, BadName, ParsedName, Role, Scheme};
use crate::sections::{self, FileSections};
use crate::toml_keys;
use strata_model::position::{LineIndex, line_column};
use strata_model::statements::{self, StatementRange};

/// A file that was read, lexed and split into sections.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the manifest directory, `/`-separated.
    pub path: String,
    pub text: String,
    /// Whether the file began with a UTF-8 BOM, which `text` no longer holds.
    pub bom: bool,
    pub tokens: Vec<Token>,
    pub lex_error: Option<LexError>,
    pub sections: FileSections,
    /// Statement boundaries of the UP and DOWN sections, computed once.
    pub up_statements: Vec<StatementRange>,
    pub down_statements: Vec<StatementRange>,
    /// Each token's text uppercased when it is a word, made on first use.
    upper_words: std::sync::OnceLock<Vec<Option<Box<str>>>>,
}

impl SourceFile {
    /// Each token's text uppercased when it is a word (`None` for anything else), parallel
    /// to `tokens` and made once: the safety lints compare keywords in every statement.
    pub fn upper_words(&self) -> &[Option<Box<str>>] {
        self.upper_words.get_or_init(|| {
            self.tokens
                .iter()
                .map(|t| {
                    (t.kind == crate::lexer::TokenKind::Word)
                        .then(|| self.text[t.start..t.end].to_ascii_uppercase().into())
                })
                .collect()
        })
    }
}

/// One migration as found on disk, before lints decide whether it is acceptable.
#[derive(Debug)]
pub struct Candidate {
    pub name: ParsedName,
    /// The file or directory its name was read from.
    pub entry: String,
    /// Index into [`Directory::files`] of the file holding the UP SQL (`None` for an orphan DOWN).
    pub main: Option<usize>,
    /// Index of a separate DOWN file (paired `.down.sql`, Flyway `U`, `down.sql`).
    pub down_file: Option<usize>,
    /// `run_in_transaction = false` in a directory migration's `metadata.toml`.
    pub metadata_no_transaction: bool,
}

impl Candidate {
    /// All files of this migration.
    pub fn files(&self) -> impl Iterator<Item = usize> {
        self.main.into_iter().chain(self.down_file)
    }

    /// Whether it runs in a transaction: not when any of its files says
    /// `-- strata:no-transaction` (or goose's `NO TRANSACTION`) or its `metadata.toml` says
    /// `run_in_transaction = false`.
    pub fn transactional(&self, directory: &Directory) -> bool {
        !(self.metadata_no_transaction
            || self
                .files()
                .any(|i| directory.file(i).sections.directives.no_transaction))
    }
}

/// An entry whose name matches no scheme.
#[derive(Debug)]
pub struct BadEntry {
    pub path: String,
    pub problem: BadName,
}

/// Everything discovery learned about one directory.
#[derive(Debug, Default)]
pub struct Directory {
    /// The directory as written in the macro call or on the command line.
    pub root: String,
    pub config: Config,
    pub files: Vec<SourceFile>,
    pub candidates: Vec<Candidate>,
    pub bad_entries: Vec<BadEntry>,
    /// The most common scheme among the candidates.
    pub scheme: Option<Scheme>,
    /// Every file whose contents shape the result, absolute, so the macro can track it.
    pub tracked: Vec<PathBuf>,
    /// Texts of the TOML files read (`strata.toml`, `metadata.toml`), for snippets.
    pub toml_sources: Vec<(String, String)>,
    /// Where syntax errors are kept between builds, by file content (the macro's).
    pub syntax_cache: Option<crate::syntax::SyntaxCache>,
    /// Files read and lexed ahead, on every core, by absolute path; taken as they are added.
    prefetched: std::collections::HashMap<PathBuf, Lexed>,
}

/// A file read and lexed.
#[derive(Debug)]
struct Lexed {
    text: String,
    bom: bool,
    tokens: Vec<Token>,
    lex_error: Option<LexError>,
}

/// Below this many files, reading them on one thread is quicker than starting others.
const PREFETCH_FILES: usize = 256;

/// Reads and lexes `paths` on every core; a file that cannot be read (or is not UTF-8) is
/// left out, for [`load_file`] to report when it gets there.
fn prefetch(
    paths: &[PathBuf],
    dialect: strata_model::dialect::Dialect,
) -> std::collections::HashMap<PathBuf, Lexed> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if paths.len() < PREFETCH_FILES || threads < 2 {
        return std::collections::HashMap::new();
    }
    let chunk = paths.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|path| {
                            let (text, bom) = read_text_and_bom(path, "", &mut Vec::new())?;
                            let (tokens, lex_error) = lexer::lex(dialect, &text);
                            let lexed = Lexed {
                                text,
                                bom,
                                tokens,
                                lex_error,
                            };
                            Some((path.clone(), lexed))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_default())
            .collect()
    })
}

impl Directory {
    pub fn file(&self, index: usize) -> &SourceFile {
        &self.files[index]
    }
}

fn join(rel_dir: &str, name: &str) -> String {
    if rel_dir.is_empty() || rel_dir == "." {
        name.to_string()
    } else {
        format!(
            "{}/{name}",
            rel_dir.trim_end_matches(['/', '\\']).replace('\\', "/")
        )
    }
}

/// Reads a file as UTF-8, without a BOM.
fn read_text(absolute: &Path, rel: &str, out: &mut Vec<Diagnostic>) -> Option<String> {
    read_text_and_bom(absolute, rel, out).map(|(text, _)| text)
}

/// Reads a file as UTF-8 and says whether a BOM was removed from its start.
fn read_text_and_bom(
    absolute: &Path,
    rel: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<(String, bool)> {
    let bytes = match fs::read(absolute) {
        Ok(bytes) => bytes,
        Err(e) => {
            out.push(Diagnostic::new(
                Lint::UnreadableFile,
                rel,
                format!("cannot read `{rel}`: {e}"),
            ));
            return None;
        }
    };
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let bytes = if bom { bytes[3..].to_vec() } else { bytes };
    match String::from_utf8(bytes) {
        Ok(text) => Some((text, bom)),
        Err(e) => {
            let valid_up_to = e.utf8_error().valid_up_to();
            // Everything before the first invalid byte is valid UTF-8 by definition.
            let valid = std::str::from_utf8(&e.as_bytes()[..valid_up_to]).unwrap_or_default();
            let (line, column) = line_column(valid, valid.len());
            out.push(
                Diagnostic::new(
                    Lint::UnreadableFile,
                    rel,
                    format!(
                        "`{rel}` is not valid UTF-8 (invalid byte at line {line}, column {column})"
                    ),
                )
                .help("save the file as UTF-8"),
            );
            None
        }
    }
}

/// diesel's `metadata.toml`: `Some(false)` when it says `run_in_transaction = false`.
fn run_in_transaction(text: &str) -> Result<Option<bool>, Vec<toml_keys::Problem>> {
    let document = toml_keys::parse(text).map_err(|problem| vec![problem])?;
    let mut problems = Vec::new();
    let mut setting = None;
    for (_, value) in toml_keys::entries(document.get_ref(), &["run_in_transaction"], &mut problems)
    {
        match toml_keys::boolean(value) {
            Ok(b) => setting = Some(b),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(setting)
    } else {
        Err(problems)
    }
}

/// Discovers `rel_dir` (relative to `base`, the manifest directory).
pub fn discover(base: &Path, rel_dir: &str, out: &mut Vec<Diagnostic>) -> Directory {
    let root_abs = base.join(rel_dir);
    let mut dir = Directory {
        root: rel_dir.to_string(),
        ..Directory::default()
    };

    let config_abs = root_abs.join(config::FILE_NAME);
    if config_abs.exists() {
        let rel = join(rel_dir, config::FILE_NAME);
        dir.tracked.push(config_abs.clone());
        if let Some(text) = read_text(&config_abs, &rel, out) {
            let (config, problems) = config::parse(&rel, &text);
            dir.config = config;
            out.extend(problems);
            dir.toml_sources.push((rel, text));
        }
    }

    let entries = match list(&root_abs) {
        Ok(entries) => entries,
        Err(e) => {
            out.push(
                Diagnostic::new(
                    Lint::UnreadableFile,
                    rel_dir,
                    format!("cannot read migrations directory `{rel_dir}`: {e}"),
                )
                .help(format!(
                    "the path is resolved relative to the crate's manifest directory, here `{}`",
                    base.display()
                )),
            );
            return dir;
        }
    };
    // The files the loop below may load: each `.sql` entry, and a directory's up.sql and
    // down.sql.
    let likely: Vec<PathBuf> = entries
        .iter()
        .flat_map(|(name, absolute)| {
            if name.ends_with(".sql") {
                vec![absolute.clone()]
            } else {
                vec![absolute.join("up.sql"), absolute.join("down.sql")]
            }
        })
        .collect();
    dir.prefetched = prefetch(&likely, dir.config.dialect);
    for (name, absolute) in entries {
        let rel = join(rel_dir, &name);
        let metadata = match fs::metadata(&absolute) {
            Ok(metadata) => metadata,
            Err(e) => {
                out.push(Diagnostic::new(
                    Lint::UnreadableFile,
                    &rel,
                    format!("cannot read `{rel}`: {e}"),
                ));
                continue;
            }
        };
        if metadata.is_dir() {
            discover_subdirectory(&mut dir, &name, &absolute, &rel, out);
        } else if name.ends_with(".sql") {
            match naming::parse_file_name(&name) {
                Ok(parsed) => add_file(&mut dir, parsed, &absolute, &rel, out),
                Err(problem) => dir.bad_entries.push(BadEntry { path: rel, problem }),
            }
        } else if name.to_ascii_lowercase().ends_with(".sql") {
            dir.bad_entries.push(BadEntry {
                path: rel,
                problem: BadName {
                    message: format!("`{name}` has an upper-case extension"),
                    help: "rename it to end in lower-case `.sql`".to_string(),
                },
            });
        }
    }
    dir.scheme = naming::dominant_scheme(dir.candidates.iter().map(|c| c.name.scheme));
    dir.prefetched.clear();
    dir
}

/// Lists a directory's non-hidden entries, sorted by name. Names that are not UTF-8 are
/// reported as an error of the listing itself.
fn list(path: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name().into_string().map_err(|raw| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("entry name {raw:?} is not UTF-8"),
            )
        })?;
        if !name.starts_with('.') {
            entries.push((name, entry.path()));
        }
    }
    entries.sort();
    Ok(entries)
}

fn load_file(
    dir: &mut Directory,
    absolute: &Path,
    rel: &str,
    role: Role,
    out: &mut Vec<Diagnostic>,
) -> Option<usize> {
    dir.tracked.push(absolute.to_path_buf());
    let Lexed {
        text,
        bom,
        tokens,
        lex_error,
    } = match dir.prefetched.remove(absolute) {
        Some(lexed) => lexed,
        None => {
            let (text, bom) = read_text_and_bom(absolute, rel, out)?;
            let (tokens, lex_error) = lexer::lex(dir.config.dialect, &text);
            Lexed {
                text,
                bom,
                tokens,
                lex_error,
            }
        }
    };
    let sections = sections::split(rel, &text, &tokens, role);
    let split = |range: &Option<std::ops::Range<usize>>| {
        range.as_ref().map_or_else(Vec::new, |range| {
            statements::split(&text, &tokens, range, dir.config.dialect)
        })
    };
    let (up_statements, down_statements) = (split(&sections.up), split(&sections.down));
    dir.files.push(SourceFile {
        path: rel.to_string(),
        text,
        bom,
        tokens,
        lex_error,
        sections,
        up_statements,
        down_statements,
        upper_words: std::sync::OnceLock::new(),
    });
    Some(dir.files.len() - 1)
}

/// Whether a DOWN file and an UP file belong to one migration: same scheme and version, and
/// the same name except in Flyway, which pairs `U3__x` with `V3__y` by version alone.
fn pairs_with(a: &ParsedName, b: &ParsedName) -> bool {
    a.scheme == b.scheme
        && a.version == b.version
        && (a.scheme == Scheme::Flyway || a.name == b.name)
}

fn add_file(
    dir: &mut Directory,
    parsed: ParsedName,
    absolute: &Path,
    rel: &str,
    out: &mut Vec<Diagnostic>,
) {
    let role = parsed.role;
    let Some(index) = load_file(dir, absolute, rel, role, out) else {
        return;
    };
    if role == Role::Down {
        let partner = dir
            .candidates
            .iter_mut()
            .find(|c| c.down_file.is_none() && pairs_with(&c.name, &parsed));
        if let Some(candidate) = partner {
            candidate.down_file = Some(index);
            return;
        }
        dir.candidates.push(Candidate {
            name: parsed,
            entry: rel.to_string(),
            main: None,
            down_file: Some(index),
            metadata_no_transaction: false,
        });
        return;
    }
    // A DOWN file sorted before its UP (`U1__x` < `V1__x`) waits as an orphan: adopt it.
    let orphan = dir
        .candidates
        .iter()
        .position(|c| c.main.is_none() && pairs_with(&c.name, &parsed));
    if let Some(position) = orphan {
        let candidate = &mut dir.candidates[position];
        candidate.main = Some(index);
        candidate.entry = rel.to_string();
        candidate.name = parsed;
        return;
    }
    dir.candidates.push(Candidate {
        name: parsed,
        entry: rel.to_string(),
        main: Some(index),
        down_file: None,
        metadata_no_transaction: false,
    });
}

fn discover_subdirectory(
    dir: &mut Directory,
    name: &str,
    absolute: &Path,
    rel: &str,
    out: &mut Vec<Diagnostic>,
) {
    let parsed = match naming::parse_dir_name(name) {
        Some(Ok(parsed)) => parsed,
        Some(Err(problem)) => {
            dir.bad_entries.push(BadEntry {
                path: rel.to_string(),
                problem,
            });
            return;
        }
        None => {
            // A helper directory (fixtures, docs) is fine unless it hides SQL we would skip.
            let holds_sql = list(absolute)
                .is_ok_and(|entries| entries.iter().any(|(n, _)| n.ends_with(".sql")));
            if holds_sql {
                dir.bad_entries.push(BadEntry {
                    path: rel.to_string(),
                    problem: BadName {
                        message: format!("directory `{name}` holds .sql files but is not named like a migration"),
                        help: "name migration directories `<version>_<name>` (for example `2024-10-25-112826_add_users`), or move the files out".to_string(),
                    },
                });
            }
            return;
        }
    };
    let entries = match list(absolute) {
        Ok(entries) => entries,
        Err(e) => {
            out.push(Diagnostic::new(
                Lint::UnreadableFile,
                rel,
                format!("cannot read `{rel}`: {e}"),
            ));
            return;
        }
    };
    let mut candidate = Candidate {
        name: parsed,
        entry: rel.to_string(),
        main: None,
        down_file: None,
        metadata_no_transaction: false,
    };
    for (file_name, file_abs) in entries {
        let file_rel = join(rel, &file_name);
        match file_name.as_str() {
            "up.sql" => candidate.main = load_file(dir, &file_abs, &file_rel, Role::Up, out),
            "down.sql" => candidate.down_file = load_file(dir, &file_abs, &file_rel, Role::Down, out),
            "metadata.toml" => {
                dir.tracked.push(file_abs.clone());
                let Some(text) = read_text(&file_abs, &file_rel, out) else { continue };
                match run_in_transaction(&text) {
                    Ok(setting) => candidate.metadata_no_transaction = setting == Some(false),
                    Err(problems) => {
                        let index = LineIndex::new(&text);
                        for (range, message) in problems {
                            out.push(
                                Diagnostic::new(Lint::InvalidConfig, &file_rel, format!("invalid metadata.toml: {message}"))
                                    .at(index.span(range.start, range.end))
                                    .help("the only key is `run_in_transaction = true | false`"),
                            );
                        }
                    }
                }
                dir.toml_sources.push((file_rel, text));
            }
            other if other.ends_with(".sql") => dir.bad_entries.push(BadEntry {
                path: file_rel,
                problem: BadName {
                    message: format!("unexpected `{other}` in migration directory `{name}`"),
                    help: "a migration directory holds `up.sql`, an optional `down.sql` and an optional `metadata.toml`".to_string(),
                },
            }),
            _ => {}
        }
    }
    dir.candidates.push(candidate);
}
