//! How much memory the plugins of one run may hold together.
//!
//! Each instance is capped at the runtime's memory limit (64 MiB), but 20
//! workers at that limit would be 1.3 GB of guest memory, plus the host's
//! copy of what each returns. So growth is admitted in two classes: every
//! task may grow its memories by [`MemoryBudget::small_growth`] past their
//! initial size without asking (an inventory collector rarely needs more),
//! and growing further takes one of the run's
//! [`MemoryBudget::large_tasks`] permits, held until the task ends. A task
//! that needs one while all are taken waits inside its `memory.grow`,
//! under its task timeout.
//!
//! This cannot deadlock: a task holding a permit never waits for memory
//! again, so permits are always given back as their tasks end, and a task
//! that waits holds at most its small allowance.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::Result as WasmResult;

/// Growth a task may make without a permit, by default: 4 MiB, some
/// thousands of inventory records on top of what the plugin starts with.
pub const DEFAULT_SMALL_GROWTH: usize = 4 << 20;
/// Tasks that may hold more than their small allowance at once, by default.
pub const DEFAULT_LARGE_TASKS: usize = 2;

/// The run-wide admission of memory growth.
#[derive(Debug)]
pub struct MemoryBudget {
    /// Bytes each instance may hold, in all.
    pub limit: usize,
    /// Bytes a task may grow its memories by past their initial size
    /// without a permit.
    pub small_growth: usize,
    /// Tasks that may grow past their small allowance at once.
    pub large_tasks: usize,
    permits: Arc<Semaphore>,
}

impl MemoryBudget {
    /// A budget of `large_tasks` permits (at least one) for instances of at
    /// most `limit` bytes.
    pub fn new(limit: usize, small_growth: usize, large_tasks: usize) -> Self {
        let large_tasks = large_tasks.max(1);
        Self { limit, small_growth, large_tasks, permits: Arc::new(Semaphore::new(large_tasks)) }
    }
}

/// The error a plugin sees when its memory would grow past the limit; it
/// traps the instance with a message naming the limit.
#[derive(Debug, thiserror::Error)]
#[error("plugin exceeded its memory limit of {limit_mib} MiB (asked for {asked_mib} MiB)")]
pub struct MemoryLimitExceeded {
    /// The limit.
    pub limit_mib: usize,
    /// What the plugin asked for.
    pub asked_mib: usize,
}

/// One task's standing with the budget.
#[derive(Debug)]
pub struct TaskMemory {
    budget: Arc<MemoryBudget>,
    grown: usize,
    permit: Option<OwnedSemaphorePermit>,
}

impl TaskMemory {
    /// A task that has grown nothing yet.
    pub fn new(budget: Arc<MemoryBudget>) -> Self {
        Self { budget, grown: 0, permit: None }
    }

    /// Whether a memory may grow from `current` to `desired` bytes,
    /// waiting for a permit when this growth takes the task past its small
    /// allowance. A memory's first allocation (its declared initial size)
    /// is not growth.
    pub async fn grow(&mut self, current: usize, desired: usize) -> WasmResult<bool> {
        let limit = self.budget.limit;
        if desired > limit {
            return Err(MemoryLimitExceeded { limit_mib: limit >> 20, asked_mib: desired.div_ceil(1 << 20) }.into());
        }
        if current > 0 {
            self.grown += desired.saturating_sub(current);
        }
        if self.permit.is_none() && self.grown > self.budget.small_growth {
            let permits = self.budget.permits.clone();
            self.permit = Some(permits.acquire_owned().await.expect("the semaphore is never closed"));
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn small_growth_is_free_and_large_growth_waits_for_a_permit() {
        let budget = Arc::new(MemoryBudget::new(64 << 20, 4 << 20, 1));
        let mut a = TaskMemory::new(budget.clone());
        let mut b = TaskMemory::new(budget.clone());
        // Initial sizes are not growth, however large.
        assert!(a.grow(0, 12 << 20).await.unwrap());
        assert!(b.grow(0, 12 << 20).await.unwrap());
        // Within the allowance: no permit.
        assert!(a.grow(12 << 20, 16 << 20).await.unwrap());
        assert!(a.permit.is_none());
        // Past it: the one permit.
        assert!(a.grow(16 << 20, 40 << 20).await.unwrap());
        assert!(a.permit.is_some());
        // The other task waits until `a` ends.
        let waiting = tokio::spawn(async move { b.grow(12 << 20, 30 << 20).await.map(|ok| (ok, b)) });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a second large task must wait for the permit");
        drop(a);
        let (ok, b) = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap().unwrap();
        assert!(ok && b.permit.is_some());
    }

    #[tokio::test]
    async fn the_instance_limit_still_holds() {
        let mut t = TaskMemory::new(Arc::new(MemoryBudget::new(64 << 20, 4 << 20, 2)));
        let e = t.grow(1 << 20, 65 << 20).await.unwrap_err();
        assert!(e.to_string().contains("memory limit of 64 MiB"), "{e}");
    }
}
