//! `Fleet`: pool snapshots prepared once for placing many jobs.

use std::collections::HashMap;

use super::duplicates::DuplicateIds;
use super::score::{self, Figures};
use super::view::PoolView;
use super::{
    decide, validate, ComputeCapability, DeviceMask, InvalidField, JobSpec, PlacementDecision,
    PlacementTrace, PoolSnapshot, PredictedEnd, Verdict,
};

/// A name (engine, model, quantization, extension or session) interned in one
/// [`Fleet`]'s table for its kind: two names of a kind are equal exactly when their ids
/// are.
type NameId = usize;

/// A range of [`Fleet::large_ids`] or of [`Fleet::ids`].
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: usize,
    end: usize,
}

/// The pools' snapshots prepared for placing many jobs on them (\[P1\]–\[P6\]).
///
/// [`place`](super::place) does work on every call that does not depend on the job:
/// it validates every snapshot (\[P5\]), looks for duplicate ids, and compares the job's
/// names with the pools' name lists byte by byte. A `Fleet` does that work once, in
/// [`Fleet::new`]: it keeps each snapshot's \[P5\] verdict, interns every name into a
/// small integer (so that a membership test is an integer compare) and sums the
/// job-independent part of the predicted end. [`Fleet::place`] then only checks,
/// scores and ranks the pools against the job.
///
/// `fleet.place(&job)` returns exactly what `place(&job, &pools)` returns for the
/// snapshots the fleet was built from: the same [`PlacementDecision`], trace included
/// (in the order the pools were given). Both run the same code for the rules.
///
/// A fleet is a snapshot of the pools: rebuild it when they change (a pool manager
/// does so on each update), and share it (`Fleet` is `Send + Sync`) with whatever
/// places the jobs.
///
/// # Examples
///
/// ```
/// use orchestrator_core::placement::{
///     place, ComputeCapability, Fleet, JobRequirements, JobSpec, PoolSnapshot,
/// };
/// use orchestrator_core::queue::Priority;
///
/// let pool = |id: &str, slots_free: u32| PoolSnapshot {
///     id: id.into(),
///     engine: "vllm".into(),
///     ready: true,
///     loaded_models: vec!["llama-3-8b".into()],
///     slots_total: 4,
///     slots_free,
///     vram_total_bytes: 80 << 30,
///     vram_free_bytes: 20 << 30,
///     compute_capability: ComputeCapability::new(9, 0),
///     perf_tokens_per_s: Some(50.0),
///     first_token_ms: Some(200.0),
///     admission_latency_ms: Some(100.0),
///     ..PoolSnapshot::default()
/// };
/// let pools = vec![pool("gpu-a", 1), pool("gpu-b", 3), pool("gpu-b", 4), pool("", 2)];
///
/// // On each snapshot update:
/// let fleet = Fleet::new(&pools);
/// assert_eq!(fleet.len(), 4);
///
/// // Per job:
/// let job = JobSpec {
///     priority: Priority::Interactive,
///     engine: "vllm".into(),
///     model_id: "llama-3-8b".into(),
///     expected_output_tokens: Some(50),
///     required_context_tokens: 8192,
///     est_kv_bytes: 1 << 30,
///     session_id: None,
///     requirements: JobRequirements::default(),
///     device_mask: None,
/// };
/// let decision = fleet.place(&job);
/// // The two "gpu-b" share an id and the last pool has none: only "gpu-a" is valid.
/// assert_eq!(decision.pool_id(), Some("gpu-a"));
/// assert_eq!(decision, place(&job, &pools));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    /// One entry per snapshot, in the order given: what every [`Fleet::place`] reads.
    pools: Vec<PreparedPool>,
    /// One entry per snapshot, in the order given: what is rarely read, kept apart so
    /// that `pools` takes fewer cache lines.
    cold: Vec<ColdPool>,
    /// Each snapshot's score figures, in the order given: kept apart so that
    /// [`Fleet::place`] scores every pool in one tight loop before it ranks them.
    figures: Vec<Figures>,
    /// Every pool id, concatenated in order: a trace's copy of it names each entry by a
    /// range.
    ids: String,
    /// The name ids from `BITS` up of every pool's name lists, concatenated (a list's
    /// are a [`Span`] of it); smaller ones are in the lists' bit masks.
    large_ids: Vec<NameId>,
    /// The interned names, one table per kind of name.
    engines: Interner,
    models: Interner,
    quantizations: Interner,
    extensions: Interner,
    sessions: Interner,
}

/// Name ids below this are kept as bits of a [`NameSet`]'s mask.
const BITS: NameId = u64::BITS as NameId;

/// One snapshot as every [`Fleet::place`] reads it.
#[derive(Clone, Debug)]
struct PreparedPool {
    /// The \[P5\] check, duplicate ids included.
    snapshot_check: Result<(), InvalidField>,
    ready: bool,
    slots_free: u32,
    device_mask: DeviceMask,
    engine: NameId,
    loaded_models: u64,
    quantizations: u64,
    extensions: u64,
    warm_kv_sessions: u64,
    vram_free_bytes: u64,
    compute_capability: ComputeCapability,
    perf_tokens_per_s: Option<f64>,
    /// Where the id lies in [`Fleet::ids`].
    id_range: Span,
}

