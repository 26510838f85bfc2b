//! The comparison view: V0, V1 and V2 run on the same scenario in slices
//! across animation frames (`comparison::ComparisonRun`), with progress;
//! once done, the charts of the three designs overlaid and the table of
//! measured figures beside the seed's. While it is open the simulator
//! behind it waits. `?compare=NAME` (or `?s=...&compare`) opens it, and its
//! link reproduces it.

use super::*;
use crate::compare_charts::{self, CompareInput, Drawn};
use crate::comparison::{self, ComparisonRun};

/// Wall ms a frame spends on the comparison's runs at most.
const BUDGET_MS: f64 = 10.0;

pub(super) struct CompareEls {
    section: HtmlElement,
    desc: HtmlElement,
    progress: HtmlElement,
    status: HtmlElement,
    share_url: HtmlInputElement,
    table: HtmlElement,
    charts: Vec<HtmlCanvasElement>,
}

pub(super) struct CompareView {
    els: CompareEls,
    run: Option<ComparisonRun>,
    /// What each chart drew (points per design), once the runs are done.
    drawn: Vec<Drawn>,
    error: Option<String>,
}

impl CompareView {
    pub(super) fn new(root: &Element) -> Result<CompareView, JsValue> {
        let mut charts = Vec::new();
        for (id, _) in template::COMPARE_CHARTS {
            charts.push(find(root, id)?);
        }
        Ok(CompareView {
            els: CompareEls {
                section: find(root, "compare")?,
                desc: find(root, "compare-desc")?,
                progress: find(root, "compare-progress")?,
                status: find(root, "compare-status")?,
                share_url: find(root, "compare-share-url")?,
                table: find(root, "compare-table")?,
                charts,
            },
            run: None,
            drawn: Vec::new(),
            error: None,
        })
    }

    pub(super) fn is_open(&self) -> bool {
        self.run.is_some()
    }

    /// The link that reproduces this comparison (absolute).
    fn share_url(&self) -> String {
        let Some(run) = &self.run else {
            return String::new();
        };
        let loc = window().location();
        format!(
            "{}{}{}",
            loc.origin().unwrap_or_default(),
            loc.pathname().unwrap_or_default(),
            codec::compare_query(&run.base, run.preset.as_deref(), run.seconds)
        )
    }

    /// The view's part of `#state-json`.
    pub(super) fn state(&self) -> serde_json::Value {
        let Some(run) = &self.run else {
            return serde_json::json!({ "open": false, "error": self.error });
        };
        let charts: Vec<serde_json::Value> = template::COMPARE_CHARTS
            .iter()
            .zip(self.drawn.iter())
            .map(|((id, _), d)| {
                let series: Vec<serde_json::Value> = d
                    .iter()
                    .map(|(design, n)| serde_json::json!({ "design": design.name(), "points": n }))
                    .collect();
                serde_json::json!({ "id": id, "series": series })
            })
            .collect();
        let table: Vec<serde_json::Value> = comparison::table(&run.results, run.db_capacity())
            .into_iter()
            .map(|r| serde_json::json!({ "label": r.label, "cells": r.cells, "seed": r.seed }))
            .collect();
        let results: Vec<serde_json::Value> = run
            .results
            .iter()
            .map(|r| {
                serde_json::json!({
                    "design": r.design.name(),
                    "hit_rate": r.summary.hit_rate,
                    "availability": r.summary.availability,
                    "monthly_usd": r.summary.cost.monthly_usd,
                    "stampede_queries": r.stampede_queries,
                    "fault": r.fault,
                    "seconds": r.history.len(),
                })
            })
            .collect();
        serde_json::json!({
            "open": true,
            "preset": run.preset,
            "scenario": run.base.name,
            "seconds": run.seconds,
            "progress": run.progress(),
            "done": run.done(),
            "status": run.progress_text(),
            "charts": charts,
            "table": table,
            "results": results,
            "link": codec::compare_query(&run.base, run.preset.as_deref(), run.seconds),
            "error": self.error,
        })
    }

    fn show_progress(&self) {
        let Some(run) = &self.run else { return };
        self.els
            .progress
            .set_attribute("value", &format!("{:.4}", run.progress()))
            .ok();
        let text = match &self.error {
            Some(e) => format!("The comparison stopped: {e}"),
            None => run.progress_text(),
        };
        self.els.status.set_text_content(Some(&text));
    }

    /// Sizes the chart canvases to their boxes (device pixels).
    fn size_charts(&self, dpr: f64) {
        for c in &self.els.charts {
            let mut cw = c.client_width() as f64;
            if cw <= 0.0 {
                cw = 420.0;
            }
            let ch = if cw < 420.0 { 220.0 } else { 260.0 };
            c.style().set_property("height", &format!("{ch}px")).ok();
            c.set_width((cw * dpr).round() as u32);
            c.set_height((ch * dpr).round() as u32);
        }
    }

    fn draw_charts(&mut self, dpr: f64) {
        let Some(run) = &self.run else { return };
        self.size_charts(dpr);
        let input = CompareInput {
            runs: run
                .results
                .iter()
                .map(|r| (r.design, r.history.as_slice()))
                .collect(),
            seconds: run.seconds,
            faults_s: run.base.faults.iter().map(|f| f.at_s).collect(),
            db_capacity: run.db_capacity(),
            dpr,
        };
        self.drawn = self
            .els
            .charts
            .iter()
            .enumerate()
            .map(|(k, c)| compare_charts::draw(k, c, &input).unwrap_or_default())
            .collect();
    }

