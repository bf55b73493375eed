//! The text of a PDF, page by page, laid out the way poppler's `pdftotext` (reading
//! order, the mode the reference's `pdftotext` binding uses) lays it out: each line ends
//! with a newline, a blank line closes each block of lines, and a form feed closes each
//! page.
//!
//! pdf-extract reads the glyphs and their positions; its own text output glues separate
//! text objects together (it compares each glyph with the previous one only) and breaks
//! lines twice, so the layout is redone here from the positions. The rules are a small
//! subset of poppler's: glyphs on one baseline (within half the font size) form a line;
//! a gap of more than a tenth of the font size is a word break written as one space, and
//! a gap wider than the font size starts another column; a line segment belongs to the
//! block above it when it overlaps it horizontally and its baseline is at most 2.5 font
//! sizes lower. Text in each of the four orientations is laid out on its own, the
//! orientation with the most glyphs first.

use pdf_extract::{Document, MediaBox, OutputDev, OutputError, Transform, output_doc};

/// One glyph in the coordinates of its orientation: `start`..`end` along the baseline,
/// `baseline` across it (growing down the page for upright text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glyph {
    pub orientation: usize,
    pub start: f64,
    pub end: f64,
    pub baseline: f64,
    pub size: f64,
    pub text: String,
}

/// The reading direction and the "down the page" direction of each orientation, in
/// page coordinates with y growing downwards.
const AXES: [((f64, f64), (f64, f64)); 4] = [
    ((1.0, 0.0), (0.0, 1.0)),
    ((0.0, 1.0), (-1.0, 0.0)),
    ((-1.0, 0.0), (0.0, -1.0)),
    ((0.0, -1.0), (1.0, 0.0)),
];

/// Fractions of the font size, from poppler's layout rules.
const SAME_LINE: f64 = 0.5;
const WORD_BREAK: f64 = 0.1;
const COLUMN_GAP: f64 = 1.0;
const BLOCK_LINE_SPACING: f64 = 2.5;

