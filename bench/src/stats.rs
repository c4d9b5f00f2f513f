//! Raw samples (written as CSV) and medians.

use std::time::Duration;

#[derive(Default)]
pub struct Samples {
    rows: Vec<(String, String, String, usize, f64)>,
}

impl Samples {
    pub fn push(&mut self, tool: &str, set: &str, kind: &str, sample: usize, elapsed: Duration) {
        self.rows.push((tool.to_string(), set.to_string(), kind.to_string(), sample, elapsed.as_secs_f64() * 1000.0));
    }

    pub fn of(&self, tool: &str, set: &str, kind: &str) -> Vec<f64> {
        self.rows.iter().filter(|r| r.0 == tool && r.1 == set && r.2 == kind).map(|r| r.4).collect()
    }

    pub fn write(&self, path: &str) -> std::io::Result<String> {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut text = String::from("tool,set,kind,sample,ms\n");
        for (tool, set, kind, sample, ms) in &self.rows {
            text.push_str(&format!("{tool},{set},{kind},{sample},{ms:.3}\n"));
        }
        std::fs::write(&full, text)?;
        Ok(full.display().to_string())
    }
}

pub fn median_ms(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
