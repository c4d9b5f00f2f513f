//! Byte offsets -> 1-based line and character column. The one place that counts them, so
//! findings, file positions of sections and the runtime's error locations always agree.

/// A position in a file: byte range plus the 1-based line and character column of its start.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    pub start: usize,
    pub end: usize,
}

/// The 1-based line and 1-based column (in characters) of byte `offset` in `text`. An offset
/// inside a multi-byte character maps to that character's start; one past the end is clamped
/// to the end.
pub fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let offset = floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let newlines = before[..line_start].bytes().filter(|b| *b == b'\n').count();
    (saturate(newlines + 1), column(text, line_start, offset))
}

/// 1-based character column of `offset`, given the start of its line. Both are char
/// boundaries with `line_start <= offset`.
fn column(text: &str, line_start: usize, offset: usize) -> u32 {
    saturate(text[line_start..offset].chars().count() + 1)
}

/// Positions past `u32::MAX` (a 4 GiB line) stay at the maximum instead of wrapping.
fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Byte offset -> line/column for many offsets of one file's text: the line starts are
/// computed once, the column by the same code as [`line_column`].
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        saturate(self.line_starts.partition_point(|start| *start <= offset))
    }

    /// Byte offset where a 1-based line starts (clamped to the text).
    pub fn line_start(&self, line: u32) -> usize {
        let index = (line.max(1) - 1) as usize;
        self.line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The same as [`line_column`] over this index's text.
    pub fn line_column(&self, offset: usize) -> (u32, u32) {
        let offset = floor_char_boundary(self.text, offset);
        let line = self.line(offset);
        (line, column(self.text, self.line_start(line), offset))
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        let start = floor_char_boundary(self.text, start);
        let end = floor_char_boundary(self.text, end.max(start));
        let (line, column) = self.line_column(start);
        Span {
            line,
            column,
            start,
            end,
        }
    }

    /// Byte offset of a 1-based line and character column (as sqlparser reports them).
    pub fn offset_of(&self, line: u32, column: u32) -> usize {
        let start = self.line_start(line);
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(column.max(1) as usize - 1)
            .map_or(self.text.len(), |(i, _)| start + i)
    }
}

/// The smallest char boundary at or above `offset` (clamped to the text).
#[doc(hidden)]
pub fn ceil_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// The largest char boundary at or below `offset` (clamped to the text).
#[doc(hidden)]
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_and_clamps() {
        // The runtime's cases (runner.rs `text_position`), which this function replaces.
        let sql = "DROP TABLE a;\n-- é\nDROP TABLE ébc;";
        let offset = sql.find("ébc").expect("present");
        assert_eq!(line_column(sql, offset), (3, 12));
        assert_eq!(line_column(sql, 0), (1, 1));
        assert_eq!(
            line_column(sql, offset + 1),
            (3, 12),
            "inside a character: its start"
        );
        assert_eq!(line_column(sql, 10_000), (3, 16));
    }

    #[test]
    fn edges() {
        assert_eq!(line_column("", 0), (1, 1));
        assert_eq!(line_column("", 5), (1, 1));
        assert_eq!(line_column("a\n", 1), (1, 2), "the newline itself");
        assert_eq!(line_column("a\n", 2), (2, 1), "just after it");
        assert_eq!(line_column("a\r\nb", 3), (2, 1));
        assert_eq!(line_column("\n\n\n", 3), (4, 1));
    }

    #[test]
    fn the_index_agrees_with_the_function() {
        let text = "ab\n\u{e9}t\u{e9}\n\n  x\u{1F600}y\nlast";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            let expected = line_column(text, offset);
            assert_eq!(index.line_column(offset), expected, "offset {offset}");
            let span = index.span(offset, offset);
            assert_eq!((span.line, span.column), expected, "offset {offset}");
        }
    }
}
