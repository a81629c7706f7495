//! Observer dispatch: one task per session delivers every transition to every observer, in
//! order, exactly once; a late subscriber first gets the current state.

use super::types::{SessionObserver, StateChange};
use std::sync::Arc;
use tokio::sync::mpsc;

/// What the engine sends the dispatcher, in the order it happened (sent under the engine's
/// lock, so the order of events is the order of transitions).
pub(super) enum Event {
    Change(StateChange),
    Subscribe(u64, Arc<dyn SessionObserver>, StateChange),
    Unsubscribe(u64),
}

/// The dispatcher task: runs until the session (the sender) is gone.
pub(super) async fn dispatch(mut rx: mpsc::UnboundedReceiver<Event>) {
    let mut observers: Vec<(u64, Arc<dyn SessionObserver>)> = Vec::new();
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Change(c) => {
                for (_, o) in &observers {
                    deliver(o, &c);
                }
            }
            Event::Subscribe(id, o, initial) => {
                deliver(&o, &initial);
                observers.push((id, o));
            }
            Event::Unsubscribe(id) => observers.retain(|(i, _)| *i != id),
        }
    }
}

fn deliver(o: &Arc<dyn SessionObserver>, c: &StateChange) {
    // An observer's panic must not stop the delivery to the others, nor later transitions.
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| o.on_state_change(c))).is_err() {
        log::error!(target: "videokit", "a session observer panicked on {} -> {}", c.from, c.to);
    }
}
