//! strata-runtime: the list of embedded migrations and what runs them.

mod migrations;

pub use migrations::Migrations;
pub use strata_core::model::{Migration, Section, Statement};
