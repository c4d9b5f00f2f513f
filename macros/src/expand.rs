//! Loaded directory -> tokens.

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use strata_core::{Diagnostic, Level, Lint, Loaded, Migration, Section, build, render};
use syn::LitStr;

use crate::cache;

const DEFAULT_DIR: &str = "migrations";

/// Lets test harnesses (trybuild copies crates elsewhere, trybuild issue 202) resolve fixture
/// paths from their own directory.
const MANIFEST_DIR_OVERRIDE: &str = "STRATA_MANIFEST_DIR";

fn base_dir() -> PathBuf {
    std::env::var_os(MANIFEST_DIR_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// Stable Rust cannot emit proc-macro warnings, but it does warn on use of a deprecated item.
fn warning(diagnostic: &Diagnostic, source: Option<&str>, span: Span) -> TokenStream {
    let name = format_ident!("{}", diagnostic.lint.name().replace('-', "_"), span = span);
    let note = format!("{}\n{}", diagnostic.message, render::body(diagnostic, source));
    quote! {{
        #[deprecated(note = #note)]
        #[allow(non_upper_case_globals)]
        const #name: () = ();
        let _ = #name;
    }}
}

fn error(diagnostic: &Diagnostic, source: Option<&str>, span: Span) -> TokenStream {
    let message = format!("{}\n{}", diagnostic.message, render::body(diagnostic, source));
    quote::quote_spanned! {span=> ::core::compile_error!(#message);}
}

fn statements(section: &Section) -> TokenStream {
    let items = section.statements().iter().map(|s| {
        let (start, end, line) = (s.range().start as u32, s.range().end as u32, s.line());
        quote!(::strata::Statement { __start: #start, __end: #end, __line: #line })
    });
    quote!(&[#(#items),*])
}

/// The embedded files: each SQL file is included once with `include_str!` (which also makes
/// edits rebuild), and sections point into it.
struct Files {
    base: PathBuf,
    paths: Vec<String>,
}

impl Files {
    fn ident(index: usize) -> proc_macro2::Ident {
        format_ident!("__STRATA_FILE_{}", index)
    }

    /// The constant holding `path`'s text.
    fn file(&mut self, path: &str) -> proc_macro2::Ident {
        let index = self.paths.iter().position(|p| p == path).unwrap_or_else(|| {
            self.paths.push(path.to_string());
            self.paths.len() - 1
        });
        Self::ident(index)
    }

    fn absolute(&self, path: &str) -> String {
        self.base.join(path).to_string_lossy().into_owned()
    }

    /// `include_str!` of every file, with a compile-time check that it is still the text
    /// whose offsets were computed (an edit racing the build fails it instead of mis-slicing).
    fn declarations(&self) -> TokenStream {
        let items = self.paths.iter().enumerate().map(|(index, path)| {
            let ident = Self::ident(index);
            let absolute = self.absolute(path);
            let length = std::fs::metadata(&absolute).map_or(0, |m| m.len()) as usize;
            let message = format!("{path} changed while it was being compiled; build again");
            quote! {
                const #ident: &str = ::core::include_str!(#absolute);
                const _: () = ::core::assert!(#ident.len() == #length, #message);
            }
        });
        quote!(#(#items)*)
    }
}

fn section(files: &mut Files, section: &Section) -> TokenStream {
    let (path, line) = (section.path(), section.line());
    let file = files.file(path);
    let start = section.raw_offset();
    let end = start + section.sql().len() as u32;
    let statements = statements(section);
    quote!(::strata::Section::from_file(#file, #start, #end, #path, #line, #statements))
}

fn migration(files: &mut Files, migration: &Migration) -> TokenStream {
    let (version, name, checksum, transactional) =
        (migration.version(), migration.name(), migration.checksum(), migration.transactional());
    let up = section(files, migration.up_section());
    let down = match migration.down_section() {
        Some(down) => {
            let down = section(files, down);
            quote!(::core::option::Option::Some(#down))
        }
        None => quote!(::core::option::Option::None),
    };
    let digest = migration.prefix_digest().unwrap_or_default();
    quote! {
        ::strata::Migration::from_static_with_digest(#version, #name, #up, #down, #checksum, #transactional, #digest)
    }
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
    .help(format!("add a build.rs with `fn main() {{ strata::build::track(\"{rel_dir}\"); }}`"));
    diagnostic.level = level;
    Some(diagnostic)
}

pub fn expand(path: Option<LitStr>) -> TokenStream {
    let rel_dir = path.as_ref().map_or_else(|| DEFAULT_DIR.to_string(), LitStr::value);
    let base = base_dir();
    let flags = [
        base.to_string_lossy().into_owned(),
        rel_dir.clone(),
        std::env::var(build::ASSUME_TRACKED_VARIABLE).unwrap_or_default(),
        std::env::var(build::marker_variable(&rel_dir)).unwrap_or_default(),
    ];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let cache = cache::directory(&base).map(|dir| (cache::key(&base.join(&rel_dir), &flags), dir));
    let cached = cache.as_ref().and_then(|(key, dir)| cache::load(dir, key));
    if let Some(tokens) = cached.and_then(|text| text.parse::<TokenStream>().ok()) {
        return tokens;
    }
    let (tokens, clean) = expand_uncached(path, &rel_dir, &base);
    if let (true, Some((key, dir))) = (clean, &cache) {
        cache::store(dir, key, &tokens.to_string());
    }
    tokens
}

/// The expansion, and whether it is clean (no finding at all): only clean ones are cached,
/// since findings carry spans that a cached string would lose.
fn expand_uncached(path: Option<LitStr>, rel_dir: &str, base: &std::path::Path) -> (TokenStream, bool) {
    let span = path.as_ref().map_or_else(Span::call_site, LitStr::span);
    let mut loaded = strata_core::load(base, rel_dir);
    loaded.diagnostics.extend(untracked(&loaded, rel_dir));

    let mut reports = Vec::new();
    for d in &loaded.diagnostics {
        let source = loaded.source(&d.file);
        reports.push(if d.is_error() { error(d, source, span) } else { warning(d, source, span) });
    }
    let mut files = Files { base: base.to_path_buf(), paths: Vec::new() };
    let list = if loaded.has_errors() {
        // Nothing cascades: the list is empty, so only strata's own errors are shown.
        quote!(&[])
    } else {
        let items: Vec<TokenStream> = loaded.migrations.iter().map(|m| migration(&mut files, m)).collect();
        quote!(&[#(#items),*])
    };
    let embedded = files.declarations();
    // Every other file read (strata.toml, metadata.toml, files with errors) still rebuilds on edit.
    let tracked = loaded
        .tracked
        .iter()
        .filter(|p| !files.paths.iter().any(|f| base.join(f) == **p))
        .filter_map(|p| p.to_str())
        .map(|p| quote!(const _: &[u8] = ::core::include_bytes!(#p);));
    let table = &loaded.config.history.table;
    let schema = match &loaded.config.history.schema {
        Some(schema) => quote!(::core::option::Option::Some(#schema)),
        None => quote!(::core::option::Option::None),
    };
    let tokens = quote! {{
        #(#tracked)*
        #embedded
        #(#reports)*
        const MIGRATIONS: &[::strata::Migration] = #list;
        ::strata::Migrations::from_static(MIGRATIONS, #schema, #table)
    }};
    (tokens, loaded.diagnostics.is_empty())
}
