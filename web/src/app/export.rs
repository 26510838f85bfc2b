//! Sharing and exporting: the share link (live commands become scheduled
//! faults), the run as a scenario file (and loading one), the per-second CSV
//! and the charts as one PNG.

use super::*;

impl App {
    pub(super) fn share_url(&self) -> String {
        let loc = window().location();
        let base = format!(
            "{}{}",
            loc.origin().unwrap_or_default(),
            loc.pathname().unwrap_or_default()
        );
        let d = &self.driver;
        let mut url = format!(
            "{base}{}{}",
            d.share_query(),
            codec::moment_params(d.sim.now_s(), d.speed, d.paused)
        );
        if self.embed {
            url.push_str("&embed");
        }
        url
    }

    /// This run at this moment in the full page: the share link without `embed`.
    pub(super) fn full_url(&self) -> String {
        let loc = window().location();
        let d = &self.driver;
        format!(
            "{}{}{}{}",
            loc.origin().unwrap_or_default(),
            loc.pathname().unwrap_or_default(),
            d.share_query(),
            codec::moment_params(d.sim.now_s(), d.speed, d.paused)
        )
    }

    pub(super) fn copy_link(&mut self) {
        let url = self.share_url();
        self.els.share_url.set_value(&url);
        self.els.share_url.select();
        let clipboard = window().navigator().clipboard();
        let promise = clipboard.write_text(&url);
        let msg = self.els.message.clone();
        let fail = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            msg.set_text_content(Some("The browser did not allow copying: the link is in the box below, select it and copy."));
            msg.remove_attribute("hidden").ok();
        });
        let _ = promise.catch(&fail);
        fail.forget();
        self.show_message(
            &format!(
                "Link copied ({} characters): it reproduces this run, live changes included.",
                url.len()
            ),
            false,
        );
    }

    pub(super) fn download(&self, href: &str, filename: &str) {
        if let Ok(a) = self.doc.create_element("a") {
            if let Ok(a) = a.dyn_into::<HtmlAnchorElement>() {
                a.set_href(href);
                a.set_download(filename);
                a.set_attribute("hidden", "").ok();
                self.root.append_child(&a).ok();
                a.click();
                a.remove();
            }
        }
    }

    pub(super) fn file_stem(&self) -> String {
        let s = &self.driver.base;
        let name: String = s
            .name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(40)
            .collect();
        format!(
            "cachesim-{}-seed{}",
            if name.is_empty() { "run".into() } else { name },
            s.seed
        )
    }

    /// Downloads `text` as a file (a blob URL, revoked once the download has started).
    pub(super) fn download_text(&self, text: &str, mime: &str, filename: &str) -> bool {
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        let Ok(url) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
            .and_then(|b| web_sys::Url::create_object_url_with_blob(&b))
        else {
            return false;
        };
        self.download(&url, filename);
        let revoke = Closure::once_into_js(move || {
            web_sys::Url::revoke_object_url(&url).ok();
        });
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000)
            .ok();
        true
    }

    pub(super) fn export_csv(&mut self) {
        let file = format!("{}.csv", self.file_stem());
        if self.download_text(&self.driver.csv(), "text/csv", &file) {
            let n = self.driver.sim.history().len();
            self.show_message(
                &format!(
                    "CSV of {n} simulated seconds ({} columns) downloaded.",
                    cachesim_core::SecondStats::FIELDS.len()
                ),
                false,
            );
        } else {
            self.show_message("The browser could not build the CSV file.", true);
        }
    }

    /// The charts as one PNG: a header naming the scenario, its seed and the
    /// moment, and each chart under its title.
    pub(super) fn export_png(&mut self) {
        self.draw_charts();
        let header = png_header(
            &self.driver.base.name,
            self.driver.base.seed,
            self.driver.sim.now_s(),
        );
        let result = (|| -> Result<String, JsValue> {
            let charts = &self.els.charts;
            let cw = charts.iter().map(|c| c.width()).max().unwrap_or(600).max(1);
            let ch = charts
                .iter()
                .map(|c| c.height())
                .max()
                .unwrap_or(240)
                .max(1);
            let dpr = self.dpr.max(1.0);
            let (head_h, title_h) = ((34.0 * dpr).round() as u32, (24.0 * dpr).round() as u32);
            let cols = 2u32;
            let rows = (charts.len() as u32).div_ceil(cols);
            let (w, h) = (cw * cols, head_h + (title_h + ch) * rows);
            let out: HtmlCanvasElement = self.doc.create_element("canvas")?.dyn_into()?;
            out.set_width(w);
            out.set_height(h);
            let ctx = out
                .get_context("2d")?
                .ok_or("no 2d context")?
                .dyn_into::<CanvasRenderingContext2d>()?;
            ctx.set_fill_style_str("#ffffff");
            ctx.fill_rect(0.0, 0.0, w as f64, h as f64);
            ctx.set_fill_style_str("#1f2937");
            ctx.set_text_baseline("middle");
            ctx.set_font(&format!("600 {}px sans-serif", (16.0 * dpr).round()));
            ctx.fill_text(&header, 10.0 * dpr, head_h as f64 / 2.0)?;
            ctx.set_font(&format!("600 {}px sans-serif", (13.0 * dpr).round()));
            for (i, c) in charts.iter().enumerate() {
                let (x, y) = (
                    (i as u32 % cols) * cw,
                    head_h + (i as u32 / cols) * (title_h + ch),
                );
                let title = crate::template::CHARTS.get(i).map_or("", |t| t.1);
                ctx.fill_text(
                    title,
                    x as f64 + 10.0 * dpr,
                    y as f64 + title_h as f64 / 2.0,
                )?;
                ctx.draw_image_with_html_canvas_element(c, x as f64, (y + title_h) as f64)?;
            }
            out.to_data_url_with_type("image/png")
        })();
        match result {
            Ok(url) => {
                self.download(&url, &format!("{}-charts.png", self.file_stem()));
                self.show_message(&format!("Charts saved as a PNG image ({header})."), false);
            }
            Err(_) => self.show_message("The browser could not export the charts.", true),
        }
    }

    /// Downloads the run as a JSON scenario file (live changes as faults).
    pub(super) fn export_scenario(&mut self) {
        let file = format!("{}.json", self.file_stem());
        if self.download_text(&self.driver.scenario_file(), "application/json", &file) {
            self.show_message(
                &format!(
                    "Scenario saved as {file}: load it here again, or run it headless with `cachesim run --scenario {file}`."
                ),
                false,
            );
        } else {
            self.show_message("The browser could not save the scenario.", true);
        }
    }

    /// Runs a scenario file's text, or says what is wrong with it (the run
    /// goes on unchanged).
    pub(super) fn load_scenario_text(&mut self, file: &str, text: Result<&str, &str>) {
        match text
            .map_err(str::to_string)
            .and_then(codec::parse_scenario_json)
        {
            Ok(s) => {
                let preset = presets::PRESETS
                    .iter()
                    .find(|p| p.name == s.name)
                    .map(|p| p.name.to_string());
                self.restart_with(
                    s,
                    preset,
                    &format!("Loaded the scenario in {}.", quote(file)),
                );
            }
            Err(why) => self.show_message(
                &format!(
                    "Could not load {}: {why}. The run goes on unchanged.",
                    quote(file)
                ),
                true,
            ),
        }
    }
}

/// The PNG export's header line: "cachesim · cache-crash · seed 1 · t = 1:35".
fn png_header(name: &str, seed: u64, now_s: f64) -> String {
    let name = if name.is_empty() {
        "custom scenario"
    } else {
        name
    };
    format!(
        "cachesim · {name} · seed {seed} · t = {}",
        crate::format::clock(now_s)
    )
}
