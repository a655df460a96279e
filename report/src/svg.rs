//! Charts drawn as inline SVG by hand: a plot frame with axes, tick labels,
//! axis titles and a `<title>`; [`LineChart`] for curves and [`BarChart`]
//! for bars. Text is laid out by estimate (no font metrics are needed, which
//! is why no plotting crate is used).

mod bar;
mod scale;

use std::fmt::Write;

pub use bar::{Bar, BarChart};
pub use scale::{Scale, Ticks, px};

use crate::html::escape;

/// Series colours, in order (the Tableau 10 palette, readable in print).
const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/// Estimated width of one character of 11 px text, in pixels.
const CHAR_WIDTH: f64 = 6.5;

/// About this many ticks on a numeric axis.
const TICKS: usize = 5;

/// The drawing area of a chart: the whole picture and its margins, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Width of the picture.
    pub width: f64,
    /// Height of the picture.
    pub height: f64,
    /// Room left of the plot, for tick labels and the y title.
    pub left: f64,
}

/// Room right of the plot.
const RIGHT: f64 = 20.0;
/// Room above the plot.
const TOP: f64 = 30.0;
/// Room below the plot, for tick labels and the x title.
const BOTTOM: f64 = 50.0;

impl Default for Frame {
    /// 480 by 320 with the plot at x 60..460 and y 30..270.
    fn default() -> Self {
        Self {
            width: 480.0,
            height: 320.0,
            left: 60.0,
        }
    }
}

impl Frame {
    /// A scale from `domain` to the plot's horizontal extent.
    pub fn x(&self, domain: (f64, f64)) -> Scale {
        Scale {
            domain,
            range: (self.left, self.width - RIGHT),
        }
    }

    /// A scale from `domain` to the plot's vertical extent, upwards.
    pub fn y(&self, domain: (f64, f64)) -> Scale {
        Scale {
            domain,
            range: (self.height - BOTTOM, TOP),
        }
    }

    /// Opens the `<svg>` element with its `<title>`.
    pub fn open(&self, title: &str) -> String {
        format!(
            "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\"><title>{}</title>",
            escape(title),
            w = px(self.width),
            h = px(self.height),
        )
    }

    /// Draws a numeric x axis: grid, tick labels and `title` below.
    pub fn x_axis(&self, out: &mut String, ticks: &Ticks, title: &str) {
        let x = self.x(ticks.domain());
        let (bottom, top) = (self.height - BOTTOM, TOP);
        for &v in &ticks.values {
            let at = px(x.map(v));
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{at}\" y1=\"{}\" x2=\"{at}\" y2=\"{}\"/><text x=\"{at}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                px(top),
                px(bottom + 5.0),
                px(bottom + 18.0),
                escape(&ticks.label(v)),
            );
        }
        self.x_title(out, title);
    }

    /// Writes the x axis title, centred under the plot.
    pub fn x_title(&self, out: &mut String, title: &str) {
        let centre = (self.left + self.width - RIGHT) / 2.0;
        let _ = write!(
            out,
            "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(centre),
            px(self.height - 12.0),
            escape(title),
        );
    }

    /// Draws a numeric y axis: grid, tick labels and `title` on the left.
    pub fn y_axis(&self, out: &mut String, ticks: &Ticks, title: &str) {
        let y = self.y(ticks.domain());
        for &v in &ticks.values {
            let at = px(y.map(v));
            let _ = write!(
                out,
                "<line class=\"grid\" x1=\"{}\" y1=\"{at}\" x2=\"{}\" y2=\"{at}\"/><text x=\"{}\" y=\"{at}\" dy=\"4\" text-anchor=\"end\">{}</text>",
                px(self.left - 5.0),
                px(self.width - RIGHT),
                px(self.left - 8.0),
                escape(&ticks.label(v)),
            );
        }
        self.y_title(out, title);
    }

    /// Writes the y axis title, turned, left of the tick labels.
    pub fn y_title(&self, out: &mut String, title: &str) {
        let middle = px((TOP + self.height - BOTTOM) / 2.0);
        let _ = write!(
            out,
            "<text class=\"axis-title\" x=\"14\" y=\"{middle}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {middle})\">{}</text>",
            escape(title),
        );
    }

    /// Draws the two axis lines at the plot's left and bottom edges.
    pub fn axis_lines(&self, out: &mut String) {
        let (left, right, bottom) = (self.left, self.width - RIGHT, self.height - BOTTOM);
        let _ = write!(
            out,
            "<path class=\"axis\" d=\"M{} {}V{}H{}\"/>",
            px(left),
            px(TOP),
            px(bottom),
            px(right),
        );
    }
}

/// One named line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    markers: bool,
}

/// Lines over two numeric axes, with an optional y = x reference.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    title: String,
    x_title: String,
    y_title: String,
    x_domain: Option<(f64, f64)>,
    y_domain: Option<(f64, f64)>,
    diagonal: bool,
    series: Vec<Series>,
}

impl LineChart {
    /// An empty chart named `title` with its axis titles.
    pub fn new(title: &str, x_title: &str, y_title: &str) -> Self {
        Self {
            title: title.to_owned(),
            x_title: x_title.to_owned(),
            y_title: y_title.to_owned(),
            x_domain: None,
            y_domain: None,
            diagonal: false,
            series: Vec::new(),
        }
    }