/// The rest of a snapshot: its id (for ties down to the last tie-breaker) and, for
/// each name list, the ids too large for the list's mask in [`PreparedPool`] (bit `i`
/// of a mask is set when name id `i < BITS` is in the list).
#[derive(Clone, Debug)]
struct ColdPool {
    id: Box<str>,
    loaded_models: Span,
    quantizations: Span,
    extensions: Span,
    warm_kv_sessions: Span,
}

/// A name of the job, looked up in the fleet's table for its kind.
#[derive(Clone, Copy, Debug, Default)]
struct Wanted {
    /// The name's bit in a list's mask; 0 when its id is too large, or when no pool of
    /// the fleet lists it.
    bit: u64,
    /// The name's id when it is too large for the masks (`BITS` or more).
    large: Option<NameId>,
}

/// The job's names as looked up in one fleet.
struct WantedNames {
    engine: Option<NameId>,
    model: Wanted,
    quantization: Wanted,
    /// In the job's order.
    extensions: Vec<Wanted>,
    session: Wanted,
}

/// Names of one kind, each with a small id: two names are equal exactly when their ids
/// are.
#[derive(Clone, Debug, Default)]
struct Interner {
    ids: HashMap<Box<str>, NameId, foldhash::fast::RandomState>,
}

impl Interner {
    /// The id of `name`, adding it if new.
    fn intern(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.ids.len();
        self.ids.insert(name.into(), id);
        id
    }

    /// The id of `name`, if some pool has it.
    fn get(&self, name: &str) -> Option<NameId> {
        self.ids.get(name).copied()
    }

    /// `name` as a [`Wanted`] against the lists interned here.
    fn wanted(&self, name: &str) -> Wanted {
        match self.get(name) {
            None => Wanted::default(),
            Some(id) if id < BITS => Wanted {
                bit: 1 << id,
                large: None,
            },
            Some(id) => Wanted {
                bit: 0,
                large: Some(id),
            },
        }
    }
}

impl Fleet {
    /// Prepares `pools` for placing jobs: validates each snapshot, finds the ids that
    /// occur more than once, interns every name, and precomputes the figures of the
    /// score. Linear in the number of pools and the lengths of their lists; never
    /// panics, whatever the snapshots hold (a malformed one is kept with its \[P5\]
    /// verdict and reported by every [`Fleet::place`]).
    ///
    /// See the [type's docs](Fleet) for an example.
    pub fn new(pools: &[PoolSnapshot]) -> Self {
        let duplicates = DuplicateIds::find(pools);
        let mut fleet = Self {
            pools: Vec::with_capacity(pools.len()),
            cold: Vec::with_capacity(pools.len()),
            figures: Vec::with_capacity(pools.len()),
            ids: String::with_capacity(pools.iter().map(|pool| pool.id.len()).sum()),
            ..Self::default()
        };
        for (index, pool) in pools.iter().enumerate() {
            let id_start = fleet.ids.len();
            fleet.ids.push_str(&pool.id);
            let (loaded_models, large_models) =
                intern_list(&mut fleet.models, &mut fleet.large_ids, &pool.loaded_models);
            let (quantizations, large_quantizations) = intern_list(
                &mut fleet.quantizations,
                &mut fleet.large_ids,
                &pool.quantizations,
            );
            let (extensions, large_extensions) = intern_list(
                &mut fleet.extensions,
                &mut fleet.large_ids,
                &pool.extensions,
            );
            let (warm_kv_sessions, large_sessions) = intern_list(
                &mut fleet.sessions,
                &mut fleet.large_ids,
                &pool.warm_kv_sessions,
            );
            fleet.pools.push(PreparedPool {
                snapshot_check: validate::check_pool(pool, duplicates.contains(index)),
                ready: pool.ready,
                slots_free: pool.slots_free,
                device_mask: pool.device_mask,
                engine: fleet.engines.intern(&pool.engine),
                loaded_models,
                quantizations,
                extensions,
                warm_kv_sessions,
                vram_free_bytes: pool.vram_free_bytes,
                compute_capability: pool.compute_capability,
                perf_tokens_per_s: pool.perf_tokens_per_s,
                id_range: Span {
                    start: id_start,
                    end: fleet.ids.len(),
                },
            });
            fleet.cold.push(ColdPool {
                id: pool.id.as_str().into(),
                loaded_models: large_models,
                quantizations: large_quantizations,
                extensions: large_extensions,
                warm_kv_sessions: large_sessions,
            });
            fleet.figures.push(Figures::of(pool));
        }
        fleet
    }

