//! The worker's phases as User Timing measures (`performance.measure(name, {start, end})`):
//! they show in DevTools' Performance panel and in a Chromium trace, every worker on one
//! clock, so where an open's time goes can be read off the real app
//! (bench/profile/open_phases.mjs). A handful per open and per layer job: nothing to count.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Performance;

/// A phase started; [`Phase::end`] records it.
#[must_use = "a phase is recorded when it ends"]
pub struct Phase {
    name: &'static str,
    detail: Option<String>,
    start: f64,
}

fn performance() -> Option<Performance> {
    let global = js_sys::global();
    Reflect::get(&global, &JsValue::from_str("performance"))
        .ok()
        .and_then(|p| p.dyn_into::<Performance>().ok())
}

impl Phase {
    /// Starts `name` now.
    pub fn start(name: &'static str) -> Phase {
        Phase {
            name,
            detail: None,
            start: performance().map_or(0.0, |p| p.now()),
        }
    }

    /// Starts `name`, told apart from others of its name by `detail` (a layer blob).
    pub fn of(name: &'static str, detail: impl Into<String>) -> Phase {
        Phase {
            detail: Some(detail.into()),
            ..Phase::start(name)
        }
    }

    /// Records the phase from its start to now. A browser without User Timing records
    /// nothing; this never fails the work it measures.
    pub fn end(self) {
        let Some(perf) = performance() else { return };
        let end = perf.now();
        let name = match &self.detail {
            Some(d) => format!("layerlens {} {d}", self.name),
            None => format!("layerlens {}", self.name),
        };
        let options = Object::new();
        let _ = Reflect::set(&options, &"start".into(), &self.start.into());
        let _ = Reflect::set(&options, &"end".into(), &end.into());
        let measure = Reflect::get(&perf, &"measure".into())
            .ok()
            .and_then(|m| m.dyn_into::<Function>().ok());
        if let Some(measure) = measure {
            let _ = measure.call2(&perf, &JsValue::from_str(&name), &options);
            // The trace has it now; the timeline's buffer need not keep it, open after open.
            perf.clear_measures_with_measure_name(&name);
        }
    }
}

/// Runs `f` as the phase `name`.
pub fn phase<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    let p = Phase::start(name);
    let out = f();
    p.end();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A phase reaches `performance.measure` under its name, with its start and end.
    #[test]
    fn a_phase_is_measured_under_its_name() {
        let Some(perf) = performance() else {
            panic!("no performance object here")
        };
        let record = Function::new_with_args(
            "name, options",
            "globalThis.__measured = [name, options.start, options.end];",
        );
        let original = Reflect::get(&perf, &"measure".into()).unwrap();
        Reflect::set(&perf, &"measure".into(), &record).unwrap();
        let out = phase("list", || 42);
        Phase::of("index blob", "3").end();
        let last = Reflect::get(&js_sys::global(), &"__measured".into()).unwrap();
        Reflect::set(&perf, &"measure".into(), &original).unwrap();
        assert_eq!(out, 42);
        let last: js_sys::Array = last.dyn_into().unwrap();
        assert_eq!(
            last.get(0).as_string().as_deref(),
            Some("layerlens index blob 3")
        );
        let (start, end) = (last.get(1).as_f64().unwrap(), last.get(2).as_f64().unwrap());
        assert!(end >= start && start > 0.0, "{start}..{end}");
    }
}
