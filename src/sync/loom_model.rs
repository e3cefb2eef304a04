//! The loom side of the switch, used only inside the loom models: loom's atomics, cells
//! and locks, and the loom-visible stand-ins for the lanes and the id map. Each stand-in
//! keeps the contract written on its production type (`lane.rs`, `id_map.rs`) with a
//! loom `Mutex`, so loom explores every interleaving of the protocol around it.

use core::hash::Hash;
use std::collections::{HashMap, VecDeque};

pub(crate) use loom::{
    cell::UnsafeCell,
    sync::{
        atomic::{AtomicPtr, AtomicU64, AtomicUsize},
        Arc, Condvar, Mutex, MutexGuard,
    },
};

/// Lets loom schedule the thread this one waits for.
#[inline]
pub(crate) fn spin_hint() {
    loom::thread::yield_now();
}

/// Reads an atomic through `&mut`; loom checks that the access really is exclusive.
#[inline]
pub(crate) fn read_exclusive_u64(atomic: &mut AtomicU64) -> u64 {
    atomic.with_mut(|value| *value)
}

/// [`read_exclusive_u64`] for a pointer.
#[inline]
pub(crate) fn read_exclusive_ptr<T>(atomic: &mut AtomicPtr<T>) -> *mut T {
    atomic.with_mut(|value| *value)
}

/// Loom has no clock: waits until notified and reports no timeout.
pub(crate) fn wait_timeout<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    _timeout: std::time::Duration,
) -> (MutexGuard<'a, T>, bool) {
    (condvar.wait(guard).unwrap(), false)
}

/// The lane's stand-in: a locked `VecDeque`.
pub(crate) struct Lane<T> {
    values: Mutex<VecDeque<T>>,
}

impl<T> Lane<T> {
    pub(crate) fn new() -> Self {
        Lane {
            values: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, value: T) {
        self.values.lock().unwrap().push_back(value);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.values.lock().unwrap().pop_front()
    }
}

/// The id map's stand-in: a locked `HashMap`.
pub(crate) struct IdMap<K, V> {
    map: Mutex<HashMap<K, V>>,
}

impl<K: Copy + Eq + Hash, V: Copy> IdMap<K, V> {
    pub(crate) fn with_capacity(_capacity: usize) -> Self {
        IdMap {
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn pin(&self) -> PinnedMap<'_, K, V> {
        PinnedMap { map: self }
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&K, &V)) {
        for (key, value) in self.map.lock().unwrap().iter() {
            f(key, value);
        }
    }
}

/// The stand-in's view for one operation: each call takes the lock on its own.
pub(crate) struct PinnedMap<'a, K, V> {
    map: &'a IdMap<K, V>,
}

impl<K: Copy + Eq + Hash, V: Copy> PinnedMap<'_, K, V> {
    pub(crate) fn claim(&self, key: K, value: V, is_live: impl Fn(&V) -> bool) -> bool {
        let mut map = self.map.map.lock().unwrap();
        match map.get(&key) {
            Some(current) if is_live(current) => false,
            _ => {
                map.insert(key, value);
                true
            }
        }
    }

    pub(crate) fn release(&self, key: K, is_mine: impl Fn(&V) -> bool) {
        let mut map = self.map.map.lock().unwrap();
        if map.get(&key).is_some_and(is_mine) {
            map.remove(&key);
        }
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.map.map.lock().unwrap().get(key).copied()
    }
}
