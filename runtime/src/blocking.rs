//! Running migrations from synchronous code, with no async runtime: for the synchronous
//! clients (`rusqlite::Connection`, and `postgres::Client` with feature `postgres-sync`),
//! whose driver methods do their work when first polled and never wait on a reactor.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::driver::Driver;
use crate::{Migrations, Plan, Report, Result, Runner, StatusRow, Target};

/// A [`Driver`] whose futures need no async runtime: every method finishes on its first poll
/// (or waits by blocking the thread). Implemented for the synchronous clients only; an
/// asynchronous client (`tokio_postgres::Client`) needs its runtime to make progress.
pub trait Blocking: Driver {}

#[cfg(feature = "sqlite")]
impl Blocking for rusqlite::Connection {}

#[cfg(feature = "postgres-sync")]
impl Blocking for postgres::Client {}

/// Wakes the thread that polls.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread until it is ready.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// The same operations as the `async` ones, for synchronous code. They block the calling
/// thread for the duration of the run, like any synchronous database call.
///
/// ```no_run
/// # use strata_runtime as strata;
/// # static MIGRATIONS: strata::Migrations = strata::Migrations::empty();
/// # fn example() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = rusqlite::Connection::open("app.db")?;
/// let report = MIGRATIONS.run_blocking(&mut conn)?;
/// println!("applied {}", report.applied.len());
/// # Ok(()) }
/// ```
impl Migrations {
    /// [`Migrations::run`] without an async runtime.
    pub fn run_blocking<D: Blocking>(&self, conn: &mut D) -> Result<Report> {
        self.runner().run_blocking(conn)
    }

    /// [`Migrations::rollback`] without an async runtime.
    pub fn rollback_blocking<D: Blocking>(&self, conn: &mut D, target: Target) -> Result<Report> {
        self.runner().rollback_blocking(conn, target)
    }

    /// [`Migrations::status`] without an async runtime.
    pub fn status_blocking<D: Blocking>(&self, conn: &mut D) -> Result<Vec<StatusRow>> {
        self.runner().status_blocking(conn)
    }

    /// [`Migrations::dry_run`] without an async runtime.
    pub fn dry_run_blocking<D: Blocking>(&self, conn: &mut D) -> Result<Plan> {
        self.runner().dry_run_blocking(conn)
    }
}

/// The [`Runner`]'s operations, with its options, without an async runtime.
impl Runner<'_> {
    /// [`Runner::run`] without an async runtime.
    pub fn run_blocking<D: Blocking>(&self, conn: &mut D) -> Result<Report> {
        block_on(self.run(conn))
    }

    /// [`Runner::rollback`] without an async runtime.
    pub fn rollback_blocking<D: Blocking>(&self, conn: &mut D, target: Target) -> Result<Report> {
        block_on(self.rollback(conn, target))
    }

    /// [`Runner::status`] without an async runtime.
    pub fn status_blocking<D: Blocking>(&self, conn: &mut D) -> Result<Vec<StatusRow>> {
        block_on(self.status(conn))
    }

    /// [`Runner::dry_run`] without an async runtime.
    pub fn dry_run_blocking<D: Blocking>(&self, conn: &mut D) -> Result<Plan> {
        block_on(self.dry_run(conn))
    }

    /// [`Runner::dry_run_rollback`] without an async runtime.
    pub fn dry_run_rollback_blocking<D: Blocking>(
        &self,
        conn: &mut D,
        target: Target,
    ) -> Result<Plan> {
        block_on(self.dry_run_rollback(conn, target))
    }
}
