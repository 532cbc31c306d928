//! The figures of long work in progress, kept outside the app's state. The worker reports
//! them ten times a second and only the progress bar shows them: through the app's reducer
//! each report re-rendered every panel of the page (issue 17: a build of a million-entry
//! image made long main-thread tasks), so they go to the bar alone.

use std::cell::RefCell;

use yew::prelude::*;

/// How far long work has come, as the worker last said.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Current stage ("Indexing layer 1").
    pub stage: String,
    /// Units done (bytes).
    pub done: f64,
    /// Units in all.
    pub total: f64,
    /// When the report arrived (ms since the epoch).
    pub at: f64,
}

impl Figures {
    /// Fraction done, 0..=1.
    pub fn fraction(&self) -> f64 {
        if self.total > 0.0 {
            (self.done / self.total).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// The last report and who listens.
#[derive(Default)]
struct Feed {
    last: Option<Figures>,
    listeners: Vec<(u32, Callback<Figures>)>,
    next_id: u32,
}

thread_local! {
    static FEED: RefCell<Feed> = RefCell::default();
}

/// Records a report and hands it to every listener.
pub fn publish(figures: Figures) {
    let listeners: Vec<Callback<Figures>> = FEED.with(|f| {
        let mut f = f.borrow_mut();
        f.last = Some(figures.clone());
        f.listeners.iter().map(|(_, c)| c.clone()).collect()
    });
    // Emitted outside the borrow: a listener may subscribe or unsubscribe.
    for l in listeners {
        l.emit(figures.clone());
    }
}

/// The last report for work that started at `since` (ms since the epoch); the component
/// re-renders on each new one, alone.
#[hook]
pub fn use_progress(since: f64) -> Option<Figures> {
    let figures = use_state(|| FEED.with(|f| f.borrow().last.clone()));
    {
        let figures = figures.clone();
        use_effect_with((), move |_| {
            let id = FEED.with(|f| {
                let mut f = f.borrow_mut();
                let id = f.next_id;
                f.next_id = f.next_id.wrapping_add(1);
                f.listeners
                    .push((id, Callback::from(move |x| figures.set(Some(x)))));
                id
            });
            move || FEED.with(|f| f.borrow_mut().listeners.retain(|(i, _)| *i != id))
        });
    }
    // A report of earlier work (one that arrived before this work began) does not count.
    (*figures).clone().filter(|f| f.at >= since)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn fraction_is_clamped_and_zero_without_a_total() {
        let f = |done, total| Figures {
            stage: String::new(),
            done,
            total,
            at: 0.0,
        };
        assert_eq!(f(5.0, 10.0).fraction(), 0.5);
        assert_eq!(f(15.0, 10.0).fraction(), 1.0);
        assert_eq!(f(5.0, 0.0).fraction(), 0.0);
    }

    #[wasm_bindgen_test]
    fn publish_keeps_the_last_report() {
        let f = Figures {
            stage: "Indexing layer 1".into(),
            done: 1.0,
            total: 2.0,
            at: 3.0,
        };
        publish(f.clone());
        assert_eq!(FEED.with(|x| x.borrow().last.clone()), Some(f));
    }
}