    /// Chooses the pool for `job` among the fleet's pools: the same decision as
    /// [`place`](super::place) on the snapshots the fleet was built from (see there and
    /// the [module docs](super)).
    ///
    /// Linear in the number of pools, with integer compares for the names; the job's
    /// own names are looked up once per call.
    ///
    /// See the [type's docs](Fleet) for an example.
    pub fn place(&self, job: &JobSpec) -> PlacementDecision {
        let wanted = self.resolve(job);
        let views =
            self.pools
                .iter()
                .zip(&self.cold)
                .zip(&self.figures)
                .map(|((pool, cold), figures)| Prepared {
                    pool,
                    cold,
                    figures,
                    large_ids: &self.large_ids,
                });
        decide(job, &wanted, views, || {
            PlacementTrace::with_ids(self.ids.clone(), self.pools.len())
        })
    }

    /// The number of pools (snapshots given, malformed ones included).
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    /// Whether the fleet has no pool (every job then gets
    /// [`PlacementDecision::NoCapacity`], unless it is malformed).
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// The job's names as this fleet's ids.
    fn resolve(&self, job: &JobSpec) -> WantedNames {
        let requirements = &job.requirements;
        WantedNames {
            engine: self.engines.get(&job.engine),
            model: self.models.wanted(&job.model_id),
            quantization: requirements
                .quantization
                .as_deref()
                .map_or(Wanted::default(), |name| self.quantizations.wanted(name)),
            extensions: requirements
                .required_extensions
                .iter()
                .map(|name| self.extensions.wanted(name))
                .collect(),
            session: job
                .session_id
                .as_deref()
                .map_or(Wanted::default(), |name| self.sessions.wanted(name)),
        }
    }
}

/// Interns every name of `list` in `names`: returns the list's mask (bit `i` for each
/// id `i < BITS`) and the span of `large_ids` where it appends the larger ids.
fn intern_list(names: &mut Interner, large_ids: &mut Vec<NameId>, list: &[String]) -> (u64, Span) {
    let start = large_ids.len();
    let mut mask = 0;
    for name in list {
        let id = names.intern(name);
        if id < BITS {
            mask |= 1 << id;
        } else {
            large_ids.push(id);
        }
    }
    let large = Span {
        start,
        end: large_ids.len(),
    };
    (mask, large)
}

/// A prepared pool with the fleet's shared buffer, as the rules read it.
#[derive(Clone, Copy)]
struct Prepared<'a> {
    pool: &'a PreparedPool,
    cold: &'a ColdPool,
    figures: &'a Figures,
    large_ids: &'a [NameId],
}

impl Prepared<'_> {
    /// Whether the list with `mask` and `large` ids holds `wanted`.
    #[inline]
    fn holds(&self, mask: u64, large: Span, wanted: Wanted) -> bool {
        mask & wanted.bit != 0
            || wanted.large.is_some_and(|id| {
                self.large_ids
                    .get(large.start..large.end)
                    .unwrap_or_default()
                    .contains(&id)
            })
    }
}

impl<'a> PoolView<'a> for Prepared<'a> {
    type Wanted = WantedNames;

    #[inline]
    fn id(&self) -> &'a str {
        &self.cold.id
    }

    #[inline]
    fn record<'t>(&self, trace: &'t mut PlacementTrace, verdict: Verdict) -> Option<&'t Verdict> {
        let range = self.pool.id_range;
        trace.push_range(range.start, range.end, verdict)
    }

    #[inline]
    fn snapshot_check(&self) -> Result<(), InvalidField> {
        self.pool.snapshot_check
    }

    #[inline]
    fn ready(&self) -> bool {
        self.pool.ready
    }

    #[inline]
    fn device_mask(&self) -> DeviceMask {
        self.pool.device_mask
    }

    #[inline]
    fn runs_engine(&self, wanted: &WantedNames) -> bool {
        wanted.engine == Some(self.pool.engine)
    }

    #[inline]
    fn has_model(&self, wanted: &WantedNames) -> bool {
        self.holds(
            self.pool.loaded_models,
            self.cold.loaded_models,
            wanted.model,
        )
    }

    #[inline]
    fn slots_free(&self) -> u32 {
        self.pool.slots_free
    }

    #[inline]
    fn vram_free_bytes(&self) -> u64 {
        self.pool.vram_free_bytes
    }

    #[inline]
    fn compute_capability(&self) -> ComputeCapability {
        self.pool.compute_capability
    }

    #[inline]
    fn has_quantization(&self, wanted: &WantedNames) -> bool {
        self.holds(
            self.pool.quantizations,
            self.cold.quantizations,
            wanted.quantization,
        )
    }

    #[inline]
    fn missing_extension(&self, wanted: &WantedNames) -> Option<usize> {
        wanted.extensions.iter().position(|&extension| {
            !self.holds(self.pool.extensions, self.cold.extensions, extension)
        })
    }

    #[inline]
    fn kv_warm(&self, wanted: &WantedNames) -> bool {
        self.holds(
            self.pool.warm_kv_sessions,
            self.cold.warm_kv_sessions,
            wanted.session,
        )
    }

    #[inline]
    fn predicted_end(&self, expected_tokens: Option<u32>) -> PredictedEnd {
        score::predicted_end(expected_tokens, self.figures)
    }

    #[inline]
    fn perf_tokens_per_s(&self) -> Option<f64> {
        self.pool.perf_tokens_per_s
    }
}