#[derive(Default)]
struct Collector {
    pages: Vec<Vec<Glyph>>,
    page_height: f64,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.page_height = media_box.ury - media_box.lly;
        self.pages.push(Vec::new());
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        if text.trim().is_empty() {
            // Spaces only move the pen; word breaks come from the gaps they leave.
            return Ok(());
        }
        // Page coordinates with y downwards; the glyph's baseline direction likewise.
        let (x, y) = (trm.m31, self.page_height - trm.m32);
        let (dx, dy) = (trm.m11, -trm.m12);
        let scale = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs().sqrt();
        let size = font_size.abs() * scale;
        let advance = width * font_size.abs() * dx.hypot(dy);
        if !(size.is_finite() && advance.is_finite() && x.is_finite() && y.is_finite()) {
            return Ok(());
        }
        let quarter_turns = (dy.atan2(dx) / std::f64::consts::FRAC_PI_2).round() as i64;
        let orientation = quarter_turns.rem_euclid(4) as usize;
        let ((ax, ay), (bx, by)) = AXES[orientation];
        let start = x * ax + y * ay;
        if let Some(page) = self.pages.last_mut() {
            page.push(Glyph {
                orientation,
                start,
                end: start + advance,
                baseline: x * bx + y * by,
                size: if size > 0.0 { size } else { 1.0 },
                text: text.to_owned(),
            });
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// The text of every page of a PDF, each ending with a form feed.
pub(crate) fn pdf_page_texts(bytes: &[u8]) -> Result<Vec<String>, OutputError> {
    let mut document = Document::load_mem(bytes)?;
    if document.is_encrypted() {
        // Files that open without a password (permissions only) are readable.
        document.decrypt("")?;
    }
    let mut collector = Collector::default();
    output_doc(&document, &mut collector)?;
    Ok(collector.pages.into_iter().map(layout_page).collect())
}

/// A run of glyphs on one line with no column gap inside.
#[derive(Debug)]
struct Segment {
    text: String,
    start: f64,
    end: f64,
    baseline: f64,
    size: f64,
}

/// One page's glyphs as text.
pub(crate) fn layout_page(glyphs: Vec<Glyph>) -> String {
    let mut by_orientation: Vec<Vec<Glyph>> = vec![Vec::new(); 4];
    for glyph in glyphs {
        by_orientation[glyph.orientation].push(glyph);
    }
    let mut order: Vec<usize> = (0..4).collect();
    // The orientation with the most glyphs comes first (poppler's primary rotation).
    order.sort_by_key(|o| std::cmp::Reverse(by_orientation[*o].len()));
    let mut out = String::new();
    for orientation in order {
        let glyphs = std::mem::take(&mut by_orientation[orientation]);
        for block in blocks(segments(lines(glyphs))) {
            for segment in block {
                out.push_str(&segment.text);
                out.push('\n');
            }
            out.push('\n');
        }
    }
    out.push('\u{c}');
    out
}

/// Glyphs grouped by baseline, each line in reading order.
fn lines(mut glyphs: Vec<Glyph>) -> Vec<Vec<Glyph>> {
    glyphs.sort_by(|a, b| a.baseline.total_cmp(&b.baseline));
    let mut lines: Vec<Vec<Glyph>> = Vec::new();
    for glyph in glyphs {
        match lines.last_mut() {
            Some(line) if (glyph.baseline - line[0].baseline).abs() <= SAME_LINE * line[0].size => {
                line.push(glyph)
            }
            _ => lines.push(vec![glyph]),
        }
    }
    for line in &mut lines {
        line.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
    lines
}

/// Each line cut at column gaps, with single spaces at word gaps.
fn segments(lines: Vec<Vec<Glyph>>) -> Vec<Segment> {
    let mut segments = Vec::new();
    for line in lines {
        let mut current: Option<Segment> = None;
        for glyph in line {
            match current.as_mut() {
                Some(segment) if glyph.start - segment.end <= COLUMN_GAP * segment.size => {
                    if glyph.start - segment.end > WORD_BREAK * segment.size {
                        segment.text.push(' ');
                    }
                    segment.text.push_str(&glyph.text);
                    segment.end = segment.end.max(glyph.end);
                }
                _ => {
                    segments.extend(current.take());
                    current = Some(Segment {
                        text: glyph.text,
                        start: glyph.start,
                        end: glyph.end,
                        baseline: glyph.baseline,
                        size: glyph.size,
                    });
                }
            }
        }
        segments.extend(current);
    }
    segments
}

/// Segments grouped into blocks: each joins the nearest block whose last line is just
/// above it and overlaps it horizontally. Blocks come top to bottom, then left to right.
fn blocks(segments: Vec<Segment>) -> Vec<Vec<Segment>> {
    let mut blocks: Vec<Vec<Segment>> = Vec::new();
    for segment in segments {
        let joins = blocks
            .iter()
            .enumerate()
            .filter_map(|(index, block)| {
                let last = block.last()?;
                let drop = segment.baseline - last.baseline;
                let below = drop > SAME_LINE * last.size;
                let near = drop <= BLOCK_LINE_SPACING * last.size;
                let overlaps = segment.start < last.end && segment.end > last.start;
                (below && near && overlaps).then_some((index, drop))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(index, _)| index);
        match joins {
            Some(index) => blocks[index].push(segment),
            None => blocks.push(vec![segment]),
        }
    }
    blocks.sort_by(|a, b| {
        a[0].baseline
            .total_cmp(&b[0].baseline)
            .then(a[0].start.total_cmp(&b[0].start))
    });
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upright glyphs of a word, 6 units per character, at `x` on baseline `y`.
    fn word(text: &str, x: f64, y: f64, size: f64) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .filter(|(_, c)| *c != ' ')
            .map(|(i, c)| Glyph {
                orientation: 0,
                start: x + 6.0 * i as f64,
                end: x + 6.0 * (i + 1) as f64,
                baseline: y,
                size,
                text: c.to_string(),
            })
            .collect()
    }

    #[test]
    fn lines_blocks_and_page_end() {
        let mut glyphs = word("second line", 72.0, 62.0, 12.0);
        glyphs.extend(word("first line", 72.0, 42.0, 12.0));
        glyphs.extend(word("far below", 72.0, 200.0, 12.0));
        assert_eq!(
            layout_page(glyphs),
            "first line\nsecond line\n\nfar below\n\n\u{c}"
        );
    }

    #[test]
    fn wide_gaps_make_columns_read_one_after_the_other() {
        let mut glyphs = word("left", 72.0, 42.0, 12.0);
        glyphs.extend(word("right", 300.0, 42.0, 12.0));
        glyphs.extend(word("left two", 72.0, 62.0, 12.0));
        assert_eq!(layout_page(glyphs), "left\nleft two\n\nright\n\n\u{c}");
    }

    #[test]
    fn an_empty_page_is_a_form_feed() {
        assert_eq!(layout_page(Vec::new()), "\u{c}");
    }
}
