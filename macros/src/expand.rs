//! Loaded directory -> tokens.

use std::path::{Path, PathBuf};

extern crate proc_macro;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use strata_core::{Diagnostic, Level, Lint, Loaded, Migration, Section, build, embedded, render};
use syn::LitStr;

use crate::cache::{self, Entry, Warning};

const DEFAULT_DIR: &str = "migrations";

/// Lets test harnesses (trybuild copies crates elsewhere, trybuild issue 202) resolve fixture
/// paths from their own directory.
const MANIFEST_DIR_OVERRIDE: &str = "STRATA_MANIFEST_DIR";

fn base_dir() -> PathBuf {
    std::env::var_os(MANIFEST_DIR_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// A warning finding as data: what a cache hit needs to emit it again.
fn warning(diagnostic: &Diagnostic, source: Option<&str>) -> Warning {
    Warning {
        name: diagnostic.lint.name().replace('-', "_"),
        note: format!(
            "{}\n{}",
            diagnostic.message,
            render::body(diagnostic, source)
        ),
    }
}

/// Stable Rust cannot emit proc-macro warnings, but it does warn on use of a deprecated item.
fn warning_tokens(warning: &Warning, span: Span) -> TokenStream {
    let name = format_ident!("{}", warning.name, span = span);
    let note = &warning.note;
    quote! {{
        #[deprecated(note = #note)]
        #[allow(non_upper_case_globals)]
        const #name: () = ();
        let _ = #name;
    }}
}

/// The macro's output: the warnings, then the rest, in one block.
fn assemble(warnings: &[Warning], span: Span, rest: TokenStream) -> TokenStream {
    let warnings = warnings.iter().map(|w| warning_tokens(w, span));
    quote!({ #(#warnings)* #rest })
}

fn error(diagnostic: &Diagnostic, source: Option<&str>, span: Span) -> TokenStream {
    let message = format!(
        "{}\n{}",
        diagnostic.message,
        render::body(diagnostic, source)
    );
    quote::quote_spanned! {span=> ::core::compile_error!(#message);}
}

/// One migration: `Embedded(&[include_str!(file), ..], "encoded")`. `include_str!` embeds
/// each file once (sections are ranges of it) and rebuilds the crate when it changes; the
/// string literal holds the rest (see `strata_core::embedded`), a handful of tokens where
/// struct literals would cost rustc hundreds per migration.
fn migration(base: &Path, migration: &Migration) -> TokenStream {
    let paths = files(migration);
    let files: Vec<(&str, u64)> = paths
        .iter()
        .map(|p| (*p, std::fs::metadata(base.join(p)).map_or(0, |m| m.len())))
        .collect();
    let encoded = embedded::encode(migration, &files);
    let includes = paths.iter().map(|p| {
        let absolute = base.join(p).to_string_lossy().into_owned();
        quote!(::core::include_str!(#absolute))
    });
    quote!(E(&[#(#includes),*], #encoded))
}

/// The files a migration's sections come from: the UP file, and the DOWN file if separate.
fn files(migration: &Migration) -> Vec<&str> {
    let up = migration.up_section().path();
    let down = migration
        .down_section()
        .map(Section::path)
        .filter(|down| *down != up);
    std::iter::once(up).chain(down).collect()
}

fn untracked(loaded: &Loaded, rel_dir: &str) -> Option<Diagnostic> {
    let tracked = std::env::var_os(build::ASSUME_TRACKED_VARIABLE).is_some()
        || std::env::var_os(build::marker_variable(rel_dir)).is_some();
    let level = loaded.config.level(Lint::UntrackedDirectory);
    if tracked || level == Level::Allow {
        return None;
    }
    let mut diagnostic = Diagnostic::new(
        Lint::UntrackedDirectory,
        rel_dir,
        format!("migrations added to `{rel_dir}` will not trigger a rebuild"),
    )
    .help(format!(
        "add a build.rs with `fn main() {{ strata_build::track(\"{rel_dir}\"); }}` and \
         `strata-build` under [build-dependencies] (it has no dependencies)"
    ));
    diagnostic.level = level;
    Some(diagnostic)
}

pub fn expand(path: Option<LitStr>) -> proc_macro::TokenStream {
    let rel_dir = path
        .as_ref()
        .map_or_else(|| DEFAULT_DIR.to_string(), LitStr::value);
    let span = path.as_ref().map_or_else(Span::call_site, LitStr::span);
    let base = base_dir();
    let flags = [
        base.to_string_lossy().into_owned(),
        rel_dir.clone(),
        std::env::var(build::ASSUME_TRACKED_VARIABLE).unwrap_or_default(),
        std::env::var(build::marker_variable(&rel_dir)).unwrap_or_default(),
    ];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let root = base.join(&rel_dir);
    let directory = cache::directory(&base);
    let by_metadata = directory
        .as_ref()
        .map(|_| cache::key(&root, &flags, cache::Key::Metadata));
    let lookup = |key: &Option<String>| {
        directory
            .as_ref()
            .zip(key.as_ref())
            .and_then(|(dir, key)| cache::load(dir, key))
    };
    let mut cached = lookup(&by_metadata);
    let mut by_content = None;
    if cached.is_none() {
        by_content = directory
            .as_ref()
            .map(|_| cache::key(&root, &flags, cache::Key::Content));
        cached = lookup(&by_content);
        // Same files, new mtimes: remember them, so the next build is a stat-only hit.
        if let (Some(entry), Some(dir), Some(key)) = (&cached, &directory, &by_metadata) {
            cache::store(dir, key, entry);
        }
    }
    if let Some(tokens) = cached.and_then(|entry| replay(&entry, span)) {
        return tokens;
    }
    // A miss re-reads the directory; files whose text did not change keep their parse.
    let syntax = directory.as_ref().map(|dir| dir.join("syntax"));
    let syntax_cache = syntax
        .clone()
        .map(|dir| strata_core::syntax::SyntaxCache::new(dir, env!("STRATA_MACRO_FINGERPRINT")));
    let (rest, warnings, clean) = expand_uncached(&rel_dir, &base, span, syntax_cache);
    if let Some(syntax) = &syntax {
        cache::prune_to(syntax, cache::MAX_SYNTAX_ENTRIES);
    }
    if let (true, Some(dir)) = (clean, &directory) {
        let entry = Entry {
            warnings: warnings.clone(),
            body: rest.to_string(),
        };
        for key in by_metadata.iter().chain(&by_content) {
            cache::store(dir, key, &entry);
        }
    }
    assemble(&warnings, span, rest).into()
}

/// A cache hit: the stored body lexed by the compiler's own lexer (proc_macro2's `parse`
/// first re-lexes the text itself, in this usually unoptimized macro, which took 3/4 of a hit
/// for 700 files), with the stored warnings emitted again at the macro argument's span.
fn replay(entry: &Entry, span: Span) -> Option<proc_macro::TokenStream> {
    let body: proc_macro::TokenStream = entry.body.parse().ok()?;
    let mut inner: proc_macro::TokenStream = entry
        .warnings
        .iter()
        .map(|w| proc_macro::TokenStream::from(warning_tokens(w, span)))
        .collect();
    inner.extend(body);
    let block = proc_macro::Group::new(proc_macro::Delimiter::Brace, inner);
    Some(proc_macro::TokenTree::Group(block).into())
}

/// The expansion without its warnings, the warnings, and whether it may be cached (no
/// error: errors carry spans and end the build anyway).
fn expand_uncached(
    rel_dir: &str,
    base: &std::path::Path,
    span: Span,
    syntax_cache: Option<strata_core::syntax::SyntaxCache>,
) -> (TokenStream, Vec<Warning>, bool) {
    let mut loaded = strata_core::load_with(base, rel_dir, syntax_cache);
    loaded.diagnostics.extend(untracked(&loaded, rel_dir));

    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for d in &loaded.diagnostics {
        let source = loaded.source(&d.file);
        if d.is_error() {
            errors.push(error(d, source, span));
        } else {
            warnings.push(warning(d, source));
        }
    }
    // After an error nothing cascades: the list is empty, so only strata's own errors show.
    let emitted: &[Migration] = if loaded.has_errors() {
        &[]
    } else {
        &loaded.migrations
    };
    let items = emitted.iter().map(|m| migration(base, m));
    let list = quote!(&[#(#items),*]);
    let embedded: Vec<PathBuf> = emitted
        .iter()
        .flat_map(files)
        .map(|p| base.join(p))
        .collect();
    // Every other file read (strata.toml, metadata.toml, files with errors) still rebuilds on edit.
    let tracked = loaded
        .tracked
        .iter()
        .filter(|p| !embedded.contains(p))
        .filter_map(|p| p.to_str())
        .map(|p| {
            quote!(
                const _: &[u8] = ::core::include_bytes!(#p);
            )
        });
    let table = &loaded.config.history.table;
    let schema = match &loaded.config.history.schema {
        Some(schema) => quote!(::core::option::Option::Some(#schema)),
        None => quote!(::core::option::Option::None),
    };
    let lock = match loaded.config.lock {
        strata_core::config::LockStrategy::Advisory => quote!(),
        strata_core::config::LockStrategy::Table => {
            quote!(.with_lock(::strata::LockStrategy::Table))
        }
    };
    let rest = quote! {
        #(#tracked)*
        #(#errors)*
        use ::strata::__private::Embedded as E;
        const MIGRATIONS: &[E] = #list;
        const _: () = ::strata::__private::check_lengths(MIGRATIONS);
        ::strata::Migrations::from_embedded(MIGRATIONS, #schema, #table) #lock
    };
    let clean = errors.is_empty();
    (rest, warnings, clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a miss emits and what a hit replays from the stored entry are the same tokens:
    /// the same warnings (here `unknown-directive` and `untracked-directory`) around the same
    /// body.
    #[test]
    fn a_cache_hit_emits_the_warnings_of_the_miss() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui");
        let span = Span::call_site();
        let (rest, warnings, clean) =
            expand_uncached("fixtures/unknown-directive", &base, span, None);
        assert!(clean, "warnings only");
        let names: Vec<&str> = warnings.iter().map(|w| w.name.as_str()).collect();
        assert!(names.contains(&"unknown_directive"), "{names:?}");
        assert!(names.contains(&"untracked_directory"), "{names:?}");
        let miss = assemble(&warnings, span, rest.clone()).to_string();

        let cache = tempfile::tempdir().expect("tmp");
        let entry = Entry {
            warnings: warnings.clone(),
            body: rest.to_string(),
        };
        cache::store(cache.path(), "k", &entry);
        let stored = cache::load(cache.path(), "k").expect("stored");
        assert_eq!(stored.warnings, warnings);
        let body: TokenStream = stored.body.parse().expect("body lexes");
        assert_eq!(assemble(&stored.warnings, span, body).to_string(), miss);
    }
}
