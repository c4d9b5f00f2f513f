//! A MariaDB / MySQL database per test on the machine's server (`MYSQL_URL`, default
//! `mysql://root@127.0.0.1:3306`), dropped when the guard goes.

use std::sync::atomic::{AtomicUsize, Ordering};

use mysql_async::Conn;
use mysql_async::prelude::Queryable;

pub fn server_url() -> String {
    std::env::var("MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_string())
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, query) = match rest.split_once('?') {
        Some((before, query)) => (
            before.split('/').next().unwrap_or(before),
            format!("?{query}"),
        ),
        None => (rest.split('/').next().unwrap_or(rest), String::new()),
    };
    format!("{scheme}://{authority}/{database}{query}")
}

pub async fn connect(url: &str) -> Conn {
    Conn::from_url(url).await.expect("connect to MariaDB")
}

pub struct MysqlDb {
    pub name: String,
    pub url: String,
}

impl MysqlDb {
    pub async fn new(label: &str) -> MysqlDb {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "strata_test_{label}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = connect(&server_url()).await;
        admin
            .query_drop(format!("CREATE DATABASE `{name}`"))
            .await
            .expect("create test database");
        let url = with_database(&server_url(), &name);
        MysqlDb { name, url }
    }

    pub async fn conn(&self) -> Conn {
        connect(&self.url).await
    }

    /// Rows of `sql` as text, one line per row (values joined with ` `, NULL as `-`).
    pub async fn rows(&self, sql: &str) -> Vec<String> {
        let mut conn = self.conn().await;
        let rows: Vec<mysql_async::Row> = conn.query(sql).await.expect("query");
        rows.into_iter()
            .map(|row| {
                row.unwrap_raw()
                    .into_iter()
                    .map(|v| match v {
                        None | Some(mysql_async::Value::NULL) => "-".to_string(),
                        Some(mysql_async::Value::Bytes(b)) => String::from_utf8_lossy(&b).into(),
                        Some(other) => other.as_sql(true),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// Tables, columns (type, nullability, default), indexes, triggers and routines of this
    /// database outside the history tables: one sorted line each.
    pub async fn schema(&self) -> Vec<String> {
        let db = &self.name;
        self.rows(&format!(
            "SELECT CONCAT('column ', table_name, '.', column_name, ' ', column_type, ' ', \
               is_nullable, ' ', COALESCE(column_default, '-')) FROM information_schema.columns \
               WHERE table_schema = '{db}' AND table_name NOT LIKE 'strata_migrations%' \
             UNION ALL SELECT CONCAT('index ', table_name, '.', index_name, ' ', \
               GROUP_CONCAT(column_name ORDER BY seq_in_index)) FROM information_schema.statistics \
               WHERE table_schema = '{db}' AND table_name NOT LIKE 'strata_migrations%' \
               GROUP BY table_name, index_name \
             UNION ALL SELECT CONCAT('trigger ', trigger_name, ' ', action_statement) \
               FROM information_schema.triggers WHERE trigger_schema = '{db}' \
             UNION ALL SELECT CONCAT('routine ', routine_name, ' ', routine_definition) \
               FROM information_schema.routines WHERE routine_schema = '{db}' \
             ORDER BY 1"
        ))
        .await
    }

    pub async fn history_versions(&self) -> Vec<i64> {
        self.rows("SELECT version FROM strata_migrations ORDER BY version")
            .await
            .iter()
            .map(|v| v.parse().expect("a version"))
            .collect()
    }
}

impl Drop for MysqlDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS `{}`", self.name);
        super::block_on_aside(async move {
            if let Ok(mut admin) = Conn::from_url(server_url()).await {
                let _ = admin.query_drop(sql).await;
                let _ = admin.disconnect().await;
            }
        });
    }
}