    /// Both axes run over 0..1 (probabilities, rates and shares).
    pub fn unit_square(mut self) -> Self {
        self.x_domain = Some((0.0, 1.0));
        self.y_domain = Some((0.0, 1.0));
        self
    }

    /// Adds the dashed y = x line of a chance or perfect model.
    pub fn diagonal(mut self) -> Self {
        self.diagonal = true;
        self
    }

    /// Adds a line through `points` (non-finite ones are left out), with a
    /// dot on each point when `markers`.
    pub fn series(mut self, name: &str, points: Vec<(f64, f64)>, markers: bool) -> Self {
        let points = points
            .into_iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        self.series.push(Series {
            name: name.to_owned(),
            points,
            markers,
        });
        self
    }

    /// The ticks of both axes: the fixed domains, or the data's (y from 0).
    fn ticks(&self) -> (Ticks, Ticks) {
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let span = |values: Vec<f64>, from_zero: bool| {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if from_zero {
                (lo.min(0.0), hi.max(0.0))
            } else {
                (lo, hi)
            }
        };
        let (x0, x1) = self
            .x_domain
            .unwrap_or_else(|| span(points().map(|p| p.0).collect(), false));
        let (y0, y1) = self
            .y_domain
            .unwrap_or_else(|| span(points().map(|p| p.1).collect(), true));
        (Ticks::nice(x0, x1, TICKS), Ticks::nice(y0, y1, TICKS))
    }

    /// The `<svg>` element.
    pub fn render(&self) -> String {
        let frame = Frame::default();
        let (x_ticks, y_ticks) = self.ticks();
        let mut out = frame.open(&self.title);
        frame.x_axis(&mut out, &x_ticks, &self.x_title);
        frame.y_axis(&mut out, &y_ticks, &self.y_title);
        frame.axis_lines(&mut out);
        let (x, y) = (frame.x(x_ticks.domain()), frame.y(y_ticks.domain()));
        if self.diagonal {
            let (lo, hi) = (x.domain.0.max(y.domain.0), x.domain.1.min(y.domain.1));
            let _ = write!(
                out,
                "<line class=\"reference\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                px(x.map(lo)),
                px(y.map(lo)),
                px(x.map(hi)),
                px(y.map(hi)),
            );
        }
        for (i, s) in self.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let points: Vec<String> = s
                .points
                .iter()
                .map(|&(a, b)| format!("{},{}", px(x.map(a)), px(y.map(b))))
                .collect();
            let _ = write!(
                out,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
                points.join(" "),
                escape(&s.name),
            );
            if s.markers {
                for &(a, b) in &s.points {
                    let _ = write!(
                        out,
                        "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{colour}\"/>",
                        px(x.map(a)),
                        px(y.map(b)),
                    );
                }
            }
        }
        if self.series.len() > 1 {
            self.legend(&mut out, &frame);
        }
        out.push_str("</svg>");
        out
    }

    /// A key of the series' colours in a row above the plot, where it
    /// cannot cover a line.
    fn legend(&self, out: &mut String, frame: &Frame) {
        let mut x = frame.left;
        for (i, s) in self.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let _ = write!(
                out,
                "<line x1=\"{}\" y1=\"12\" x2=\"{}\" y2=\"12\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{}\" y=\"16\">{}</text>",
                px(x),
                px(x + 20.0),
                px(x + 25.0),
                escape(&s.name),
            );
            x += 45.0 + CHAR_WIDTH * s.name.chars().count() as f64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plot is x 60..460 and y 270..30: (0.5, 0.75) is at (260, 90).
    #[test]
    fn points_map_to_pixels() {
        let svg = LineChart::new("ROC <curve>", "FPR", "TPR")
            .unit_square()
            .diagonal()
            .series("model", vec![(0.0, 0.0), (0.5, 0.75), (1.0, 1.0)], false)
            .render();
        assert!(svg.contains("points=\"60,270 260,90 460,30\""), "{svg}");
        assert!(svg.contains("<title>ROC &lt;curve&gt;</title>"));
        assert!(svg.contains("x1=\"60\" y1=\"270\" x2=\"460\" y2=\"30\""));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // One series: no legend entry.
        assert_eq!(svg.matches("stroke-width=\"2\"").count(), 1);
    }

    /// k = 1..20 with values 0..0.4: x ticks 0..20 by 5, y 0..0.4 by 0.1, so
    /// (10, 0.2) is at (60 + 400 / 2, 270 - 240 / 2) = (260, 150).
    #[test]
    fn data_domains_and_legend() {
        let a: Vec<(f64, f64)> = (1..=20).map(|k| (k as f64, 0.02 * k as f64)).collect();
        let b = vec![(1.0, f64::NAN), (10.0, 0.2)];
        let svg = LineChart::new("c", "k", "value")
            .series("precision", a, true)
            .series("recall", b, false)
            .render();
        assert!(svg.contains("points=\"260,150\""), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 20);
        assert!(svg.contains(">0.4</text>") && svg.contains(">20</text>"));
        assert!(svg.contains(">recall</text>"));
    }
}
