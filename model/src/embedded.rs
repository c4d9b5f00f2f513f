//! The compact form `embed_migrations!` expands to, and its decoding at run time.
//!
//! Every token the macro emits is re-lexed, parsed and type-checked by rustc on each rebuild,
//! so a migration expands to just its files (`include_str!`) and one string literal holding
//! everything else ([`encode`]). The runtime reads one field of it where that is enough (the
//! no-op start-up needs the last migration's version and prefix digest) and decodes whole
//! [`Migration`]s only when it plans or applies ([`Embedded::decode`]).
//!
//! The string: NUL-separated fields (no file name, path or checksum can hold a NUL),
//! `FORMAT`, one byte length per file, version, name, checksum, `1`/`0` (transactional),
//! prefix digest, then per section (UP, then DOWN if any): file index, path, and
//! `"start end line s e l s e l ..."` (section byte range in the file, first line, statements).

use crate::migration::{Migration, Section, Statement};

/// Tags the layout, so a runtime of another version never misreads it ([`check_lengths`]).
const FORMAT: &str = "strata-embedded-1";
const SEPARATOR: char = '\0';

/// One embedded migration: its file(s) as included, and the encoded rest.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Embedded(pub &'static [&'static str], pub &'static str);

impl Embedded {
    fn fields(&self) -> std::str::Split<'static, char> {
        self.1.split(SEPARATOR)
    }

    /// Skips the tag and the file lengths.
    fn after_lengths(&self) -> impl Iterator<Item = &'static str> {
        self.fields().skip(1 + self.0.len())
    }

    /// The version, without decoding the rest.
    pub fn version(&self) -> i64 {
        self.after_lengths()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(i64::MIN)
    }

    /// The prefix digest (see [`Migration::prefix_digest`]), without decoding the rest.
    pub fn prefix_digest(&self) -> Option<&'static str> {
        self.after_lengths().nth(4).filter(|d| !d.is_empty())
    }

    /// The whole migration. Borrows the embedded text; allocates only the statement tables.
    /// A malformed string (impossible from the macro of the same version) decodes to empty
    /// fields rather than panicking.
    pub fn decode(&self) -> Migration {
        let mut fields = self.after_lengths();
        let version = fields
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(i64::MIN);
        let name = fields.next().unwrap_or_default();
        let checksum = fields.next().unwrap_or_default();
        let transactional = fields.next() != Some("0");
        let digest = fields.next().filter(|d| !d.is_empty());
        let up = self
            .section(&mut fields)
            .unwrap_or_else(|| Section::embedded("", 0, 0, "", 1, Vec::new()));
        let down = self.section(&mut fields);
        let mut migration = Migration::from_parts(version, name, up, down, checksum, transactional);
        if let Some(digest) = digest {
            migration.set_prefix_digest(digest.into());
        }
        migration
    }

    fn section(&self, fields: &mut impl Iterator<Item = &'static str>) -> Option<Section> {
        let file = self.0.get(fields.next()?.parse::<usize>().ok()?)?;
        let path = fields.next()?;
        let mut numbers = fields
            .next()?
            .split(' ')
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let (start, end, line) = (numbers.next()?, numbers.next()?, numbers.next()?);
        let mut statements = Vec::new();
        while let (Some(s), Some(e), Some(l)) = (numbers.next(), numbers.next(), numbers.next()) {
            statements.push(Statement::new(s, e, l));
        }
        Some(Section::embedded(file, start, end, path, line, statements))
    }
}

/// Compile-time check, one `const` for the whole list: every included file has the length
/// the macro parsed. An edit racing the build fails the build instead of shifting every
/// section's offsets. Also rejects a string of another [`FORMAT`].
#[doc(hidden)]
pub const fn check_lengths(list: &[Embedded]) {
    let mut i = 0;
    while i < list.len() {
        let Embedded(files, encoded) = list[i];
        let bytes = encoded.as_bytes();
        let tag = FORMAT.as_bytes();
        let mut at = 0;
        while at < tag.len() {
            if at >= bytes.len() || bytes[at] != tag[at] {
                panic!(
                    "strata: this list was expanded by another version of strata's macro; rebuild"
                );
            }
            at += 1;
        }
        at += 1;
        let mut file = 0;
        while file < files.len() {
            let mut length = 0usize;
            while at < bytes.len() && bytes[at] != 0 {
                length = length * 10 + (bytes[at] - b'0') as usize;
                at += 1;
            }
            at += 1;
            if length != files[file].len() {
                panic!("strata: a migration file changed while it was being compiled; build again");
            }
            file += 1;
        }
        i += 1;
    }
}

