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

use super::pdf_guard::{self, StructureError};

/// Glyphs (spaces included) pdf-extract may hand over for a whole document: each costs
/// work and, when kept, memory, and a few bytes of compressed content can draw millions.
const MAX_GLYPHS: usize = 2_000_000;
/// Glyphs kept for one page; a dense real page has a few thousand.
const MAX_PAGE_GLYPHS: usize = 200_000;
/// Candidate checks the block layout may make for one page. Real pages need a few per
/// segment; this bounds layouts built to keep many blocks open at once.
const MAX_LAYOUT_STEPS: usize = 50_000_000;

#[derive(Debug, thiserror::Error)]
pub(crate) enum PdfTextError {
    #[error(transparent)]
    Read(#[from] OutputError),
    #[error(transparent)]
    Structure(#[from] StructureError),
    #[error("the document draws more than {0} characters")]
    TooManyGlyphs(usize),
    #[error("a page draws more than {0} characters")]
    PageTooDense(usize),
    #[error("a page's text is laid out in too many separate blocks")]
    LayoutTooComplex,
}

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

/// The glyph budgets of one extraction (smaller in tests).
#[derive(Clone, Copy)]
struct Limits {
    glyphs: usize,
    page_glyphs: usize,
}

const LIMITS: Limits = Limits {
    glyphs: MAX_GLYPHS,
    page_glyphs: MAX_PAGE_GLYPHS,
};

struct Collector {
    pages: Vec<Vec<Glyph>>,
    page_height: f64,
    limits: Limits,
    seen: usize,
    /// Why extraction was stopped: pdf-extract's error type has no room for it.
    refused: Option<PdfTextError>,
}

impl Collector {
    fn new(limits: Limits) -> Self {
        Self {
            pages: Vec::new(),
            page_height: 0.0,
            limits,
            seen: 0,
            refused: None,
        }
    }

    fn refuse(&mut self, why: PdfTextError) -> Result<(), OutputError> {
        self.refused = Some(why);
        Err(OutputError::FormatError(std::fmt::Error))
    }
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
        self.seen += 1;
        if self.seen > self.limits.glyphs {
            return self.refuse(PdfTextError::TooManyGlyphs(self.limits.glyphs));
        }
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
        let page_glyphs = self.limits.page_glyphs;
        if self
            .pages
            .last()
            .is_some_and(|page| page.len() >= page_glyphs)
        {
            return self.refuse(PdfTextError::PageTooDense(page_glyphs));
        }
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
pub(crate) fn pdf_page_texts(bytes: &[u8]) -> Result<Vec<String>, PdfTextError> {
    page_texts(bytes, LIMITS)
}

fn page_texts(bytes: &[u8], limits: Limits) -> Result<Vec<String>, PdfTextError> {
    let mut document = Document::load_mem(bytes).map_err(OutputError::from)?;
    if document.is_encrypted() {
        // Files that open without a password (permissions only) are readable.
        document.decrypt("").map_err(OutputError::from)?;
    }
    // pdf-extract recurses into forms and page-tree parents unchecked: refuse the files
    // that would overflow the stack (an abort of the whole process) before it runs.
    pdf_guard::check(&document)?;
    let mut collector = Collector::new(limits);
    if let Err(error) = output_doc(&document, &mut collector) {
        return Err(collector.refused.take().unwrap_or(error.into()));
    }
    collector.pages.into_iter().map(layout_page).collect()
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
pub(crate) fn layout_page(glyphs: Vec<Glyph>) -> Result<String, PdfTextError> {
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
        for block in blocks(segments(lines(glyphs)))? {
            for segment in block {
                out.push_str(&segment.text);
                out.push('\n');
            }
            out.push('\n');
        }
    }
    out.push('\u{c}');
    Ok(out)
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
fn segments(lines: Vec<Vec<Glyph>>) -> Vec<Vec<Segment>> {
    let mut all = Vec::new();
    for line in lines {
        let mut segments = Vec::new();
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
        all.push(segments);
    }
    all
}

/// Segments grouped into blocks: each joins the nearest block whose last line is just
/// above it and overlaps it horizontally (the earliest block on a tie). Blocks come top
/// to bottom, then left to right.
///
/// Lines arrive top to bottom, and every glyph of a later line lies lower than every
/// glyph of the current one. So once the current line's highest segment is more than
/// the block spacing below a block's last segment, no later segment can join that block
/// and it leaves the `open` list; only open blocks are compared, which keeps the work
/// near-linear for real pages.
fn blocks(lines: Vec<Vec<Segment>>) -> Result<Vec<Vec<Segment>>, PdfTextError> {
    let mut blocks: Vec<Vec<Segment>> = Vec::new();
    // Indices of blocks a later segment may still join, in creation order.
    let mut open: Vec<usize> = Vec::new();
    let mut steps = 0usize;
    let mut step = |count: usize| {
        steps = steps.saturating_add(count);
        if steps > MAX_LAYOUT_STEPS {
            return Err(PdfTextError::LayoutTooComplex);
        }
        Ok(())
    };
    for line in lines {
        let highest = line
            .iter()
            .map(|segment| segment.baseline)
            .min_by(f64::total_cmp);
        if let Some(highest) = highest {
            step(open.len())?;
            // The same subtraction as `near` below, so a block leaves exactly when no
            // lower segment could pass that test.
            open.retain(|index| {
                blocks
                    .get(*index)
                    .and_then(|block| block.last())
                    .is_some_and(|last| highest - last.baseline <= BLOCK_LINE_SPACING * last.size)
            });
        }
        for segment in line {
            step(open.len())?;
            let joins = open
                .iter()
                .filter_map(|index| {
                    let last = blocks.get(*index)?.last()?;
                    let drop = segment.baseline - last.baseline;
                    let below = drop > SAME_LINE * last.size;
                    let near = drop <= BLOCK_LINE_SPACING * last.size;
                    let overlaps = segment.start < last.end && segment.end > last.start;
                    (below && near && overlaps).then_some((*index, drop))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(index, _)| index);
            match joins.and_then(|index| blocks.get_mut(index)) {
                Some(block) => block.push(segment),
                None => {
                    open.push(blocks.len());
                    blocks.push(vec![segment]);
                }
            }
        }
    }
    blocks.sort_by(|a, b| match (a.first(), b.first()) {
        (Some(a), Some(b)) => a
            .baseline
            .total_cmp(&b.baseline)
            .then(a.start.total_cmp(&b.start)),
        _ => std::cmp::Ordering::Equal,
    });
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::pdf_testing::pdf_with_forms;

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
            layout_page(glyphs).unwrap(),
            "first line\nsecond line\n\nfar below\n\n\u{c}"
        );
    }

    #[test]
    fn wide_gaps_make_columns_read_one_after_the_other() {
        let mut glyphs = word("left", 72.0, 42.0, 12.0);
        glyphs.extend(word("right", 300.0, 42.0, 12.0));
        glyphs.extend(word("left two", 72.0, 62.0, 12.0));
        assert_eq!(
            layout_page(glyphs).unwrap(),
            "left\nleft two\n\nright\n\n\u{c}"
        );
    }

    #[test]
    fn an_empty_page_is_a_form_feed() {
        assert_eq!(layout_page(Vec::new()).unwrap(), "\u{c}");
    }

    /// The review's input: one glyph per line, lines 3 font sizes apart, so every line
    /// is a block of its own. Every block used to be compared with every earlier one.
    #[test]
    fn many_one_line_blocks_are_laid_out() {
        let lines = 20_000;
        let glyphs = (0..lines)
            .flat_map(|i| word("a", 10.0, 3.0 * i as f64, 1.0))
            .collect();
        assert_eq!(
            layout_page(glyphs).unwrap(),
            "a\n\n".repeat(lines) + "\u{c}"
        );
    }

    /// The layout before open blocks were tracked: every block is a candidate.
    fn blocks_by_full_scan(lines: Vec<Vec<Segment>>) -> Vec<Vec<String>> {
        let mut blocks: Vec<Vec<Segment>> = Vec::new();
        for segment in lines.into_iter().flatten() {
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
        texts(blocks)
    }

    fn texts(blocks: Vec<Vec<Segment>>) -> Vec<Vec<String>> {
        blocks
            .into_iter()
            .map(|block| block.into_iter().map(|s| s.text).collect())
            .collect()
    }

    /// Crowded pages of mixed sizes, with glyphs slightly off their line's baseline:
    /// tracking open blocks must group exactly as comparing with every block did.
    #[test]
    fn open_block_tracking_matches_the_full_scan() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |range: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % range
        };
        for _ in 0..200 {
            let glyphs: Vec<Glyph> = (0..300)
                .map(|i| {
                    let size = [1.0, 4.0, 12.0, 30.0][next(4) as usize];
                    let start = next(400) as f64;
                    Glyph {
                        orientation: 0,
                        start,
                        end: start + 0.6 * size,
                        baseline: next(600) as f64 + next(10) as f64 / 10.0,
                        size,
                        text: char::from(b'a' + (i % 26) as u8).to_string(),
                    }
                })
                .collect();
            let tracked = blocks(segments(lines(glyphs.clone()))).unwrap();
            assert_eq!(texts(tracked), blocks_by_full_scan(segments(lines(glyphs))));
        }
    }

    const SMALL: Limits = Limits {
        glyphs: 1_000,
        page_glyphs: 100,
    };

    #[test]
    fn a_page_past_its_glyph_budget_is_refused() {
        let text = "a".repeat(101);
        let page = format!("BT /F1 12 Tf 72 700 Td ({text}) Tj ET");
        let pdf = pdf_with_forms(&page, &[]);
        assert!(matches!(
            page_texts(&pdf, SMALL),
            Err(PdfTextError::PageTooDense(100))
        ));
        let fits = format!("BT /F1 12 Tf 72 700 Td ({}) Tj ET", "a".repeat(100));
        let pdf = pdf_with_forms(&fits, &[]);
        assert_eq!(
            page_texts(&pdf, SMALL).unwrap(),
            ["a".repeat(100) + "\n\n\u{c}"]
        );
    }

    /// Spaces are not kept but still cost work: a form of spaces drawn many times.
    #[test]
    fn a_document_past_its_glyph_budget_is_refused() {
        let spaces = format!("BT /F1 12 Tf 72 700 Td ({}) Tj ET", " ".repeat(100));
        let pdf = pdf_with_forms(&"/S Do ".repeat(11), &[("S", &spaces)]);
        assert!(matches!(
            page_texts(&pdf, SMALL),
            Err(PdfTextError::TooManyGlyphs(1_000))
        ));
    }

    /// Used to overflow the stack and abort the process.
    #[test]
    fn a_self_drawing_form_is_an_error() {
        let pdf = pdf_with_forms(
            "/X1 Do",
            &[("X1", "q BT /F1 12 Tf 72 600 Td (x) Tj ET /X1 Do Q")],
        );
        let error = pdf_page_texts(&pdf).unwrap_err();
        assert_eq!(error.to_string(), "a form XObject draws itself");
    }

    #[test]
    fn text_inside_forms_is_read() {
        let pdf = pdf_with_forms(
            "BT /F1 12 Tf 72 700 Td (page) Tj ET /X1 Do",
            &[("X1", "BT /F1 12 Tf 72 600 Td (form) Tj ET")],
        );
        assert_eq!(pdf_page_texts(&pdf).unwrap(), ["page\n\nform\n\n\u{c}"]);
    }
}