    fn draw_table(&self, doc: &Document) -> Result<(), JsValue> {
        let Some(run) = &self.run else {
            return Ok(());
        };
        let t = &self.els.table;
        t.set_inner_html("");
        let head = doc.create_element("tr")?;
        let th = doc.create_element("th")?;
        th.set_text_content(Some("measured by the model"));
        head.append_child(&th)?;
        for r in &run.results {
            let th = doc.create_element("th")?;
            th.set_text_content(Some(&r.design.name().to_uppercase()));
            th.set_attribute(
                "style",
                &format!("color:{}", compare_charts::design_css(r.design)),
            )?;
            head.append_child(&th)?;
        }
        t.append_child(&head)?;
        let mut seed_started = false;
        for row in comparison::table(&run.results, run.db_capacity()) {
            if row.seed && !seed_started {
                seed_started = true;
                let tr = doc.create_element("tr")?;
                tr.set_class_name("cs-seed-head");
                let th = doc.create_element("th")?;
                th.set_attribute("colspan", &(run.results.len() + 1).to_string())?;
                th.set_text_content(Some("the seed's table (its claims, not measured)"));
                tr.append_child(&th)?;
                t.append_child(&tr)?;
            }
            let tr = doc.create_element("tr")?;
            if row.seed {
                tr.set_class_name("cs-seed");
            }
            let th = doc.create_element("th")?;
            th.set_attribute("scope", "row")?;
            th.set_text_content(Some(row.label));
            tr.append_child(&th)?;
            for c in &row.cells {
                let td = doc.create_element("td")?;
                td.set_text_content(Some(c));
                tr.append_child(&td)?;
            }
            t.append_child(&tr)?;
        }
        Ok(())
    }
}

impl App {
    /// Opens the comparison of the designs on `base` (a preset when named).
    pub(super) fn open_compare(
        &mut self,
        base: Scenario,
        preset: Option<String>,
        seconds: Option<f64>,
    ) {
        let run = match ComparisonRun::new(base, preset, seconds) {
            Ok(r) => r,
            Err(e) => {
                self.show_message(&format!("Could not compare the designs: {e}."), true);
                return;
            }
        };
        let v = &mut self.compare;
        let desc = format!(
            "{}: V0, V1 and V2 each run {} simulated seconds of the same arrivals (seed {}), the faults mapped to each design's shards{}. The dashed lines mark the faults.",
            if run.base.name.is_empty() { "This scenario" } else { run.base.name.as_str() },
            run.seconds,
            run.base.seed,
            if run.base.faults.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    run.base
                        .faults
                        .iter()
                        .map(|f| format!("{} at {} s", f.command.label(), f.at_s))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        v.els.desc.set_text_content(Some(&desc));
        v.els.table.set_inner_html("");
        v.drawn.clear();
        v.error = None;
        v.run = Some(run);
        v.els.share_url.set_value(&v.share_url());
        v.els.section.remove_attribute("hidden").ok();
        if let Ok(Some(app)) = self.root.query_selector(".cs-app") {
            app.class_list().add_1("cs-comparing").ok();
        }
        v.show_progress();
        self.refresh_texts();
    }

    pub(super) fn close_compare(&mut self) {
        let v = &mut self.compare;
        v.run = None;
        v.drawn.clear();
        v.els.section.set_attribute("hidden", "").ok();
        if let Ok(Some(app)) = self.root.query_selector(".cs-app") {
            app.class_list().remove_1("cs-comparing").ok();
        }
        // the simulator waited: no catching up on the time spent here
        self.last_frame_ms = None;
        self.resize();
        self.refresh_texts();
        self.draw_arch();
        self.draw_charts();
    }

    /// The Compare button: the designs on the scenario running now.
    pub(super) fn compare_current(&mut self) {
        let s = self.driver.share_scenario();
        let preset = self.driver.preset.clone();
        self.open_compare(s, preset, None);
    }

    pub(super) fn copy_compare_link(&mut self) {
        let url = self.compare.share_url();
        let input = &self.compare.els.share_url;
        input.set_value(&url);
        input.select();
        let _ = window().navigator().clipboard().write_text(&url);
        self.show_message(
            &format!(
                "Link copied: it opens this comparison ({} characters).",
                url.len()
            ),
            false,
        );
    }

    /// A frame while the view is open: the runs advance for at most
    /// `BUDGET_MS`; when they are done, the charts and the table appear.
    pub(super) fn compare_frame(&mut self, t_ms: f64) {
        let v = &mut self.compare;
        let Some(run) = v.run.as_mut() else { return };
        if !run.done() && v.error.is_none() {
            let t0 = now_ms();
            if let Err(e) = run.step(&mut || now_ms() - t0 < BUDGET_MS) {
                v.error = Some(e);
            }
            let done = run.done();
            v.show_progress();
            if done {
                let dpr = self.dpr.max(1.0);
                self.compare.draw_charts(dpr);
                let doc = self.doc.clone();
                self.compare.draw_table(&doc).ok();
                self.refresh_texts();
            }
        }
        if t_ms - self.last_text_ms >= TEXT_EVERY_MS {
            self.refresh_texts();
        }
    }

    /// The window changed size: the charts redraw to fit.
    pub(super) fn resize_compare(&mut self) {
        if self.compare.run.as_ref().is_some_and(|r| r.done()) {
            let dpr = self.dpr.max(1.0);
            self.compare.draw_charts(dpr);
        }
    }
}
