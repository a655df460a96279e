//! Bar charts: vertical bars over categories (lift by decile) or horizontal
//! bars over long labels (feature importances), with optional whiskers and a
//! reference value.

use std::fmt::Write;

use super::{CHAR_WIDTH, COLOURS, Frame, TICKS, Ticks, px};
use crate::html::escape;

/// Labels longer than this many characters are cut with an ellipsis.
const MAX_LABEL: usize = 28;
/// Height of one horizontal bar's band, in pixels.
const BAND: f64 = 22.0;

/// One bar: its category label, value and optional ± whisker.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Category label.
    pub label: String,
    /// Length of the bar, from 0.
    pub value: f64,
    /// Half-length of an error whisker around the value.
    pub whisker: Option<f64>,
}

/// Bars with a numeric value axis and a category axis.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    title: String,
    category_title: String,
    value_title: String,
    horizontal: bool,
    reference: Option<f64>,
    bars: Vec<Bar>,
}

impl BarChart {
    /// Vertical bars, categories along x under `category_title`.
    pub fn vertical(title: &str, category_title: &str, value_title: &str) -> Self {
        Self {
            title: title.to_owned(),
            category_title: category_title.to_owned(),
            value_title: value_title.to_owned(),
            horizontal: false,
            reference: None,
            bars: Vec::new(),
        }
    }

    /// Horizontal bars, categories down y (first on top); their labels make
    /// `category_title` redundant, so it is not drawn.
    pub fn horizontal(title: &str, category_title: &str, value_title: &str) -> Self {
        Self {
            horizontal: true,
            ..Self::vertical(title, category_title, value_title)
        }
    }

    /// Adds a dashed line at `value` across the bars (lift 1: no better than chance).
    pub fn reference(mut self, value: f64) -> Self {
        self.reference = Some(value);
        self
    }

    /// Adds the bars with a finite value (and whisker, if any).
    pub fn bars(mut self, bars: Vec<Bar>) -> Self {
        let finite = |b: &Bar| b.value.is_finite() && b.whisker.is_none_or(f64::is_finite);
        self.bars.extend(bars.into_iter().filter(finite));
        self
    }

    /// The value ticks: 0, every bar with its whiskers, and the reference.
    fn ticks(&self) -> Ticks {
        let ends = self.bars.iter().flat_map(|b| {
            let w = b.whisker.unwrap_or(0.0).abs();
            [b.value - w, b.value + w]
        });
        let (lo, hi) = ends
            .chain(self.reference)
            .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        Ticks::nice(lo, hi, TICKS)
    }

    /// A category label as drawn: cut to [`MAX_LABEL`] characters.
    fn short(label: &str) -> String {
        if label.chars().count() > MAX_LABEL {
            let cut: String = label.chars().take(MAX_LABEL - 1).collect();
            format!("{cut}…")
        } else {
            label.to_owned()
        }
    }

    /// The frame: horizontal bars widen the left margin to their labels and
    /// grow one band per bar.
    fn frame(&self) -> Frame {
        if !self.horizontal {
            return Frame::default();
        }
        let longest = self
            .bars
            .iter()
            .map(|b| Self::short(&b.label).chars().count())
            .max()
            .unwrap_or(0);
        let left = (16.0 + CHAR_WIDTH * longest as f64).clamp(80.0, 220.0);
        Frame {
            width: 400.0 + left,
            height: (80.0 + BAND * self.bars.len() as f64).max(160.0),
            left,
        }
    }

