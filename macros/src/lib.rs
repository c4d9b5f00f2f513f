//! `embed_migrations!`: reads a migrations directory at compile time through strata-core,
//! turns every error into a `compile_error!` that points into the SQL file, and otherwise
//! expands to a `const` list. All logic lives in strata-core; this crate only translates.

use proc_macro::TokenStream;
use syn::LitStr;

mod cache;
mod expand;
mod test_attr;

/// Embeds and checks the migrations in a directory (relative to `CARGO_MANIFEST_DIR`,
/// default `"migrations"`). See the `strata` crate for documentation.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let path = if input.is_empty() {
        None
    } else {
        match syn::parse::<LitStr>(input) {
            Ok(path) => Some(path),
            Err(error) => return error.to_compile_error().into(),
        }
    };
    expand::expand(path)
}

/// A test that gets a fresh database with the migrations applied. See the `strata` crate.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}
