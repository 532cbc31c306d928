//! The core's progress as a bar on stderr, shown only when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use layerlens_core::{Progress, Stage};

pub struct Bar {
    bar: Option<ProgressBar>,
    stage: Option<Stage>,
}

impl Bar {
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10));
            b.set_style(
                ProgressStyle::with_template(
                    "{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            // Quick jobs finish before the bar would be worth seeing.
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Bar { bar, stage: None }
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Progress for Bar {
    fn update(&mut self, stage: Stage, done: u64, total: u64) -> bool {
        if let Some(b) = &self.bar {
            if self.stage != Some(stage) {
                self.stage = Some(stage);
                b.set_message(match stage {
                    Stage::Opening => "opening".to_string(),
                    Stage::Indexing(i) => format!("layer {i}"),
                    Stage::Hashing => "hashing".to_string(),
                    Stage::Writing => "writing".to_string(),
                    Stage::Reading(i) => format!("reading layer {i}"),
                });
            }
            // A pipe's size is unknown (total 0): the bar then counts the bytes read so far.
            b.set_length(if total == 0 { done } else { total });
            b.set_position(done);
        }
        true
    }
}