    /// The `<svg>` element.
    pub fn render(&self) -> String {
        let frame = self.frame();
        let ticks = self.ticks();
        let mut out = frame.open(&self.title);
        let n = self.bars.len().max(1) as f64;
        // The band of bar i runs from start + i * band over one band.
        let (start, band, value) = if self.horizontal {
            // The labels name the categories; a turned title would cover them.
            frame.x_axis(&mut out, &ticks, &self.value_title);
            let y = frame.y((0.0, 1.0));
            (
                y.range.1,
                (y.range.0 - y.range.1) / n,
                frame.x(ticks.domain()),
            )
        } else {
            frame.y_axis(&mut out, &ticks, &self.value_title);
            frame.x_title(&mut out, &self.category_title);
            let x = frame.x((0.0, 1.0));
            (
                x.range.0,
                (x.range.1 - x.range.0) / n,
                frame.y(ticks.domain()),
            )
        };
        frame.axis_lines(&mut out);
        let zero = value.map(0.0);
        for (i, b) in self.bars.iter().enumerate() {
            let centre = start + band * (i as f64 + 0.5);
            let (thick, end) = (band * 0.7, value.map(b.value));
            let (lo, len) = (zero.min(end), (end - zero).abs());
            let (x, y, w, h) = if self.horizontal {
                (lo, centre - thick / 2.0, len, thick)
            } else {
                (centre - thick / 2.0, lo, thick, len)
            };
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
                px(x),
                px(y),
                px(w),
                px(h),
                COLOURS[0],
                escape(&b.label),
                escape(&crate::html::number(b.value)),
            );
            if let Some(whisker) = b.whisker {
                let (a, z) = (value.map(b.value - whisker), value.map(b.value + whisker));
                let d = if self.horizontal {
                    format!("M{} {}H{}", px(a), px(centre), px(z))
                } else {
                    format!("M{} {}V{}", px(centre), px(a), px(z))
                };
                let _ = write!(out, "<path class=\"whisker\" d=\"{d}\"/>");
            }
            let label = escape(&Self::short(&b.label));
            let _ = if self.horizontal {
                write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" dy=\"4\" text-anchor=\"end\">{label}</text>",
                    px(frame.left - 6.0),
                    px(centre),
                )
            } else {
                write!(
                    out,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
                    px(centre),
                    px(frame.height - 32.0),
                )
            };
        }
        if let Some(r) = self.reference {
            let at = px(value.map(r));
            let (a, z) = (px(start), px(start + band * n));
            let line = if self.horizontal {
                format!("x1=\"{at}\" y1=\"{a}\" x2=\"{at}\" y2=\"{z}\"")
            } else {
                format!("x1=\"{a}\" y1=\"{at}\" x2=\"{z}\" y2=\"{at}\"")
            };
            let _ = write!(out, "<line class=\"reference\" {line}/>");
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64, whisker: Option<f64>) -> Bar {
        Bar {
            label: label.to_owned(),
            value,
            whisker,
        }
    }

    /// Two bars over x 60..460: bands of 200, bars of 140 centred on 160 and
    /// 360; values 0..2 over y 270..30, so 2 is at 30 and the reference 1 at 150.
    #[test]
    fn vertical_bars_and_reference() {
        let svg = BarChart::vertical("Lift", "decile", "lift")
            .reference(1.0)
            .bars(vec![
                bar("1", 2.0, None),
                bar("2", 1.0, None),
                bar("x", f64::NAN, None),
            ])
            .render();
        assert!(
            svg.contains("<rect x=\"90\" y=\"30\" width=\"140\" height=\"240\""),
            "{svg}"
        );
        assert!(
            svg.contains("<rect x=\"290\" y=\"150\" width=\"140\" height=\"120\""),
            "{svg}"
        );
        assert!(
            svg.contains("x1=\"60\" y1=\"150\" x2=\"460\" y2=\"150\""),
            "{svg}"
        );
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">decile</text>") && svg.contains(">lift</text>"));
    }

    /// Values -0.1..0.6 with the whisker give ticks -0.2..0.6 over x 80..460
    /// (380 px for 0.8): 0 is at 175, 0.5 at 412.5, 0.4 at 365, -0.1 at
    /// 127.5. Two bands of 40 from y 30: centres 50 and 90, bars 28 thick.
    #[test]
    fn horizontal_bars_with_whiskers_and_negative_values() {
        let svg = BarChart::horizontal("Importance", "feature", "drop")
            .bars(vec![bar("a", 0.5, Some(0.1)), bar("b", -0.1, None)])
            .render();
        assert!(
            svg.contains("<rect x=\"175\" y=\"36\" width=\"237.5\" height=\"28\""),
            "{svg}"
        );
        assert!(svg.contains("d=\"M365 50H460\""), "{svg}");
        assert!(
            svg.contains("<rect x=\"127.5\" y=\"76\" width=\"47.5\" height=\"28\""),
            "{svg}"
        );
        assert!(svg.contains("viewBox=\"0 0 480 160\""));
        let long = "x".repeat(40);
        let svg = BarChart::horizontal("t", "f", "v")
            .bars(vec![bar(&long, 1.0, None)])
            .render();
        assert!(svg.contains(&format!(">{}…</text>", "x".repeat(27))));
    }
}
