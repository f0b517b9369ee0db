//! Room in the pooling allocator, handed out per task by what each plugin
//! really uses.
//!
//! The pool is sized when the engine is built, before any component is
//! known, and a component's instances come in very different sizes: a
//! Rust collector is 3 core instances with one linear memory, a
//! componentize-py one 38 core instances, several memories and many
//! tables. Had the pool only been sized for the first kind, a run of the
//! second would fail whichever tasks found it full ("maximum concurrent
//! limit ... reached"): a fraction of the targets, at random.
//!
//! So a plugin's needs are measured once, when it is loaded (the
//! allocator's own counters while its `info()` instance is alive), and
//! every task takes that many core instances, memories and tables from
//! [`PoolRoom`] before it instantiates, waiting while others hold them,
//! and gives them back when its store is dropped. A plugin that needs more
//! than the whole pool is refused at load with the numbers.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What one instance of a plugin takes from the pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolNeeds {
    /// Core module instances.
    pub core_instances: u32,
    /// Linear memories.
    pub memories: u32,
    /// Tables.
    pub tables: u32,
}

/// The pool's totals, and what is free of them.
#[derive(Debug)]
pub struct PoolRoom {
    total: PoolNeeds,
    core_instances: Arc<Semaphore>,
    memories: Arc<Semaphore>,
    tables: Arc<Semaphore>,
}

/// What a task holds while its instance lives; dropping it gives it back.
#[derive(Debug)]
pub struct PoolLease {
    _permits: [OwnedSemaphorePermit; 3],
}

impl PoolRoom {
    /// Room for `total`; the pooling allocator must be built with the same
    /// totals.
    pub fn new(total: PoolNeeds) -> Self {
        let semaphore = |n: u32| Arc::new(Semaphore::new(n as usize));
        Self {
            total,
            core_instances: semaphore(total.core_instances),
            memories: semaphore(total.memories),
            tables: semaphore(total.tables),
        }
    }

    /// Why a plugin with `needs` can never run in this pool, if it cannot.
    pub fn refusal(&self, needs: PoolNeeds) -> Option<String> {
        let over = [
            (needs.core_instances, self.total.core_instances, "core instances"),
            (needs.memories, self.total.memories, "linear memories"),
            (needs.tables, self.total.tables, "tables"),
        ];
        over.into_iter().find(|(need, total, _)| need > total).map(|(need, total, what)| {
            format!("one instance needs {need} {what}, more than the instance pool's {total}; run with fewer workers or report this plugin")
        })
    }

    /// Waits until `needs` is free and takes it. Resources are always
    /// taken in the same order, so waiting tasks cannot hold each other up
    /// in a cycle.
    pub async fn lease(&self, needs: PoolNeeds) -> PoolLease {
        let take = |semaphore: &Arc<Semaphore>, n: u32| semaphore.clone().acquire_many_owned(n);
        // The semaphores are never closed.
        let core = take(&self.core_instances, needs.core_instances).await.expect("pool room is never closed");
        let memories = take(&self.memories, needs.memories).await.expect("pool room is never closed");
        let tables = take(&self.tables, needs.tables).await.expect("pool room is never closed");
        PoolLease { _permits: [core, memories, tables] }
    }
}

/// The largest initial linear memory of the core modules in `wasm` (a
/// component or a core module), in bytes: what an instance starts with.
/// Unreadable input counts as 0; loading it reports the error.
pub fn initial_memory(wasm: &[u8]) -> u64 {
    let mut largest = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(wasmparser::Payload::MemorySection(memories)) = payload else { continue };
        for memory in memories.into_iter().flatten() {
            let page = 1u64 << memory.page_size_log2.unwrap_or(16);
            largest = largest.max(memory.initial.saturating_mul(page));
        }
    }
    largest
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn tasks_wait_for_room_instead_of_failing() {
        let room = Arc::new(PoolRoom::new(PoolNeeds { core_instances: 40, memories: 4, tables: 8 }));
        let python = PoolNeeds { core_instances: 38, memories: 2, tables: 6 };
        let first = room.lease(python).await;
        let waiting = tokio::spawn({
            let room = room.clone();
            async move { room.lease(python).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a second instance does not fit while the first lives");
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("admitted once the first is gone").unwrap();
    }

    #[test]
    fn initial_memory_is_read_from_every_nested_module() {
        // A component with one module of 3 pages, and one with 200.
        let small = wat::parse_str("(module (memory 3))").unwrap();
        assert_eq!(initial_memory(&small), 3 << 16);
        let component =
            wat::parse_str("(component (core module $a (memory 3)) (core module $b (memory 200)) (core module $c))")
                .unwrap();
        assert_eq!(initial_memory(&component), 200 << 16);
        assert_eq!(initial_memory(b"not wasm"), 0);
    }

    #[test]
    fn a_plugin_larger_than_the_pool_is_refused_with_numbers() {
        let room = PoolRoom::new(PoolNeeds { core_instances: 40, memories: 4, tables: 8 });
        assert_eq!(room.refusal(PoolNeeds { core_instances: 3, memories: 1, tables: 2 }), None);
        let why = room.refusal(PoolNeeds { core_instances: 3, memories: 9, tables: 2 }).unwrap();
        assert!(why.contains("9 linear memories") && why.contains("pool's 4"), "{why}");
    }
}
