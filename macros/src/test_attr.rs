//! `#[strata::test(migrations = MIGRATIONS)]`: wraps a test function taking a
//! `tokio_postgres::Client` or a `mysql_async::Conn` (an `async fn`) or a
//! `rusqlite::Connection` into a `#[test]` that hands it a fresh, migrated database
//! (strata_runtime::testing does the work).
//!
//! The function is read token by token (attributes, `async`, `fn`, name, one argument,
//! return type, body) so the macro needs no full Rust parser.

use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::quote;

/// The database a test asks for, from its argument's type.
enum Database {
    Postgres,
    Mysql,
    Sqlite,
}

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand_checked(args, item) {
        Ok(tokens) => tokens,
        Err((span, message)) => quote::quote_spanned!(span=> ::core::compile_error!(#message);),
    }
}

type Failure = (Span, String);

fn expand_checked(args: TokenStream, item: TokenStream) -> Result<TokenStream, Failure> {
    let migrations = migrations_argument(args)?;
    let mut tokens = item.into_iter().peekable();
    let mut attributes = TokenStream::new();
    let mut is_async = false;
    // Attributes and qualifiers up to `fn`.
    loop {
        match tokens.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == '#' => {
                attributes.extend([TokenTree::Punct(p)]);
                if let Some(group) = tokens.next() {
                    attributes.extend([group]);
                }
            }
            Some(TokenTree::Ident(ident)) if ident == "fn" => break,
            Some(TokenTree::Ident(ident)) if ident == "async" => is_async = true,
            // `pub`, `pub(crate)`: a test function needs no visibility.
            Some(TokenTree::Ident(ident)) if ident == "pub" => {
                if matches!(tokens.peek(), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis)
                {
                    tokens.next();
                }
            }
            Some(other) => {
                return Err((
                    other.span(),
                    "#[strata::test] goes on a test function: `async fn name(client: tokio_postgres::Client)`, `async fn name(conn: mysql_async::Conn)` or `fn name(conn: rusqlite::Connection)`".into(),
                ));
            }
            None => {
                return Err((
                    Span::call_site(),
                    "#[strata::test] goes on a function".into(),
                ));
            }
        }
    }
    let name = match tokens.next() {
        Some(TokenTree::Ident(name)) => name,
        other => {
            return Err((
                span_of(other.as_ref()),
                "expected the function's name".into(),
            ));
        }
    };
    let parameters = match tokens.next() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => group,
        Some(TokenTree::Punct(p)) if p.as_char() == '<' => {
            return Err((
                p.span(),
                "a #[strata::test] function cannot be generic".into(),
            ));
        }
        other => {
            return Err((
                span_of(other.as_ref()),
                "expected the function's parameters".into(),
            ));
        }
    };
    let database = database_of(&parameters.stream(), parameters.span())?;
    // The return type (`-> T`), then the body.
    let mut output = TokenStream::new();
    let body = loop {
        match tokens.next() {
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => break group,
            Some(TokenTree::Ident(ident)) if ident == "where" => {
                return Err((
                    ident.span(),
                    "a #[strata::test] function cannot have a where clause".into(),
                ));
            }
            Some(token) => output.extend([token]),
            None => return Err((name.span(), "expected the function's body".into())),
        }
    };
    let parameters = parameters.stream();
    let call = match (database, is_async) {
        (Database::Postgres, true) => quote!(::strata::__private::testing::postgres(
            &#migrations,
            ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
            #name,
        )),
        (Database::Postgres, false) => {
            return Err((
                name.span(),
                "a #[strata::test] with a tokio_postgres::Client must be an `async fn`".into(),
            ));
        }
        (Database::Mysql, true) => quote!(::strata::__private::testing::mysql(
            &#migrations,
            ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
            #name,
        )),
        (Database::Mysql, false) => {
            return Err((
                name.span(),
                "a #[strata::test] with a mysql_async::Conn must be an `async fn`".into(),
            ));
        }
        (Database::Sqlite, true) => {
            quote!(::strata::__private::testing::sqlite_async(&#migrations, #name))
        }
        (Database::Sqlite, false) => {
            quote!(::strata::__private::testing::sqlite(&#migrations, #name))
        }
    };
    let asyncness = is_async.then(|| Ident::new("async", Span::call_site()));
    Ok(quote! {
        #attributes
        #[::core::prelude::v1::test]
        fn #name() #output {
            #asyncness fn #name(#parameters) #output #body
            #call
        }
    })
}

/// `migrations = PATH` (or just `PATH`): the expression naming the `Migrations`.
fn migrations_argument(args: TokenStream) -> Result<TokenStream, Failure> {
    let tokens: Vec<TokenTree> = args.into_iter().collect();
    let expression: TokenStream = match tokens.as_slice() {
        [TokenTree::Ident(key), TokenTree::Punct(eq), rest @ ..]
            if key == "migrations" && eq.as_char() == '=' && !rest.is_empty() =>
        {
            rest.iter().cloned().collect()
        }
        [TokenTree::Ident(key), ..] if key == "migrations" => {
            return Err((key.span(), "expected `migrations = MIGRATIONS`".into()));
        }
        [] => {
            return Err((
                Span::call_site(),
                "#[strata::test] needs the migrations: #[strata::test(migrations = MIGRATIONS)]"
                    .into(),
            ));
        }
        all => all.iter().cloned().collect(),
    };
    Ok(expression)
}

/// PostgreSQL for a `...Client` parameter, MySQL for a `...Conn`, SQLite for a
/// `...Connection`; exactly one.
fn database_of(parameters: &TokenStream, span: Span) -> Result<Database, Failure> {
    let tokens: Vec<TokenTree> = parameters.clone().into_iter().collect();
    let commas = tokens
        .iter()
        .filter(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
        .count();
    let trailing = matches!(tokens.last(), Some(TokenTree::Punct(p)) if p.as_char() == ',');
    let usage = "a #[strata::test] function takes one parameter: `client: tokio_postgres::Client` (async fn), `conn: mysql_async::Conn` (async fn) or `conn: rusqlite::Connection`";
    if tokens.is_empty() || commas > usize::from(trailing) {
        return Err((span, usage.into()));
    }
    // The type's last path segment before any generic arguments.
    let colon = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ':'));
    let type_name = colon.and_then(|at| {
        tokens[at + 1..]
            .iter()
            .take_while(
                |t| !matches!(t, TokenTree::Punct(p) if p.as_char() == '<' || p.as_char() == ','),
            )
            .filter_map(|t| match t {
                TokenTree::Ident(ident) => Some(ident.to_string()),
                _ => None,
            })
            .last()
    });
    match type_name.as_deref() {
        Some("Client") => Ok(Database::Postgres),
        Some("Conn") => Ok(Database::Mysql),
        Some("Connection") => Ok(Database::Sqlite),
        _ => Err((span, usage.into())),
    }
}

fn span_of(token: Option<&TokenTree>) -> Span {
    token.map_or_else(Span::call_site, TokenTree::span)
}
