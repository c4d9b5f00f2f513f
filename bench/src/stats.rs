//! Raw samples (written as CSV), medians, and the Markdown summary printed at the end.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::Tool;
use crate::proxy::Snapshot;

/// One CSV row: experiment, set, tool, sample, value, unit.
#[derive(Default)]
pub struct Samples {
    rows: Vec<(String, String, String, usize, f64, &'static str)>,
}

impl Samples {
    /// A timing, in milliseconds.
    pub fn push(
        &mut self,
        tool: &str,
        set: &str,
        experiment: &str,
        sample: usize,
        elapsed: Duration,
    ) {
        self.rows.push((
            experiment.to_string(),
            set.to_string(),
            tool.to_string(),
            sample,
            elapsed.as_secs_f64() * 1000.0,
            "ms",
        ));
    }

    /// Any other measured value (bytes, files), with its unit.
    pub fn value(
        &mut self,
        tool: &str,
        set: &str,
        experiment: &str,
        value: f64,
        unit: &'static str,
    ) {
        self.rows.push((
            experiment.to_string(),
            set.to_string(),
            tool.to_string(),
            0,
            value,
            unit,
        ));
    }

    /// Protocol counts of one counted run (experiment `count:<what>`, one row per counter).
    pub fn count(&mut self, tool: &str, what: &str, s: &Snapshot) {
        let fields = [
            ("round_trips", s.round_trips()),
            ("turns", s.turns),
            ("simple_queries", s.simple_queries),
            ("parses", s.parses),
            ("binds", s.binds),
            ("executes", s.executes),
            ("syncs", s.syncs),
            ("flushes", s.flushes),
            ("statements", s.statements),
            ("client_bytes", s.client_bytes),
            ("server_bytes", s.server_bytes),
        ];
        for (name, value) in fields {
            self.rows.push((
                format!("count:{what}"),
                name.to_string(),
                tool.to_string(),
                0,
                value as f64,
                "count",
            ));
        }
    }

    pub fn of(&self, tool: &str, set: &str, experiment: &str) -> Vec<f64> {
        self.rows
            .iter()
            .filter(|r| r.2 == tool && r.1 == set && r.0 == experiment)
            .map(|r| r.4)
            .collect()
    }

    /// Median over samples of (this tool ÷ `base`) within the same sample index: tools ran
    /// back to back in each round, so slow drifts of the machine cancel out.
    pub fn paired_ratio(&self, tool: &str, base: &str, set: &str, experiment: &str) -> f64 {
        let rows = |t: &str| -> Vec<(usize, f64)> {
            self.rows
                .iter()
                .filter(|r| r.2 == t && r.1 == set && r.0 == experiment)
                .map(|r| (r.3, r.4))
                .collect()
        };
        let base_rows = rows(base);
        let ratios: Vec<f64> = rows(tool)
            .into_iter()
            .filter_map(|(i, v)| base_rows.iter().find(|(j, _)| *j == i).map(|(_, b)| v / b))
            .collect();
        median(&ratios)
    }

    pub fn median(&self, tool: &str, set: &str, experiment: &str) -> f64 {
        median(&self.of(tool, set, experiment))
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = String::from("experiment,set,tool,sample,value,unit\n");
        for (experiment, set, tool, sample, value, unit) in &self.rows {
            let _ = writeln!(text, "{experiment},{set},{tool},{sample},{value:.3},{unit}");
        }
        std::fs::write(path, text)
    }
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// What the runtime part found, for the summary.
#[derive(Default)]
pub struct Report {
    pub samples: usize,
    pub server: String,
    /// tool, round trips per migration, statements per migration, fixed round trips per
    /// apply run, no-op round trips, no-op statements, raw apply-1000 and no-op counts.
    #[allow(clippy::type_complexity)]
    pub round_trips: Vec<(Tool, f64, f64, f64, u64, u64, Snapshot, Snapshot)>,
    pub leftover_databases: Option<usize>,
}

fn ratio_table(out: &mut String, title: &str, csv: &Samples, set: &str, experiment: &str) {
    let of = |t: Tool| csv.median(t.name(), set, experiment);
    if of(Tool::Floor).is_nan() {
        return;
    }
    let faster_peer = of(Tool::Refinery).min(of(Tool::Sqlx));
    let _ = writeln!(out, "\n### {title}\n");
    let faster = if of(Tool::Refinery) <= of(Tool::Sqlx) {
        Tool::Refinery
    } else {
        Tool::Sqlx
    };
    let _ = writeln!(
        out,
        "| tool | samples | median ms | ÷ floor | ÷ strata | ÷ faster peer ({}) | paired: ÷ floor | paired: ÷ strata |",
        faster.name()
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for tool in crate::TOOLS {
        let ms = of(tool);
        let n = csv.of(tool.name(), set, experiment).len();
        let _ = writeln!(
            out,
            "| {} | {n} | {ms:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            tool.name(),
            ms / of(Tool::Floor),
            ms / of(Tool::Strata),
            ms / faster_peer,
            csv.paired_ratio(tool.name(), "floor", set, experiment),
            csv.paired_ratio(tool.name(), "strata", set, experiment),
        );
    }
}

impl Report {
    pub fn render(&self, csv: &Samples) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## strata benchmark results\n");
        if !self.server.is_empty() {
            let _ = writeln!(
                out,
                "{}; {} apply samples per tool, alternating tools sample by sample.",
                self.server, self.samples
            );
        }
        if !self.round_trips.is_empty() {
            let _ = writeln!(
                out,
                "\n### Round trips and statements (counted by the proxy: 'Q' + 'S' + 'H'; statements = CommandComplete)\n"
            );
            let _ = writeln!(
                out,
                "| tool | round trips / migration | statements / migration | fixed round trips / apply run | no-op run: round trips | no-op run: statements | apply 1000: turns | no-op: turns |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
            for (tool, per, statements, fixed, noop, noop_statements, apply, noop_snapshot) in
                &self.round_trips
            {
                let _ = writeln!(
                    out,
                    "| {} | {per:.2} | {statements:.2} | {fixed:.1} | {noop} | {noop_statements} | {} | {} |",
                    tool.name(),
                    apply.turns,
                    noop_snapshot.turns
                );
            }
        }
        ratio_table(
            &mut out,
            "Apply 1,000 migrations, table set (fresh database per sample)",
            csv,
            "table",
            "apply",
        );
        ratio_table(
            &mut out,
            "Apply 1,000 migrations, round-trip-bound set (one tiny INSERT each)",
            csv,
            "rt",
            "apply",
        );
        ratio_table(
            &mut out,
            "No-op run with 1,000 applied (the migrate call on a fresh connection)",
            csv,
            "table",
            "noop",
        );
        crate::compile::render(&mut out, csv);
        crate::compile::render_app(&mut out, csv);
        crate::lint::render(&mut out, csv);
        crate::testdb::render(&mut out, csv);
        if let Some(left) = self.leftover_databases {
            let _ = writeln!(
                out,
                "\nbench databases left on the server after the run: {left}"
            );
        }
        out
    }
}
