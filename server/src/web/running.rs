//! The cells this process is running. A stopping server marks them interrupted at once
//! rather than leaving them pending until the stale sweep finds them.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

/// How long past its module deadline a cell may stay pending before the sweep calls it
/// interrupted: the time to store a result, with a wide margin.
pub const STALE_GRACE: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct RunningCells(Mutex<HashSet<i64>>);

impl RunningCells {
    fn with<T>(&self, work: impl FnOnce(&mut HashSet<i64>) -> T) -> T {
        // A panic elsewhere while holding the lock leaves a usable set of ids.
        let mut ids = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&mut ids)
    }

    pub fn started(&self, id: i64) {
        self.with(|ids| ids.insert(id));
    }

    pub fn finished(&self, id: i64) {
        self.with(|ids| ids.remove(&id));
    }

    pub fn ids(&self) -> Vec<i64> {
        self.with(|ids| ids.iter().copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_come_and_go() {
        let running = RunningCells::default();
        running.started(1);
        running.started(2);
        running.finished(1);
        assert_eq!(running.ids(), [2]);
        running.finished(2);
        assert!(running.ids().is_empty());
    }
}