/// The encoded string for `migration`, whose sections come from `files` (paths relative to
/// the manifest directory, as in [`Section::path`]) of the given lengths in bytes.
pub fn encode(migration: &Migration, files: &[(&str, u64)]) -> String {
    let clean = |text: &str| text.replace(SEPARATOR, "\u{FFFD}");
    let mut fields: Vec<String> = vec![FORMAT.to_string()];
    fields.extend(files.iter().map(|(_, length)| length.to_string()));
    fields.extend([
        migration.version().to_string(),
        clean(migration.name()),
        clean(migration.checksum()),
        if migration.transactional() { "1" } else { "0" }.to_string(),
        migration.prefix_digest().map(clean).unwrap_or_default(),
    ]);
    for section in std::iter::once(migration.up_section()).chain(migration.down_section()) {
        let index = files
            .iter()
            .position(|(path, _)| *path == section.path())
            .unwrap_or(0);
        let start = section.raw_offset();
        let mut numbers = vec![start, start + section.sql().len() as u32, section.line()];
        for statement in section.statements() {
            let range = statement.range();
            numbers.extend([range.start as u32, range.end as u32, statement.line()]);
        }
        let numbers: Vec<String> = numbers.iter().map(u32::to_string).collect();
        fields.extend([index.to_string(), clean(section.path()), numbers.join(" ")]);
    }
    fields.join(&SEPARATOR.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str =
        "-- UP\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n-- DOWN\nDROP TABLE a;\n";
    const DOWN_FILE: &str = "DROP TABLE a;\n";

    fn leak(text: String) -> &'static str {
        Box::leak(text.into_boxed_str())
    }

    fn migration(
        down_in_other_file: bool,
    ) -> (Migration, Vec<&'static str>, Vec<(&'static str, u64)>) {
        let up = Section::embedded(
            FILE,
            6,
            57,
            "m/1_a.sql",
            2,
            vec![Statement::new(0, 24, 2), Statement::new(26, 50, 3)],
        );
        let (down, files) = if down_in_other_file {
            let down = Section::embedded(
                DOWN_FILE,
                0,
                14,
                "m/1_a.down.sql",
                1,
                vec![Statement::new(0, 12, 1)],
            );
            (
                down,
                vec![
                    ("m/1_a.sql", FILE.len() as u64),
                    ("m/1_a.down.sql", DOWN_FILE.len() as u64),
                ],
            )
        } else {
            (
                Section::embedded(FILE, 65, 79, "m/1_a.sql", 5, vec![Statement::new(0, 12, 5)]),
                vec![("m/1_a.sql", FILE.len() as u64)],
            )
        };
        let mut migration = Migration::from_parts(1, "a", up, Some(down), "c0ffee", false);
        migration.set_prefix_digest("d1g".into());
        let texts = if down_in_other_file {
            vec![FILE, DOWN_FILE]
        } else {
            vec![FILE]
        };
        (migration, texts, files)
    }

    #[test]
    fn decodes_what_it_encodes() {
        for separate in [false, true] {
            let (original, texts, files) = migration(separate);
            let embedded = Embedded(
                Box::leak(texts.into_boxed_slice()),
                leak(encode(&original, &files)),
            );
            check_lengths(&[embedded]);
            let decoded = embedded.decode();
            assert_eq!(decoded, original);
            assert_eq!(
                decoded.down_section().map(Section::path),
                original.down_section().map(Section::path)
            );
            assert_eq!(decoded.up_section().raw_offset(), 6);
            assert_eq!(
                (embedded.version(), embedded.prefix_digest()),
                (1, Some("d1g"))
            );
        }
    }

    #[test]
    #[should_panic(expected = "changed while it was being compiled")]
    fn a_file_of_another_length_fails_the_check() {
        let (original, _, files) = migration(false);
        check_lengths(&[Embedded(&["shorter"], leak(encode(&original, &files)))]);
    }

    #[test]
    fn garbage_decodes_without_panicking() {
        for text in [
            "",
            "\0",
            "strata-embedded-1\0x\0y\0\0\0\0\0\0\0\0",
            "strata-embedded-1\x000\x001\x00a\x00c\x001\x00\x009\x00p\x001 2",
        ] {
            let embedded = Embedded(&["abc"], text);
            let _ = (
                embedded.decode(),
                embedded.version(),
                embedded.prefix_digest(),
            );
        }
    }
}
