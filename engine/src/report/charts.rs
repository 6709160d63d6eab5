//! Charts for the HTML reports, drawn with plotters as inline SVG: text stays text, so
//! Chinese labels render with the reader's fonts and the report works offline.
//! Values are integers in display units (whole yuan, tenths of a percent); nothing here
//! computes money.

use plotters::prelude::*;

use crate::EngineError;

const WIDTH: u32 = 760;
const HEIGHT: u32 = 360;
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A stacked bar per category (e.g. per year), one segment per series (e.g. per channel).
///
/// ```
/// let svg = bylaw_engine::report::charts::stacked_bars(
///     "Funds", "万元", &["2023".to_string()], &[("grant".to_string(), vec![3])],
/// )?;
/// assert!(svg.starts_with("<svg"));
/// # Ok::<(), bylaw_engine::EngineError>(())
/// ```
///
/// # Errors
/// If plotters cannot draw it.
pub fn stacked_bars(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[(String, Vec<i64>)],
) -> Result<String, EngineError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let top = (0..categories.len())
            .map(|c| {
                series
                    .iter()
                    .map(|(_, v)| v.get(c).copied().unwrap_or(0).max(0))
                    .sum::<i64>()
            })
            .max()
            .unwrap_or(0)
            .max(1);
        let n = categories.len().max(1) as i64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(80)
            .build_cartesian_2d(
                (0i64..(n - 1).max(1)).into_segmented(),
                0i64..top + top / 10,
            )
            .map_err(chart_error)?;
        let cats = categories.to_vec();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .x_labels(categories.len().max(1))
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    cats.get(*i as usize).cloned().unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .draw()
            .map_err(chart_error)?;
        let mut base = vec![0i64; categories.len()];
        let count = base.len();
        for (si, (name, values)) in series.iter().enumerate() {
            let c = color(si);
            let bars: Vec<Rectangle<(SegmentValue<i64>, i64)>> = values
                .iter()
                .enumerate()
                .take(count)
                .map(|(ci, v)| {
                    let lo = base[ci];
                    let hi = lo + (*v).max(0);
                    base[ci] = hi;
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(ci as i64), lo),
                            (SegmentValue::Exact(ci as i64 + 1), hi),
                        ],
                        c.filled(),
                    );
                    bar.set_margin(0, 0, 12, 12);
                    bar
                })
                .collect();
            chart
                .draw_series(bars)
                .map_err(chart_error)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(strip_xml_header(svg))
}

/// Lines over an integer x axis (years, or a swept value's steps); `None` leaves a gap;
/// a series flagged `true` is drawn thin (a target). `y_max` is the least top of the axis.
///
/// # Errors
/// If plotters cannot draw it.
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    xs: &[(i64, String)],
    series: &[(String, Vec<Option<i64>>, bool)],
    y_max: i64,
) -> Result<String, EngineError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (x0, x1) = (
            xs.first().map_or(0, |x| x.0),
            xs.last()
                .map_or(1, |x| x.0)
                .max(xs.first().map_or(0, |x| x.0) + 1),
        );
        let top = series
            .iter()
            .flat_map(|(_, v, _)| v.iter().flatten().copied())
            .max()
            .unwrap_or(0)
            .max(y_max)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, 0i64..top + top / 20)
            .map_err(chart_error)?;
        let names = xs.to_vec();
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(xs.len().clamp(2, 12))
            .x_label_formatter(&|x| {
                names
                    .iter()
                    .find(|(v, _)| v == x)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_default()
            })
            .draw()
            .map_err(chart_error)?;
        for (si, (name, values, dashed)) in series.iter().enumerate() {
            let c = color(si);
            let points: Vec<(i64, i64)> = xs
                .iter()
                .zip(values)
                .filter_map(|((x, _), v)| v.map(|v| (*x, v)))
                .collect();
            let style = if *dashed {
                c.stroke_width(1)
            } else {
                c.stroke_width(2)
            };
            chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(chart_error)?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c));
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 3, c.filled())))
                .map_err(chart_error)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(strip_xml_header(svg))
}

/// Plotters' error as the engine's.
fn chart_error(e: impl std::fmt::Display) -> EngineError {
    EngineError::io("bylaw::report::chart", format!("cannot draw a chart: {e}"))
}

/// Inline SVG needs no XML declaration.
fn strip_xml_header(svg: String) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    }
}
